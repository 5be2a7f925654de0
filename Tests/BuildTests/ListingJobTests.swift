// A listing read while it grows: whole blocks only, however the reads cut
// the text, and a block megabytes long searched once.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class ListingJobTests: XCTestCase {
    /// Feeds `text` to a listing in reads of `step` bytes and returns the
    /// headers of the blocks each read handed out, then those of the end.
    func blocksByRead(_ text: String, step: Int) -> (reads: [[String]], final: [String]) {
        let files = MemoryFileStore()
        try? files.makeDirectory("/listing")
        let job = ListingJob(requested: [], outputPath: "/listing/out")
        let bytes = Array(text.utf8)
        var reads: [[String]] = []
        var at = 0
        while at < bytes.count {
            let next = min(bytes.count, at + step)
            XCTAssertNoThrow(try files.append(String(decoding: bytes[at..<next], as: UTF8.self), to: "/listing/out"))
            at = next
            while true {
                let out = job.readNew(final: false, files: files)
                if let out { reads.append(out.blocks.map(\.header)) }
                if !job.more { break }
            }
        }
        let last = job.readNew(final: true, files: files)?.blocks.map(\.header) ?? []
        return (reads, last)
    }

    func listing(_ names: [String], exiting: Set<String> = [], big: Int = 0) -> String {
        names.map { n in
            var block = "===> \(n)\n\(n).FULLPKGNAME=\(n.split(separator: "/").last!)-1\n"
            if big > 0 { block += "\(n).COMMENT=" + String(repeating: "x", count: big) + "\n" }
            if exiting.contains(n) { block += "===> Exiting \(n) with an error\n" }
            return block
        }.joined()
    }

    func testEveryBlockComesOutOnceAndWholeWhateverTheReadSize() {
        let names = (1...12).map { "cat/p\($0)" }
        let text = listing(names, exiting: ["cat/p3", "cat/p11"])
        for step in [1, 2, 5, 6, 7, 13, 64, 1000, 100_000] {
            let (reads, last) = blocksByRead(text, step: step)
            XCTAssertEqual(reads.flatMap { $0 } + last, names, "reads of \(step) bytes")
            XCTAssertFalse(last.isEmpty, "the last block waits for the end (\(step))")
        }
    }

    func testAnExitingLineStaysWithItsBlockWhenTheReadCutsIt() {
        let text = listing(["a/one", "a/two"], exiting: ["a/one"])
        let cut = text.range(of: "===> Exiting a/one with")!.upperBound
        let files = MemoryFileStore()
        let job = ListingJob(requested: [], outputPath: "/l")
        XCTAssertNoThrow(try files.append(String(text[..<cut]), to: "/l"))
        XCTAssertNil(job.readNew(final: false, files: files), "the Exiting line is not whole yet")
        XCTAssertNoThrow(try files.append(String(text[cut...]), to: "/l"))
        let out = job.readNew(final: true, files: files)
        XCTAssertEqual(out?.blocks.map(\.header), ["a/one", "a/two"])
        XCTAssertEqual(out?.blocks.first?.broken, true)
    }

    func testABlockMegabytesLongIsSearchedOnce() {
        // Each read looked at the whole text held so far: quadratic.
        let text = listing(["big/one"], big: 3 << 20) + listing(["big/two"])
        var held = ""
        var searched = 0
        var looked = 0
        var at = text.utf8.startIndex
        while at < text.utf8.endIndex {
            let next = text.utf8.index(at, offsetBy: 64 << 10, limitedBy: text.utf8.endIndex) ?? text.utf8.endIndex
            held += String(text[at..<next])
            at = next
            let before = searched
            if ListingJob.wholeBlocksEnd(&held, searched: &searched) != nil { break }
            looked += held.utf8.count - before
        }
        XCTAssertLessThan(looked, text.utf8.count + (64 << 10) * 8, "bytes looked at, for a \(text.utf8.count)-byte text")
    }
}
