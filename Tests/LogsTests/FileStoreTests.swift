import Foundation
import XCTest
@testable import Logs

/// One contract for both stores: what the memory store answers is what
/// the disk answers, errors included.
final class FileStoreTests: TempDirTestCase {
    func bothStores(_ body: (any FileStore, String) throws -> Void) throws {
        try body(PosixFileStore.shared, dir)
        let memory = MemoryFileStore()
        try memory.makeDirectory(dir)
        try body(memory, dir)
    }

    func code(_ body: () throws -> Void) -> Int32? {
        do { try body(); return nil } catch { return (error as? FileIO.Failure)?.code ?? -1 }
    }

    func testExclusiveCreateAnswersFalseWhenTheNameIsTakenAndKeepsTheFirstText() throws {
        try bothStores { files, dir in
            XCTAssertTrue(try files.createExclusive(dir + "/lock", with: "first\n"))
            XCTAssertFalse(try files.createExclusive(dir + "/lock", with: "second\n"))
            XCTAssertEqual(files.read(dir + "/lock"), "first\n")
            XCTAssertEqual(code { _ = try files.createExclusive(dir + "/nodir/lock", with: "") }, ENOENT)
        }
    }

    func testAppendCreatesAndAppendIfPresentLeavesAMissingFileMissing() throws {
        try bothStores { files, dir in
            try files.append("one\n", to: dir + "/a.log")
            try files.append("two\n", to: dir + "/a.log")
            XCTAssertEqual(files.read(dir + "/a.log"), "one\ntwo\n")
            XCTAssertEqual(files.size(dir + "/a.log"), 8)
            XCTAssertTrue(try files.appendIfPresent("three\n", to: dir + "/a.log"))
            XCTAssertFalse(try files.appendIfPresent("x", to: dir + "/gone"))
            XCTAssertFalse(files.exists(dir + "/gone"))
            XCTAssertEqual(code { try files.append("x", to: dir + "/nodir/a.log") }, ENOENT)
            XCTAssertEqual(String(decoding: try XCTUnwrap(files.read(dir + "/a.log", from: 4, limit: nil)), as: UTF8.self), "two\nthree\n")
            XCTAssertEqual(files.read(dir + "/a.log", from: 100, limit: nil)?.count, 0)
            XCTAssertEqual(String(decoding: try XCTUnwrap(files.read(dir + "/a.log", from: 4, limit: 5)), as: UTF8.self), "two\nt")
        }
    }

    func testReplaceRemoveListAndDirectories() throws {
        try bothStores { files, dir in
            try files.makeDirectory(dir + "/x/y")
            try files.makeDirectory(dir + "/x/y")
            try files.replace(dir + "/x/y/f", with: "old")
            try files.replace(dir + "/x/y/f", with: "new")
            try files.replace(dir + "/x/g", with: "")
            XCTAssertEqual(files.read(dir + "/x/y/f"), "new")
            XCTAssertEqual(files.list(dir + "/x")?.sorted(), ["g", "y"])
            XCTAssertNil(files.list(dir + "/none"))
            files.remove(dir + "/x/g")
            files.remove(dir + "/x/g")
            XCTAssertEqual(files.list(dir + "/x"), ["y"])
            XCTAssertFalse(files.exists(dir + "/x/g"))
            XCTAssertNil(files.read(dir + "/x/g"))
            XCTAssertNil(files.size(dir + "/x/g"))
            XCTAssertEqual(code { try files.replace(dir + "/x/y", with: "over a directory") }, EISDIR)
            XCTAssertEqual(code { try files.makeDirectory(dir + "/x/y/f/z") }, ENOTDIR)
            XCTAssertEqual(code { try files.replace(dir + "/none/f", with: "") }, ENOENT)
        }
    }

    func testARelativeLinkReadsItsTargetAndADanglingOneDoesNotExist() throws {
        try bothStores { files, dir in
            try files.makeDirectory(dir + "/paths/devel")
            try files.makeDirectory(dir + "/packages")
            files.link(dir + "/packages/a-1.0.log", to: "../paths/devel/a.log")
            XCTAssertFalse(files.exists(dir + "/packages/a-1.0.log"), "dangling")
            try files.append("built\n", to: dir + "/paths/devel/a.log")
            XCTAssertEqual(files.read(dir + "/packages/a-1.0.log"), "built\n")
            files.link(dir + "/packages/a-1.0.log", to: "../paths/devel/b.log")
            XCTAssertFalse(files.exists(dir + "/packages/a-1.0.log"), "replaced")
        }
    }

    func testAnOpenLogAppendsLinesAndFailsInAMissingDirectory() throws {
        try bothStores { files, dir in
            let log = try files.openLog(dir + "/engine.log")
            XCTAssertTrue(files.exists(dir + "/engine.log"), "made at open")
            try log.write("a\n")
            try log.write("b\n")
            XCTAssertEqual(files.read(dir + "/engine.log"), "a\nb\n")
            XCTAssertEqual(code { _ = try files.openLog(dir + "/nodir/engine.log") }, ENOENT)
        }
    }

    func testInjectedFailuresHitWritesUnderTheirDirectoryOnly() throws {
        let files = MemoryFileStore()
        try files.makeDirectory("/run/logs")
        try files.append("before\n", to: "/run/logs/engine.log")
        let log = try files.openLog("/run/logs/build.log")
        files.failWrites(under: "/run/logs", code: ENOSPC)
        XCTAssertEqual(code { try files.append("x", to: "/run/logs/engine.log") }, ENOSPC)
        XCTAssertEqual(code { try log.write("x") }, ENOSPC)
        XCTAssertEqual(code { _ = try files.createExclusive("/run/logs/lock", with: "") }, ENOSPC)
        XCTAssertEqual(code { try files.makeDirectory("/run/logs/paths") }, ENOSPC)
        XCTAssertEqual(files.read("/run/logs/engine.log"), "before\n", "reads still work")
        try files.replace("/run/logsmore", with: "a sibling is not under it")
    }

    func testConcurrentAppendsToTheMemoryStoreAreNeverLost() throws {
        let files = MemoryFileStore()
        try files.makeDirectory("/l")
        DispatchQueue.concurrentPerform(iterations: 8) { w in
            for _ in 0..<200 { try? files.append("\(w)\n", to: "/l/shared.log") }
        }
        XCTAssertEqual(files.read("/l/shared.log")?.split(separator: "\n").count, 1600)
    }
}
