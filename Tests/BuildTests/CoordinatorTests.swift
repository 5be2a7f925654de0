// The coordinator in-process, with fake hosts and tasks in virtual time:
// every run behaviour without sshd, root or real processes, in
// milliseconds. The end-to-end tests show that the real parts behave like
// these fakes.
@testable import Build
import Engine
import Foundation
import HostPool
import Logs
import XCTest

final class CoordinatorTests: XCTestCase {
    func testThousandsOfPortsBuildOnceEachAfterTheirDependencies() throws {
        let h = try Harness()
        h.tree.addLayered(3000)
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 8, local: true),
                       FakeHostSpec(name: "b1", slots: 4, sf: 2), FakeHostSpec(name: "b2", slots: 4)]
        XCTAssertEqual(try h.run(), 0, h.reporter.events.suffix(5).joined(separator: "\n"))
        var packagedAt: [String: Double] = [:]
        var dependsAt: [String: Double] = [:]
        for ph in h.tree.phases {
            if ph.phase == "package" { XCTAssertNil(packagedAt[ph.path], "\(ph.path) packaged twice"); packagedAt[ph.path] = ph.at }
            if ph.phase == "prepare" { dependsAt[ph.path] = ph.at }
        }
        XCTAssertEqual(packagedAt.count, 3000)
        for (path, port) in h.tree.ports {
            for d in port.deps {
                XCTAssertLessThan(packagedAt[d] ?? .infinity, dependsAt[path] ?? 0, "\(path) started before \(d) was packaged")
            }
        }
        XCTAssertEqual(Set(h.tree.phases.map { $0.host }), ["localhost", "b1", "b2"])
        XCTAssertTrue(h.files.exists(h.logs.statusFile))
    }

    /// Paths that got an engine line with `letter`.
    func paths(_ h: Harness, _ letter: String) -> [String] {
        h.engineLines(letter).compactMap { $0.components(separatedBy: ": \(letter): ").last?.split(separator: " ").first.map(String.init) }
    }

    func testAHostLostMidJobRequeuesItsJobsAndIsUsedAgainWhenItComesBack() throws {
        let h = try Harness()
        h.tree.addLayered(60, seconds: { _ in 20 })
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 1, local: true), FakeHostSpec(name: "b1", slots: 3)]
        let start = h.world.now
        try h.prepare()
        h.world.at(start + 30) { h.runners["b1"]!.goDown("link cut") }
        h.world.at(start + 200) { h.runners["b1"]!.comeUp() }
        XCTAssertEqual(try h.run(), 0)
        let lost = paths(h, "N")
        XCTAssertFalse(lost.isEmpty, "no job was lost with its host")
        for p in lost {
            XCTAssertTrue(h.tree.packageExists(p), p)
            // Requeued from clean (its work directory is in an unknown state).
            let attempts = h.tree.phases.filter { $0.path == p }
            XCTAssertEqual(attempts.last { $0.phase == "prepare" }.map { a in
                attempts.contains { $0.phase == "clean" && $0.at <= a.at && $0.at > start + 30 } }, true, p)
        }
        XCTAssertTrue(h.reporter.events.contains { $0.contains("hostDown") && $0.contains("link cut") })
        XCTAssertFalse(h.tree.phases.contains { $0.host == "b1" && $0.at > start + 30 && $0.at < start + 200 },
                       "a job started on b1 while it was down")
        XCTAssertTrue(h.tree.phases.contains { $0.host == "b1" && $0.at > start + 200 }, "b1 got no job after it came back")
    }

    func testALocalJobsTasksCarryOneMarkThatItsLockNamesFromTheStart() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/broken", seconds: 5, failIn: "build"))
        h.tree.add(FakePort(pkgpath: "www/remote", seconds: 5, failIn: "build"))
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 1, local: true), FakeHostSpec(name: "b1", slots: 1)]
        XCTAssertEqual(try h.run(), 1)
        XCTAssertEqual(Set(h.runners.values.filter { !$0.marks.filter { $0.phase == "build" }.isEmpty }.map { $0.isLocal }), [true, false],
                       "one port on each host")
        var checked = 0
        for runner in h.runners.values {
            for path in Set(runner.marks.map { $0.subdir }) where ["devel/broken", "www/remote"].contains(path) {
                checked += 1
                let marks = runner.marks.filter { $0.subdir == path }
                let lock = LockDirectory.parse(h.files.read(h.lockPath(path)) ?? "")
                XCTAssertEqual(lock["locked"], path, "a failed port keeps its lock")
                if runner.isLocal {
                    // Every phase under the one mark the lock had from its creation.
                    XCTAssertEqual(Set(marks.map { $0.mark }).count, 1, "\(marks)")
                    XCTAssertEqual(lock["task"], marks[0].mark)
                    XCTAssertTrue(marks[0].mark?.hasPrefix("L\(getpid())-") == true, "\(marks)")
                    XCTAssertNil(lock["pgid"], "no group appended per phase")
                } else {
                    XCTAssertEqual(marks.compactMap { $0.mark }, [], "a remote task's mark is its runner's business")
                    XCTAssertNil(lock["task"])
                }
            }
        }
        XCTAssertEqual(checked, 2, "both ports ran")
    }

    func testAHotFixRelistsTheFixedPortAndRebuildsItFromClean() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/base", seconds: 5))
        h.tree.add(FakePort(pkgpath: "devel/broken", deps: ["devel/base"], seconds: 5, failIn: "build"))
        h.tree.add(FakePort(pkgpath: "www/user", deps: ["devel/broken"], seconds: 5))
        h.config.waitForFixes = true
        let start = h.world.now
        try h.prepare()
        h.world.at(start + 100) {
            XCTAssertTrue(h.files.exists(h.lockPath("devel/broken")), "a failed port keeps its lock")
            h.tree.ports["devel/broken"]?.failIn = nil
            h.files.remove(h.lockPath("devel/broken"))
        }
        XCTAssertEqual(try h.run(), 0)
        XCTAssertEqual(paths(h, "E"), ["devel/broken"])
        XCTAssertTrue(h.reporter.events.contains { $0.contains("hotFix") })
        let second = h.tree.phases.filter { $0.path == "devel/broken" && $0.at > start + 100 }.map { $0.phase }
        XCTAssertEqual(second.first, "clean", "\(second)")
        XCTAssertTrue(h.tree.packageExists("www/user"))
        // Listed again after the fix.
        XCTAssertTrue(h.engineLines("T").contains { $0.contains("devel/broken hot-fix") })
        // The wait was said once, and the time spent waiting for a person
        // is not graded as an error of the estimate.
        XCTAssertEqual(h.reporter.events.filter { $0.contains("waiting for fixes: 1 failed, 0 locked") }.count, 1,
                       h.reporter.events.joined(separator: "\n"))
        XCTAssertFalse(h.reporter.events.contains { $0.contains("estimate made at") })
    }

    func testRemovingTheLockOfAnEarlierRunsFailureIsAHotFixLikeOneOfThisRun() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/broken", seconds: 5, failIn: "build"))
        h.tree.add(FakePort(pkgpath: "www/user", deps: ["devel/broken"], seconds: 5))
        XCTAssertEqual(try h.run(), 1)
        XCTAssertTrue(h.files.exists(h.lockPath("devel/broken")), "the failure keeps its lock")

        h.startOver()
        h.config.waitForFixes = true
        let start = h.world.now
        try h.prepare()
        h.world.at(start + 100) {
            h.tree.ports["devel/broken"]?.failIn = nil
            h.files.remove(h.lockPath("devel/broken"))
        }
        XCTAssertEqual(try h.run(), 0)
        let fixes = h.engineLines("T").filter { $0.contains("devel/broken hot-fix") }
        XCTAssertEqual(fixes.count, 1, "\(h.engineLines("T"))")
        XCTAssertEqual(h.reporter.events.filter { $0.contains("hotFix") && $0.contains("devel/broken") }.count, 1,
                       "\(h.reporter.events)")
        let second = h.tree.phases.filter { $0.path == "devel/broken" && $0.at > start + 100 }.map { $0.phase }
        XCTAssertEqual(second.first, "clean", "rebuilt from clean, as a hot-fix of this run's failure is: \(second)")
        XCTAssertTrue(h.tree.packageExists("www/user"))
    }

    func testTheStopFileDrainsTheRunAndAHostStopFileKeepsJobsOffThatHost() throws {
        let h = try Harness()
        h.tree.addLayered(40, seconds: { _ in 10 })
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 2, local: true), FakeHostSpec(name: "b1", slots: 2)]
        let start = h.world.now
        try h.prepare()
        try h.files.replace(h.logs.hostStopFiles(host: "b1")[0], with: "")
        h.world.at(start + 45) { try? h.files.replace(h.logs.stopFile, with: "") }
        XCTAssertEqual(try h.run(), 1)
        XCTAssertFalse(h.tree.phases.contains { $0.host == "b1" }, "b1 was stopped")
        let started = Set(paths(h, "J"))
        XCTAssertLessThan(started.count, 40)
        XCTAssertFalse(h.tree.phases.contains { $0.phase == "prepare" && $0.at > start + 45.5 })
        for p in started { XCTAssertTrue(h.tree.packageExists(p), "\(p) was running and should have finished") }
        XCTAssertTrue(h.reporter.events.contains { $0.contains("stopRequested") })
    }

    func testAStuckJobIsKilledAfterStuckTimesTheSpeedFactor() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/hang", hangIn: "build"))
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 2, sf: 2, local: true, stuck: 100)]
        XCTAssertEqual(try h.run(), 1)
        let stops = h.runners["localhost"]!.stops
        XCTAssertEqual(stops.first?.0, "devel/hang")
        XCTAssertEqual(paths(h, "E"), ["devel/hang"])
        let log = h.portLog("devel/hang")
        XCTAssertTrue(log.contains("KILLED:") && log.contains("stuck at build"), log)
        // Silent from the start of build: killed at 200 s of silence (100 x sf 2), not before.
        let build = h.tree.phases.first { $0.phase == "build" }!.at
        let ended = h.engineLines("E").first.flatMap { $0.split(separator: "@").dropFirst().first?.split(separator: ":").first }
            .flatMap { Double($0) } ?? 0
        XCTAssertGreaterThanOrEqual(ended - build, 199.5)
        XCTAssertLessThan(ended - build, 202)
    }

    func testBuildTimeoutKillsALongJob() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/long", seconds: 10_000))
        h.config.buildTimeout = 50
        XCTAssertEqual(try h.run(), 1)
        XCTAssertTrue(h.portLog("devel/long").contains("over BUILD_TIMEOUT at build"), h.portLog("devel/long"))
        XCTAssertLessThan(h.world.now - h.coordinator.startTime, 100)
    }

    func testJunkRunsEveryNBuildsAndHoldsTheHostLock() throws {
        let h = try Harness()
        h.tree.addLayered(30, seconds: { _ in 3 })
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 3, local: true, junkEvery: 5)]
        XCTAssertEqual(try h.run(), 0)
        let junks = h.tree.junkRuns
        XCTAssertGreaterThanOrEqual(junks.count, 3)
        XCTAssertLessThanOrEqual(junks.count, 6)
        XCTAssertFalse(h.files.exists(h.config.lockdir + "/host:localhost"))
        XCTAssertTrue(h.files.exists(h.logs.junkLog(host: "localhost")))
    }

    func testAlwaysCleanAfterAFailureIsTrackedToItsEnd() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/bad", failIn: "build"))
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 2, local: true, alwaysClean: true)]
        XCTAssertEqual(try h.run(), 1)
        XCTAssertEqual(h.tree.phasesOf("devel/bad").suffix(2), ["build", "clean"])
        XCTAssertTrue(h.portLog("devel/bad").contains(">>> Running clean"), h.portLog("devel/bad"))
        // The run waited for the clean: nothing of it is still running.
        XCTAssertTrue(h.runners["localhost"]!.live.isEmpty)
        XCTAssertTrue((h.files.list(h.logs.workdirDirectory) ?? []).isEmpty)
    }

    func testAFailedWholeTreeListingFailsTheRun() throws {
        let h = try Harness()
        h.tree.addLayered(5)
        h.tree.listingFails = true
        XCTAssertEqual(try h.run(), 1)
        XCTAssertTrue(h.reporter.events.contains { $0.contains("make dump-vars for the whole tree failed") },
                      h.reporter.events.joined(separator: "\n"))
        XCTAssertTrue(h.tree.phases.isEmpty)
    }

    func testASignalStopsJobsWithTermThenKillAfterTheGrace() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/deaf", seconds: 10_000, ignoresTerm: true))
        h.config.killGrace = 20
        try h.prepare()
        h.world.signal(SIGINT, after: 30)
        XCTAssertEqual(try h.run(), 128 + SIGINT)
        let stops = h.runners["localhost"]!.stops.filter { $0.0 == "devel/deaf" }
        XCTAssertEqual(stops.map { $0.1 }, [false, true], "TERM first, then KILL")
        XCTAssertTrue(h.files.exists(h.lockPath("devel/deaf")), "the lock stays for the next run")
        XCTAssertLessThan(h.world.now - h.coordinator.startTime, 60)
        // Named as not finished, on the screen and in the summary.
        XCTAssertEqual(h.coordinator.interrupted.map { $0.0 }, ["devel/deaf"])
        XCTAssertTrue(h.reporter.events.contains { $0.contains("jobNotFinished") && $0.contains("devel/deaf")
                && $0.contains("stopped by signal \(SIGINT)") }, h.reporter.events.suffix(4).joined(separator: "\n"))
    }

    func testTermEndsJobsWaitingForTheHostLockAtOnce() throws {
        let h = try Harness()
        h.tree.addLayered(6)
        try h.prepare()
        // A host lock nobody releases: every job waits before `depends`.
        try h.files.makeDirectory(h.config.lockdir)
        try h.files.replace(h.config.lockdir + "/host:localhost", with: "locked=host:localhost\n")
        h.world.signal(SIGTERM, after: 40)
        XCTAssertEqual(try h.run(), 128 + SIGTERM)
        XCTAssertTrue(h.tree.phases.isEmpty)
        XCTAssertLessThan(h.world.now - h.coordinator.startTime, 42)
    }

    /// The stop file: a job still waiting for the host lock has not started
    /// its phase, so it does not (it used to start once the lock came).
    func testTheStopFileEndsJobsWaitingForTheHostLock() throws {
        let h = try Harness(limit: 600)
        h.tree.addLayered(6)
        try h.prepare()
        try h.files.makeDirectory(h.config.lockdir)
        let lock = h.config.lockdir + "/host:localhost"
        try h.files.replace(lock, with: "locked=host:localhost\n")
        let stop = h.world.now + 40
        h.world.at(stop) { try? h.files.replace(h.logs.stopFile, with: "") }
        h.world.at(stop + 1) { h.files.remove(lock) }
        XCTAssertEqual(try h.run(), 1)
        XCTAssertLessThan(h.world.now - h.coordinator.startTime, 60)
        XCTAssertEqual(h.tree.phases.filter { $0.at > stop }.map { "\($0.path) \($0.phase)" }, [], "a phase started after the stop")
        XCTAssertTrue(h.reporter.events.contains { $0.contains("while it waited for the host lock") })
    }

    /// The summary says what holds each locked path: an earlier run's
    /// failure with its log and how to retry, or a file naming no run.
    func testTheSummarySaysWhatHoldsEachLock() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/broken", seconds: 5, failIn: "build"))
        h.tree.add(FakePort(pkgpath: "devel/other", seconds: 5))
        XCTAssertEqual(try h.run(), 1)
        h.files.remove(h.tree.packageFile("devel/other"))
        try h.files.replace(h.lockPath("devel/other"), with: "garbage\n")
        _ = try h.startOverAndPrepare()
        XCTAssertEqual(try h.run(), 1)
        let broken = h.coordinator.lockedLine("devel/broken")
        XCTAssertTrue(broken.hasPrefix("devel/broken: failed in an earlier run (exit 1 in build, log: "), broken)
        XCTAssertTrue(broken.hasSuffix("remove \(h.lockPath("devel/broken")) to build it again"), broken)
        XCTAssertEqual(h.coordinator.lockedLine("devel/other"),
                       "devel/other: \(h.lockPath("devel/other")) names no bulkbuild (no dpb= line); remove it if no run holds it")
    }

    func testAHostLockOfARunThatDiedMeanwhileIsTakenOver() throws {
        let h = try Harness()
        h.tree.addLayered(6)
        try h.prepare()
        // Another bulkbuild of this machine made it, then was killed: its pid is gone.
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/bin/true")
        try other.run()
        other.waitUntilExit()
        let lock = h.config.lockdir + "/host:localhost"
        h.world.after(3) {
            try? h.files.replace(lock, with: "locked=host:localhost\ndpb=\(other.processIdentifier) on \(h.config.localHost)\npath=devel/x\n")
        }
        XCTAssertEqual(try h.run(), 0, h.reporter.events.suffix(5).joined(separator: "\n"))
        for p in h.tree.ports.keys { XCTAssertTrue(h.tree.packageExists(p), p) }
        XCTAssertTrue(h.reporter.events.contains { $0.contains("removed stale lock \(lock) (bulkbuild \(other.processIdentifier) is gone)") },
                      h.reporter.events.joined(separator: "\n"))
        // A live owner's lock is waited for, as before (testTermEndsJobsWaitingForTheHostLockAtOnce: no owner).
    }

    func testDependsRunsOnlyWhenSomethingIsToBeInstalled() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/leaf", seconds: 5))
        h.tree.add(FakePort(pkgpath: "www/user", deps: ["devel/leaf"], seconds: 5))
        XCTAssertEqual(try h.run(), 0)
        XCTAssertFalse(h.tree.phasesOf("devel/leaf").contains("depends"), "\(h.tree.phasesOf("devel/leaf"))")
        XCTAssertEqual(h.tree.phasesOf("www/user").first, "depends")
    }
}
