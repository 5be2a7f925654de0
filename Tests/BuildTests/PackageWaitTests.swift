// WAIT_TIMEOUT and H: a job that ended well whose package file shows up
// late (a repository on NFS) waits in H with its slot free, then counts
// as built, or fails once WAIT_TIMEOUT has passed.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class PackageWaitTests: XCTestCase {
    /// Epoch of the first engine line for `path` with `letter`.
    func when(_ h: Harness, _ letter: String, _ path: String) -> Double? {
        h.engineLines(letter).first { $0.contains(": \(letter): \(path)") }
            .flatMap { $0.split(separator: "@").dropFirst().first?.split(separator: ":").first }
            .flatMap { Double($0) }
    }

    func packageEnd(_ h: Harness, _ path: String) -> Double {
        // Every phase but build takes 0.1 s: package starts, then ends 0.1 s later.
        (h.tree.phases.last { $0.path == path && $0.phase == "package" }?.at ?? .nan) + 0.1
    }

    /// The stop file while a package is awaited: the run ends without
    /// waiting out WAIT_TIMEOUT; the port is not finished, its lock goes
    /// and the next run redoes it or finds it built.
    func testAStopDoesNotWaitOutWaitTimeout() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, packageDelay: 3000))
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 1, local: true)]
        h.config.waitTimeout = 600
        try h.prepare()
        let start = h.world.now
        func look() {
            if h.engineLines("H").isEmpty { h.world.after(0.5, look); return }
            try? h.files.replace(h.logs.stopFile, with: "")
        }
        h.world.after(1, look)
        XCTAssertEqual(try h.run(), 1)
        XCTAssertLessThan(h.world.now - start, 60, "the stop waited for WAIT_TIMEOUT")
        XCTAssertFalse(h.files.exists(h.lockPath("devel/lib")), "a port not finished keeps no lock")
        XCTAssertTrue(h.portLog("devel/lib").contains("the run stopped while its package file was not visible yet"))
    }

    func testALatePackageIsHThenInstallableAndItsSlotServesMeanwhile() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, packageDelay: 30))
        h.tree.add(FakePort(pkgpath: "www/user", deps: ["devel/lib"], seconds: 5))
        h.tree.add(FakePort(pkgpath: "misc/other", seconds: 10))
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 1, local: true)]
        h.config.waitTimeout = 600
        h.config.ordering = .dpb
        var during: RunSnapshot?
        try h.prepare()
        h.world.at(h.world.now + 25) { during = h.coordinator.snapshot(h.world.now) }
        XCTAssertEqual(try h.run(), 0, h.reporter.events.joined(separator: "\n"))
        let end = packageEnd(h, "devel/lib")
        let waited = try XCTUnwrap(when(h, "H", "devel/lib"))
        let installable = try XCTUnwrap(when(h, "I", "devel/lib"))
        XCTAssertEqual(waited, end, accuracy: 0.6)
        XCTAssertGreaterThanOrEqual(installable, end + 30 - 0.01)
        XCTAssertLessThan(installable, end + 31)
        // Its dependent waited for the file; the free slot built another port meanwhile.
        let userStart = h.tree.phases.first { $0.path == "www/user" }?.at ?? 0
        XCTAssertGreaterThanOrEqual(userStart, installable)
        let otherStart = h.tree.phases.first { $0.path == "misc/other" }?.at ?? .infinity
        XCTAssertLessThan(otherStart, end + 30, "the slot stayed idle during the wait")
        let snap = try XCTUnwrap(during)
        XCTAssertEqual(snap.counts.waitingPackage, 1)
        XCTAssertEqual(snap.waitingPackagePaths, ["devel/lib"])
        XCTAssertFalse(snap.jobs.contains { $0.path == "devel/lib" })
        XCTAssertTrue(h.portLog("devel/lib").contains("not visible yet: waiting up to 600 s (WAIT_TIMEOUT)"))
        XCTAssertTrue(h.portLog("devel/lib").contains("package file visible after 29.9 s"), h.portLog("devel/lib"))
        XCTAssertFalse(h.files.exists(h.lockPath("devel/lib")))
        XCTAssertEqual(h.coordinator.snapshot(h.world.now).counts.waitingPackage, 0)
    }

    func testAPackageThatNeverShowsIsAnErrorAtWaitTimeout() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, packageDelay: .infinity))
        h.tree.add(FakePort(pkgpath: "www/user", deps: ["devel/lib"], seconds: 5))
        h.config.waitTimeout = 100
        XCTAssertEqual(try h.run(), 1)
        let end = packageEnd(h, "devel/lib")
        let failed = try XCTUnwrap(when(h, "E", "devel/lib"))
        XCTAssertGreaterThanOrEqual(failed, end + 100 - 0.01)
        XCTAssertLessThan(failed, end + 101)
        XCTAssertNotNil(when(h, "H", "devel/lib"))
        let log = h.portLog("devel/lib")
        XCTAssertTrue(log.contains("package file not visible after WAIT_TIMEOUT=100 s"), log)
        let lock = h.files.read(h.lockPath("devel/lib")) ?? ""
        XCTAssertTrue(lock.contains("status=package file not visible after WAIT_TIMEOUT=100 s"), lock)
        XCTAssertTrue(h.tree.phasesOf("www/user").isEmpty)
    }

    func testWaitTimeoutZeroFailsAMissingPackageAtOnce() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, packageDelay: 30))
        h.config.waitTimeout = 0
        XCTAssertEqual(try h.run(), 1)
        XCTAssertNil(when(h, "H", "devel/lib"))
        let failed = try XCTUnwrap(when(h, "E", "devel/lib"))
        XCTAssertEqual(failed, packageEnd(h, "devel/lib"), accuracy: 0.6)
        XCTAssertTrue(h.portLog("devel/lib").contains("missing package file"), h.portLog("devel/lib"))
    }
}
