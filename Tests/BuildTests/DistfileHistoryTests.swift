// DISTDIR/history: HISTORY_ONLY and -F on the whole tree record the
// distfiles the tree no longer uses, once each, and fetch nothing for it.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class DistfileHistoryTests: XCTestCase {
    /// A tree of two ports using `a.tgz` and `b.tgz`; DISTDIR also holds an
    /// old `gone.tgz`, a re-rolled `b.tgz` (other checksum), a by_cipher
    /// link of an unused checksum and one of a used checksum.
    func harness() throws -> (Harness, distdir: String) {
        let h = try Harness(store: .disk)
        let distdir = h.config.tree.distdir
        try FileIO.makeDirectory(distdir)
        var sums = ""
        for name in ["a.tgz", "b.tgz"] {
            let tmp = h.dir + "/" + name
            try FileIO.replace(tmp, with: "contents of \(name)\n")
            sums += "SHA256 (\(name)) = \(try FileDigest.sha256(of: tmp).base64)\n"
        }
        try FileIO.replace(h.dir + "/distinfo", with: sums)
        try FileIO.replace(distdir + "/a.tgz", with: "contents of a.tgz\n")
        try FileIO.replace(distdir + "/b.tgz", with: "re-rolled b.tgz\n")
        try FileIO.replace(distdir + "/gone.tgz", with: "an old release\n")
        try FileIO.replace(distdir + "/b.tgz.part", with: "half a file")
        let aHex = try FileDigest.sha256(of: distdir + "/a.tgz").hex
        try FileIO.makeDirectory(distdir + "/" + ByCipher.directory(hex: aHex))
        try FileIO.replace(distdir + "/" + ByCipher.directory(hex: aHex) + "/a.tgz", with: "contents of a.tgz\n")
        let oldHex = String(repeating: "ab", count: 32)
        try FileIO.makeDirectory(distdir + "/" + ByCipher.directory(hex: oldHex))
        try FileIO.replace(distdir + "/" + ByCipher.directory(hex: oldHex) + "/old.tgz", with: "old\n")
        for (p, file) in [("x/a", "a.tgz"), ("x/b", "b.tgz")] {
            h.tree.add(FakePort(pkgpath: p, seconds: 5, listingExtra: [
                "DISTFILES=\(file)", "SITES=http://site.test/pub/", "CHECKSUM_FILE=\(h.dir)/distinfo"]))
        }
        h.tree.fetchAnswer = { _ in XCTFail("HISTORY_ONLY fetched"); return (1, .exited(1)) }
        h.config.fetch.jobs = 1
        h.config.fetch.fetchOnly = true
        h.config.fetch.historyOnly = true
        return (h, distdir)
    }

    func testHistoryOnlyRecordsEveryUnusedFileOnceAndFetchesNothing() throws {
        let (h, distdir) = try harness()
        XCTAssertEqual(try h.run(), 0, h.reporter.events.joined(separator: "\n"))
        XCTAssertTrue(h.tree.phases.isEmpty, "built something")
        let lines = (FileIO.read(distdir + "/history") ?? "").split(separator: "\n").map(String.init)
        let names = lines.compactMap { $0.split(separator: "(").dropFirst().first?.split(separator: ")").first.map(String.init) }
        XCTAssertEqual(Set(names), ["b.tgz", "gone.tgz", "by_cipher/sha256/ab/\(String(repeating: "ab", count: 32))/old.tgz"],
                       lines.joined(separator: "\n"))
        let pattern = try NSRegularExpression(pattern: #"^\d+ SHA256 \([^)]+\) = [A-Za-z0-9+/]{43}=$"#)
        for line in lines { XCTAssertNotNil(pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), line) }
        // The re-rolled file is recorded under the checksum it has on disk.
        let bHex = try FileDigest.sha256(of: distdir + "/b.tgz")
        XCTAssertTrue(lines.contains { $0.hasSuffix("SHA256 (b.tgz) = \(bHex.base64)") })
    }

    func testASecondRunAddsNothingAndNoHistoryLeavesItAlone() throws {
        let (h, distdir) = try harness()
        XCTAssertEqual(try h.run(), 0)
        let first = FileIO.read(distdir + "/history") ?? ""
        let h2 = try Harness(store: .disk)
        h2.config = h.config
        for p in h.tree.order { h2.tree.add(h.tree.ports[p]!) }
        h2.tree.fetchAnswer = h.tree.fetchAnswer
        XCTAssertEqual(try h2.run(), 0)
        XCTAssertEqual(FileIO.read(distdir + "/history"), first, "the same old files were recorded twice")
        try FileIO.replace(distdir + "/newer-gone.tgz", with: "another old one\n")
        let h3 = try Harness(store: .disk)
        h3.config = h.config
        h3.config.fetch.noHistory = true
        for p in h.tree.order { h3.tree.add(h.tree.ports[p]!) }
        h3.tree.fetchAnswer = h.tree.fetchAnswer
        XCTAssertEqual(try h3.run(), 0)
        XCTAssertEqual(FileIO.read(distdir + "/history"), first, "NO_HISTORY changed the history")
    }

    func testAMirroringRunRecordsTheSameOldFilesWithoutReadingWhatItVerified() throws {
        let (h, distdir) = try harness()
        h.config.fetch.historyOnly = false
        // b.tgz on disk is a re-rolled copy: it is set aside and fetched.
        h.tree.fetchAnswer = { spec in
            try? FileIO.replace(spec.argv[spec.argv.count - 2], with: "contents of b.tgz\n")
            return (1, .exited(0))
        }
        XCTAssertEqual(try h.run(), 0, h.reporter.events.joined(separator: "\n"))
        let lines = (FileIO.read(distdir + "/history") ?? "").split(separator: "\n").map(String.init)
        let names = Set(lines.compactMap { $0.split(separator: "(").dropFirst().first?.split(separator: ")").first.map(String.init) })
        XCTAssertTrue(names.contains("gone.tgz"), lines.joined(separator: "\n"))
        XCTAssertFalse(names.contains("a.tgz"))
        XCTAssertFalse(names.contains("b.tgz"), "the fetched b.tgz is the one in use")
        XCTAssertTrue(names.contains("by_cipher/sha256/ab/\(String(repeating: "ab", count: 32))/old.tgz"))
    }
}
