import Foundation
import XCTest
@testable import Logs

final class FileIOTests: TempDirTestCase {
    func testAppendCreatesThenAppends() throws {
        try FileIO.append("one\n", to: path("a.log"))
        try FileIO.append("two\n", to: path("a.log"))
        XCTAssertEqual(contents("a.log"), "one\ntwo\n")
        XCTAssertEqual(FileIO.size(path("a.log")), 8)
    }

    func testAppendIntoMissingDirectoryThrows() {
        XCTAssertThrowsError(try FileIO.append("x", to: path("nodir/a.log"))) { error in
            let f = error as? FileIO.Failure
            XCTAssertEqual(f?.path, path("nodir/a.log"))
            XCTAssertEqual(f?.code, ENOENT)
            XCTAssertTrue(f?.description.contains("No such file or directory") ?? false)
        }
    }

    func testConcurrentAppendsNeverInterleaveInsideALine() throws {
        let file = path("shared.log")
        let writers = 8, lines = 50
        DispatchQueue.concurrentPerform(iterations: writers) { w in
            let line = String(repeating: Character(UnicodeScalar(UInt8(65 + w))), count: 3000) + "\n"
            for _ in 0..<lines { try? FileIO.append(line, to: file) }
        }
        let all = try XCTUnwrap(contents("shared.log")).split(separator: "\n")
        XCTAssertEqual(all.count, writers * lines)
        for line in all {
            XCTAssertEqual(line.count, 3000)
            XCTAssertEqual(Set(line).count, 1, "a line mixes two writers")
        }
    }

    func testReplaceWritesTheWholeContentAndLeavesNoTemporaryFile() throws {
        let big = String(repeating: "0123456789", count: 100_000)
        try FileIO.replace(path("status.json"), with: "old")
        try FileIO.replace(path("status.json"), with: big, sync: true)
        XCTAssertEqual(contents("status.json"), big)
        XCTAssertEqual(listing(), ["status.json"])
    }

    func testReplaceIsARenameSoOpenReadersKeepTheOldFile() throws {
        let file = path("state")
        try FileIO.replace(file, with: "first version")
        let reader = try XCTUnwrap(FileHandle(forReadingAtPath: file))
        defer { try? reader.close() }
        try FileIO.replace(file, with: "second")
        XCTAssertEqual(String(decoding: reader.readDataToEndOfFile(), as: UTF8.self), "first version")
        XCTAssertEqual(contents("state"), "second")
    }

    func testReplaceIntoMissingDirectoryThrowsAndLeavesNothing() {
        XCTAssertThrowsError(try FileIO.replace(path("nodir/x"), with: "x"))
        XCTAssertEqual(listing(), [])
    }

    func testReplaceOverADirectoryFailsAndRemovesItsTemporaryFile() throws {
        try FileIO.makeDirectory(path("target/inside"))
        XCTAssertThrowsError(try FileIO.replace(path("target"), with: "x")) { error in
            XCTAssertEqual((error as? FileIO.Failure)?.what, "not a regular file: it is never replaced")
        }
        XCTAssertEqual(listing(), ["target"])
    }

    /// A device or FIFO given as an output path (as root, `/dev/null`) is
    /// left as it is: a rename would put a regular file in its place.
    func testReplaceNeverPutsAFileInPlaceOfAFifo() throws {
        XCTAssertEqual(mkfifo(path("fifo"), 0o600), 0)
        XCTAssertThrowsError(try FileIO.replace(path("fifo"), with: "x")) { error in
            XCTAssertEqual("\(error)", path("fifo") + ": not a regular file: it is never replaced")
        }
        var st = stat()
        XCTAssertEqual(lstat(path("fifo"), &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(listing(), ["fifo"])
    }

    func testReadExistsSizeAndMakeDirectory() throws {
        XCTAssertNil(FileIO.read(path("missing")))
        XCTAssertFalse(FileIO.exists(path("missing")))
        XCTAssertNil(FileIO.size(path("missing")))
        try FileIO.makeDirectory(path("a/b/c"))
        try FileIO.makeDirectory(path("a/b/c"))
        XCTAssertTrue(FileIO.exists(path("a/b/c")))
        try FileIO.append("héllo", to: path("a/b/c/f"))
        XCTAssertEqual(FileIO.read(path("a/b/c/f")), "héllo")
        XCTAssertEqual(FileIO.size(path("a/b/c/f")), 6)
    }

    func testAppendLogWritesLines() throws {
        do {
            let log = try AppendLog(path: path("engine.log"))
            log.write("a\n")
            log.write("b\n")
        }
        try FileIO.append("c\n", to: path("engine.log"))
        XCTAssertEqual(contents("engine.log"), "a\nb\nc\n")
        XCTAssertThrowsError(try AppendLog(path: path("nodir/engine.log")))
    }
}

final class FileIOConcurrentReplaceTests: TempDirTestCase {
    /// Two threads of one process replacing the same file: every replace
    /// succeeds and the file always holds one whole version.
    func testConcurrentReplacesOfOneFileStayWhole() throws {
        let file = path("status.json")
        let versions = (0..<2).map { String(repeating: Character(UnicodeScalar(UInt8(97 + $0))), count: 200_000) }
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 2) { w in
            for _ in 0..<50 {
                do { try FileIO.replace(file, with: versions[w]) } catch { failures.add("\(error)") }
                if let now = FileIO.read(file), !versions.contains(now) { failures.add("torn: \(now.count) bytes") }
            }
        }
        XCTAssertEqual(failures.all, [])
        XCTAssertEqual(listing(), ["status.json"])
    }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return Array(Set(items)).sorted() }
}

final class FileDigestTests: XCTestCase {
    func testSHA256OfAFileInBase64AndHex() throws {
        let dir = NSTemporaryDirectory() + "bulkbuild-digest-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileIO.replace(dir + "/abc", with: "abc")
        let d = try FileDigest.sha256(of: dir + "/abc")
        XCTAssertEqual(d.hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(d.base64, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        XCTAssertEqual(d.size, 3)
        // More than one read buffer.
        try FileIO.replace(dir + "/big", with: String(repeating: "a", count: 200_000))
        XCTAssertEqual(try FileDigest.sha256(of: dir + "/big").size, 200_000)
        XCTAssertThrowsError(try FileDigest.sha256(of: dir + "/missing"))
    }
}
