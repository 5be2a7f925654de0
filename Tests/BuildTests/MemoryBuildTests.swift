// -M: ports whose recorded size fits, summed over what runs at once on the
// host, build with WRKOBJDIR in the host's tmpfs, mounted once at init and
// unmounted at the end.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class MemoryBuildTests: XCTestCase {
    func testFitsCountsWhatIsAlreadyInMemoryOnTheHost() {
        XCTAssertTrue(MemoryBuilds.fits(size: 400, inMemory: [], threshold: 1000))
        XCTAssertTrue(MemoryBuilds.fits(size: 1000, inMemory: [], threshold: 1000), "up to the threshold itself")
        XCTAssertTrue(MemoryBuilds.fits(size: 400, inMemory: [300, 300], threshold: 1000))
        XCTAssertFalse(MemoryBuilds.fits(size: 401, inMemory: [300, 300], threshold: 1000))
        XCTAssertFalse(MemoryBuilds.fits(size: 1001, inMemory: [], threshold: 1000))
        XCTAssertFalse(MemoryBuilds.fits(size: nil, inMemory: [], threshold: 1000), "never measured: on disk")
        XCTAssertFalse(MemoryBuilds.fits(size: 0, inMemory: [], threshold: 0))
    }

    func testTheMountPointDependsOnTheLockDirectoryOnly() {
        let a = MemoryBuilds.mountPoint(root: "/tmp/m", lockdir: "/var/locks")
        XCTAssertEqual(a, MemoryBuilds.mountPoint(root: "/tmp/m", lockdir: "/var/locks"))
        XCTAssertNotEqual(a, MemoryBuilds.mountPoint(root: "/tmp/m", lockdir: "/var/locks2"))
        XCTAssertTrue(a.hasPrefix("/tmp/m/"))
    }

    func testMountAndUnmountTakeThePathAsAnArgumentNotInTheScript() {
        let odd = "/tmp/it's $(here)"
        let mount = MemoryBuilds.mountCommand(at: odd, kilobytes: 1500)
        XCTAssertEqual(Array(mount.suffix(2)), [odd, "1500"])
        XCTAssertFalse(mount[2].contains(odd))
        let unmount = MemoryBuilds.unmountCommand(at: odd)
        XCTAssertEqual(unmount.last, odd)
        XCTAssertFalse(unmount[2].contains(odd))
    }

    func sized(_ h: Harness, _ sizes: [String: Int64]) {
        for (path, kb) in sizes {
            h.config.sizes.add(SizeLog.Entry(path: path, pkgname: "x-1", kilobytes: kb, timestamp: 1))
        }
    }

    func wrkobjdir(_ h: Harness, _ path: String) -> [String] {
        (h.runners["localhost"]?.wrkobjdirs ?? []).filter { $0.0 == path }.map { $0.2 }
    }

    func testPortsGoToMemoryWhileTheirSumFitsAndOthersBuildOnDisk() throws {
        let h = try Harness()
        h.config.memoryThreshold = 1000
        h.tree.add(FakePort(pkgpath: "devel/a", seconds: 50))
        h.tree.add(FakePort(pkgpath: "devel/b", seconds: 50))
        h.tree.add(FakePort(pkgpath: "devel/c", deps: ["devel/a", "devel/b"], seconds: 5))
        h.tree.add(FakePort(pkgpath: "devel/unknown", seconds: 5))
        h.tree.add(FakePort(pkgpath: "devel/big", seconds: 5))
        sized(h, ["devel/a": 600, "devel/b": 600, "devel/c": 600, "devel/big": 5000])
        XCTAssertEqual(try h.run(), 0)
        let mount = MemoryBuilds.mountPoint(root: h.config.memoryRoot, lockdir: h.config.lockdir)
        let aOrB = ["devel/a", "devel/b"].filter { !wrkobjdir(h, $0).isEmpty }
        XCTAssertEqual(aOrB.count, 1, "600 + 600 does not fit in 1000: one of the two builds on disk")
        let inMemory = try XCTUnwrap(aOrB.first)
        let dir = "WRKOBJDIR=\(mount)/\(inMemory.replacingOccurrences(of: "/", with: "."))"
        XCTAssertEqual(Set(wrkobjdir(h, inMemory)), [dir])
        XCTAssertEqual(wrkobjdir(h, inMemory).count, h.tree.phasesOf(inMemory).count, "every phase, clean too")
        XCTAssertFalse(wrkobjdir(h, "devel/c").isEmpty, "once a and b ended, c fits")
        XCTAssertTrue(wrkobjdir(h, "devel/unknown").isEmpty, "never measured: on disk")
        XCTAssertTrue(wrkobjdir(h, "devel/big").isEmpty, "too big alone")
        // One mount at init before any phase, one unmount after the last.
        let tasks = h.runners["localhost"]?.argvs ?? []
        XCTAssertEqual(tasks.count, 2)
        let firstPhase = h.tree.phases.map(\.at).min() ?? 0, lastPhase = h.tree.phases.map(\.at).max() ?? 0
        XCTAssertTrue(tasks[0].argv[2].contains("mount -t tmpfs") && tasks[0].argv.last == "1500")
        XCTAssertEqual(tasks[0].argv[4], mount)
        XCTAssertTrue(tasks[0].at <= firstPhase)
        XCTAssertTrue(tasks[1].argv[2].contains("umount") && tasks[1].argv.last == mount)
        XCTAssertTrue(tasks[1].at >= lastPhase)
    }

    func testAHostLostDuringItsMountIsDownNotFailedAndMountsWhenBack() throws {
        let h = try Harness()
        h.hostSpecs = [FakeHostSpec(name: "b1", slots: 2, memory: 1000)]
        h.tree.mountSeconds = 20
        h.tree.add(FakePort(pkgpath: "devel/a", seconds: 5))
        sized(h, ["devel/a": 100])
        let start = h.world.now
        h.world.at(start + 10) { h.runners["b1"]?.goDown("link cut") }
        h.world.at(start + 60) { h.runners["b1"]?.comeUp() }
        XCTAssertEqual(try h.run(), 0)
        let mounts = (h.runners["b1"]?.argvs ?? []).filter { $0.argv[2].contains("mount -t tmpfs") }
        XCTAssertEqual(mounts.count, 2, "mounted again after it came back")
        XCTAssertFalse((h.runners["b1"]?.wrkobjdirs ?? []).isEmpty, "built in memory")
        XCTAssertTrue((h.tree.phases.map(\.at).min() ?? 0) > start + 60)
    }

    func testASignalStillUnmountsBeforeTheRunExits() throws {
        let h = try Harness()
        h.config.memoryThreshold = 1000
        h.tree.add(FakePort(pkgpath: "devel/a", seconds: 500))
        sized(h, ["devel/a": 100])
        h.world.signal(SIGTERM, after: 30)
        XCTAssertEqual(try h.run(), 128 + SIGTERM)
        let tasks = h.runners["localhost"]?.argvs ?? []
        XCTAssertEqual(tasks.count, 2)
        XCTAssertTrue(tasks.last?.argv[2].contains("umount") ?? false)
        XCTAssertFalse(FileIO.exists(h.config.lockdir + "/memory:localhost"))
    }

    func testAHostThatCannotMountNeverBuildsOnDiskAndTheRunFails() throws {
        let h = try Harness()
        h.config.memoryThreshold = 1000
        h.tree.mountFails = true
        h.tree.add(FakePort(pkgpath: "devel/a", seconds: 5))
        XCTAssertEqual(try h.run(), 1)
        XCTAssertTrue(h.tree.phases.isEmpty, "nothing built")
        XCTAssertTrue(h.reporter.events.contains { $0.contains("cannot mount a tmpfs") && $0.contains("CAP_SYS_ADMIN") },
                      "\(h.reporter.events)")
        XCTAssertTrue((FileIO.read(h.logs.hostsLog) ?? "").contains("init failed: cannot mount a tmpfs"))
    }

    func memoryLock(_ h: Harness, pid: Int32) throws {
        try FileIO.makeDirectory(h.config.lockdir)
        try FileIO.replace(h.config.lockdir + "/memory:localhost", with: "locked=memory:localhost\ndpb=\(pid) on testhost\n")
    }

    func testAnotherLiveRunsMountIsLeftAloneAndThisHostBuildsNothing() throws {
        let h = try Harness()
        h.config.memoryThreshold = 1000
        h.tree.add(FakePort(pkgpath: "devel/a", seconds: 5))
        try memoryLock(h, pid: getppid())
        XCTAssertEqual(try h.run(), 1)
        XCTAssertTrue(h.tree.phases.isEmpty)
        XCTAssertTrue(h.runners["localhost"]?.argvs.isEmpty ?? false, "neither mounted nor unmounted")
        XCTAssertTrue(h.reporter.events.contains { $0.contains("is in use by bulkbuild \(getppid()) on testhost") },
                      "\(h.reporter.events)")
        XCTAssertTrue(FileIO.exists(h.config.lockdir + "/memory:localhost"), "the other run's lock stays")
    }

    func testADeadRunsMemoryLockIsTakenOverAndRemovedAtTheEnd() throws {
        let h = try Harness()
        h.config.memoryThreshold = 1000
        h.config.dontCleanLocks = true
        h.tree.add(FakePort(pkgpath: "devel/a", seconds: 5))
        var dead: Int32 = 4_000_000
        while kill(dead, 0) == 0 || errno == EPERM { dead += 1 }
        try memoryLock(h, pid: dead)
        var during: String?
        h.world.at(h.world.now + 2) { during = FileIO.read(h.config.lockdir + "/memory:localhost") }
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue(during?.contains("dpb=\(getpid()) on testhost") ?? false, during ?? "no lock")
        XCTAssertFalse(FileIO.exists(h.config.lockdir + "/memory:localhost"))
    }

    func testAHostsOwnThresholdAppliesAndTheScreenMarksMemoryJobs() throws {
        let h = try Harness()
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 2, local: true, memory: 100)]
        h.tree.add(FakePort(pkgpath: "devel/a", seconds: 50))
        sized(h, ["devel/a": 60])
        var marked: Bool?
        h.world.at(h.world.now + 20) { marked = h.coordinator.snapshot(h.world.now).jobs.first?.memory }
        XCTAssertEqual(try h.run(), 0)
        XCTAssertFalse(wrkobjdir(h, "devel/a").isEmpty)
        XCTAssertEqual(marked, true)
    }

    func testSizesOfMemoryJobsAreMeasuredInTheirOwnDirectory() throws {
        let h = try Harness()
        h.config.memoryThreshold = 1000
        h.config.measureSizes = true
        h.config.sizesPath = h.dir + "/sizes"
        h.tree.add(FakePort(pkgpath: "devel/a", seconds: 5, listingExtra: ["WRKDIR=/disk/devel.a"]))
        sized(h, ["devel/a": 600])
        let dir = MemoryBuilds.mountPoint(root: h.config.memoryRoot, lockdir: h.config.lockdir) + "/devel.a"
        h.tree.workKilobytes[dir] = 640
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue((FileIO.read(h.logs.sizeLog) ?? "").hasPrefix("devel/a(a-1.0) size=640 "))
    }
}
