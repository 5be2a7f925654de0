// A log disk that fills up mid-run, in memory: the MemoryFileStore answers
// ENOSPC as the disk would, and the run reacts as it does on a real disk
// (the end-to-end crash tests do it with real files).
@testable import Build
import Foundation
import Logs
import XCTest

final class StorageFailureTests: XCTestCase {
    func testAFullLogDirectoryStartsNoNewJobAndTheRunEndsNonZero() throws {
        let h = try Harness()
        h.tree.addLayered(60, seconds: { _ in 10 })
        let memory = try XCTUnwrap(h.files as? MemoryFileStore)
        try h.prepare()
        let full = h.world.now + 35
        var runningThen = Set<String>()
        h.world.at(full) {
            runningThen = Set(h.tree.phases.map { $0.path })
            memory.failWrites(under: h.config.logdir, code: ENOSPC)
        }
        XCTAssertNotEqual(try h.run(), 0)
        XCTAssertFalse(runningThen.isEmpty)
        let startedLater = Set(h.tree.phases.filter { $0.at > full }.map { $0.path })
        XCTAssertTrue(startedLater.isSubset(of: runningThen), "new jobs after the disk filled: \(startedLater.subtracting(runningThen))")
        XCTAssertTrue(h.reporter.events.contains { $0.contains("storage failed: ") && $0.contains("No space left on device") },
                      h.reporter.events.suffix(5).joined(separator: "\n"))
    }

    func testAJobWaitingForAHostLockThatCannotBeMadeEndsAndSoDoesTheRun() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/base", seconds: 5))
        let memory = try XCTUnwrap(h.files as? MemoryFileStore)
        // Only the host lock fails: the job starts, and its first phase
        // that needs the lock can never get it.
        memory.failWrites(under: h.config.lockdir + "/host:localhost", code: ENOSPC)
        XCTAssertNotEqual(try h.run(), 0)
        XCTAssertTrue(h.reporter.events.contains {
            $0.contains("jobNotFinished") && $0.contains("devel/base") && $0.contains("waiting for the host lock")
        }, h.reporter.events.suffix(8).joined(separator: "\n"))
        XCTAssertFalse(h.tree.packageExists("devel/base"))
    }
}
