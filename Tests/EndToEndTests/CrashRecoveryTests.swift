// Failure injection with the real binary: bulkbuild killed with -9 at
// several points (and its supervisor with it), signals while jobs wait for
// a host lock, lock names the file system refuses, a log directory that
// fills up. Each case must end without a hang, leave no job behind, and
// leave state that the next run finishes from, building nothing twice.
import Foundation
import XCTest

/// The `bulkbuild COMMAND` child of the run `pid` (`supervise`, `agent`).
func helperOf(_ pid: pid_t, _ command: String) -> pid_t? {
    for name in listDirectory("/proc") {
        guard let p = pid_t(name), let stat = readFile("/proc/\(p)/stat"),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, pid_t(fields[1]) == pid else { continue }
        let argv = (readFile("/proc/\(p)/cmdline") ?? "").split(separator: "\0")
        if argv.count == 2 && argv[1] == command { return p }
    }
    return nil
}

final class CrashRecoveryTests: XCTestCase {
    /// Restarts after a kill and checks the end state: exit 0, every
    /// package, no lock, nothing built twice, no job of either run left.
    func restartFinishes(_ bulk: Bulk, killed: pid_t, file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let r = try bulk.run(["-j", "2"], timeout: 180)
        XCTAssertEqual(r.exitCode, 0, r.output, file: file, line: line)
        for p in bulk.tree.manifest.ports { XCTAssertTrue(bulk.tree.hasPackage(p.packages[0]), p.pkgpath, file: file, line: line) }
        XCTAssertTrue(listDirectory(bulk.lockdir).isEmpty, "\(listDirectory(bulk.lockdir))", file: file, line: line)
        let built = bulk.tree.builtLog().map { $0.fullpkgpath }
        XCTAssertEqual(built.count, Set(built).count, "built twice: \(built.sorted())", file: file, line: line)
        XCTAssertTrue(processesMarked(byRun: killed).isEmpty, file: file, line: line)
        for l in (try? FileManager.default.subpathsOfDirectory(atPath: bulk.logdir + "/paths")) ?? [] where l.hasSuffix(".log") {
            XCTAssertFalse((readFile(bulk.logdir + "/paths/" + l) ?? "").contains("concurrent build"), l, file: file, line: line)
        }
        return r
    }

    func testKill9MidBuildLeavesNoJobBehindAndTheRestartBuildsNothingTwice() throws {
        let tree = try TreeFixture(["--ports", "16", "--seed", "4", "--sleep", "4"])
        let bulk = Bulk(tree: tree)
        let p = try bulk.start(["-j", "2"])
        XCTAssertTrue(waitUntil(timeout: 30) { !processesMarked(byRun: p.pid).isEmpty && !bulk.engineLines("J").isEmpty })
        XCTAssertTrue(waitUntil(timeout: 10) { tree.runningBuilds().count >= 1 })
        p.signal(SIGKILL, group: false)
        _ = p.wait(timeout: 10)
        // The local agent (or, for tasks it did not spawn, the supervisor)
        // ends the dead run's groups within seconds.
        XCTAssertTrue(waitUntil(timeout: 8) { processesMarked(byRun: p.pid).isEmpty },
                      "jobs outlived their run: \(processesMarked(byRun: p.pid))")
        // The locks the run left name the mark its jobs' processes carry.
        let locks = listDirectory(bulk.lockdir).filter { !$0.hasPrefix("host:") }
        XCTAssertFalse(locks.isEmpty)
        for name in locks {
            XCTAssertTrue((readFile(bulk.lockdir + "/" + name) ?? "").contains("\ntask=L\(p.pid)-"), name)
        }
        let r = try restartFinishes(bulk, killed: p.pid)
        XCTAssertTrue(r.output.contains("removed stale lock"), r.output)
        // The interrupted ports started over from a clean work directory.
        for name in locks {
            let path = name.replacingOccurrences(of: ".", with: "/")
            let log = readFile(bulk.logdir + "/paths/" + path + ".log") ?? ""
            let lastRun = log.components(separatedBy: ">>> Building on").last ?? ""
            XCTAssertTrue(lastRun.contains(">>> Running clean"), "\(path) did not start with clean:\n\(lastRun)")
        }
    }

    func testKill9OfRunAgentAndSupervisorTheRestartEndsTheOrphansFirst() throws {
        let tree = try TreeFixture(["--ports", "10", "--seed", "5", "--sleep", "6"])
        let bulk = Bulk(tree: tree)
        let p = try bulk.start(["-j", "2"])
        // A job in its 6 s build (a `sleep`): short phases could end before
        // the check below, with nothing left to start the next one.
        func sleepers() -> [pid_t] {
            processesMarked(byRun: p.pid).filter { (readFile("/proc/\($0)/cmdline") ?? "").hasPrefix("sleep\0") }
        }
        XCTAssertTrue(waitUntil(timeout: 30) { !sleepers().isEmpty })
        guard let sup = helperOf(p.pid, "supervise") else { return XCTFail("no supervisor process of \(p.pid)") }
        guard let agent = helperOf(p.pid, "agent") else { return XCTFail("no local agent process of \(p.pid)") }
        // The run is stopped first: seeing its agent go, it would end the
        // tasks itself. (A stopped agent would not do: when the run dies,
        // the kernel wakes it with SIGHUP, and it ends its tasks.)
        p.signal(SIGSTOP, group: false)
        kill(agent, SIGKILL)
        kill(sup, SIGKILL)
        p.signal(SIGKILL, group: false)
        _ = p.wait(timeout: 10)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertFalse(sleepers().isEmpty, "with no agent and no supervisor the jobs should still run")
        let r = try restartFinishes(bulk, killed: p.pid)
        XCTAssertTrue(r.output.contains("ended process group"), r.output)
    }

    func testKill9DuringTheListingAndNearTheEnd() throws {
        let tree = try TreeFixture(["--ports", "40", "--seed", "6", "--sleep", "0.3"])
        let bulk = Bulk(tree: tree)
        let early = try bulk.start(["-j", "2"], name: "early")
        XCTAssertTrue(waitUntil(timeout: 20) { FileManager.default.fileExists(atPath: bulk.logdir + "/engine.log") })
        early.signal(SIGKILL, group: false)
        _ = early.wait(timeout: 10)
        XCTAssertTrue(waitUntil(timeout: 8) { processesMarked(byRun: early.pid).isEmpty })

        let late = try bulk.start(["-j", "2"], name: "late")
        XCTAssertTrue(waitUntil(timeout: 120) { tree.builtLog().count >= 34 })
        late.signal(SIGKILL, group: false)
        _ = late.wait(timeout: 10)
        XCTAssertTrue(waitUntil(timeout: 8) { processesMarked(byRun: late.pid).isEmpty })
        _ = try restartFinishes(bulk, killed: late.pid)
    }

    func testAPortFoundBuiltAfterACrashDropsItsAffinityAndSaysSo() throws {
        let tree = try TreeFixture(["--ports", "6", "--seed", "8", "--sleep", "5"])
        let bulk = Bulk(tree: tree)
        let p = try bulk.start(["-j", "1"])
        // The job is past fetch (affinity written) and building.
        XCTAssertTrue(waitUntil(timeout: 30) { !listDirectory(bulk.logdir + "/affinity").isEmpty })
        p.signal(SIGKILL, group: false)
        _ = p.wait(timeout: 10)
        XCTAssertTrue(waitUntil(timeout: 8) { processesMarked(byRun: p.pid).isEmpty })
        let name = listDirectory(bulk.logdir + "/affinity")[0]
        let path = readFile(bulk.logdir + "/affinity/" + name).flatMap { text in
            text.split(separator: "\n").first { $0.hasPrefix("path=") }.map { String($0.dropFirst(5)) }
        } ?? ""
        // Its package turns up whole (as the atomic `package` step leaves it)
        // before the next run starts.
        let hand = try tree.buildByHand(path, phases: ["clean", "depends", "prepare", "fetch", "patch", "configure", "build", "fake", "package"])
        XCTAssertTrue(hand.succeeded, hand.output)
        let r = try bulk.run(["-j", "2"], timeout: 120)
        XCTAssertEqual(r.exitCode, 0, r.output)
        XCTAssertTrue(listDirectory(bulk.logdir + "/affinity").isEmpty, "\(listDirectory(bulk.logdir + "/affinity"))")
        XCTAssertTrue(bulk.engineLines("B").contains { $0.contains(" \(path) package of an interrupted job, complete") },
                      bulk.engineLines("B").joined(separator: "\n"))
    }

    func testTermEndsARunWhoseJobsWaitForTheHostLock() throws {
        let tree = try TreeFixture(["--ports", "8", "--seed", "3", "--sleep", "0.2"])
        let bulk = Bulk(tree: tree)
        // A host lock nobody will release (no owner line: never stale).
        try FileManager.default.createDirectory(atPath: bulk.lockdir, withIntermediateDirectories: true)
        try writeFile(bulk.lockdir + "/host:localhost", "locked=host:localhost\n")
        let p = try bulk.start(["-j", "2", "-D", "KILL_GRACE=30"])
        XCTAssertTrue(waitUntil(timeout: 30) { bulk.file("status.json").contains("waiting-for-lock") })
        p.signal(SIGTERM, group: false)
        let status = p.wait(timeout: 10)
        XCTAssertEqual(status?.exitCode, 128 + SIGTERM, "still running 10 s after TERM: " + p.stdout + p.stderr)
    }

    func testSecondTermKillsEverythingAndExits() throws {
        let tree = try TreeFixture(["--ports", "4", "--seed", "3", "--sleep", "60"])
        let bulk = Bulk(tree: tree)
        let p = try bulk.start(["-j", "2", "-D", "KILL_GRACE=120"])
        // Both jobs in their long build phase: none is between two phases,
        // where a new, unstopped task would take the first TERM and end it.
        func sleepers() -> [pid_t] {
            processesMarked(byRun: p.pid).filter { (readFile("/proc/\($0)/cmdline") ?? "").hasPrefix("sleep\0") }
        }
        XCTAssertTrue(waitUntil(timeout: 30) { sleepers().count >= 2 }, "\(processesMarked(byRun: p.pid))")
        // Jobs that ignore TERM: the first TERM alone would wait KILL_GRACE.
        for pid in processesMarked(byRun: p.pid) { kill(pid, SIGSTOP) }
        p.signal(SIGTERM, group: false)
        Thread.sleep(forTimeInterval: 1)
        XCTAssertTrue(p.isRunning, "the first TERM waits for the jobs")
        p.signal(SIGTERM, group: false)
        let status = p.wait(timeout: 10)
        XCTAssertEqual(status?.exitCode, 128 + SIGTERM, p.stdout + p.stderr)
        XCTAssertTrue(waitUntil(timeout: 5) { processesMarked(byRun: p.pid).isEmpty })
    }

    func testALockNameTooLongFailsThatPortAndTheRunEnds() throws {
        let tree = try TreeFixture(["--ports", "4", "--seed", "2"])
        // A port whose directory name is fine but whose lock name
        // (`devel.` + name) is over the 255-byte limit.
        let long = String(repeating: "x", count: 250)
        let dir = tree.treePath("devel/" + long)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try writeFile(dir + "/data", """
            @PKGPATH=devel/\(long)
            @LOCK=devel.longname
            @SLEEP=0.00
            @NEEDS=""
            @IGNORE=
            @PKGS="longname-1.0.tgz"
            @FLAVORS=
            %
            devel/\(long).FULLPKGNAME=longname-1.0
            devel/\(long).COMMENT="a port with a very long directory name"

            """)
        let index = tree.treePath("INDEX")
        try writeFile(index, (readFile(index) ?? "") + "devel/\(long)\n")
        let r = try Bulk(tree: tree).run(["-j", "2"], timeout: 60)
        XCTAssertFalse(r.timedOut, "the run did not end")
        XCTAssertEqual(r.exitCode, 1, r.output)
        XCTAssertTrue(r.output.contains("failed: devel/\(long): cannot lock"), r.output)
        XCTAssertTrue(r.output.contains("File name too long"), r.output)
        for p in tree.manifest.ports { XCTAssertTrue(tree.hasPackage(p.packages[0]), p.pkgpath) }
    }

    func testAFullLogDirectoryStopsTheRunLoudlyAndARerunFinishes() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let tree = try TreeFixture(["--ports", "30", "--seed", "11", "--log-lines", "3000"])
        let logs = tree.path("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let mount = try runProcess(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", logs])
        guard mount.exitCode == 0 else { throw XCTSkip("cannot mount a tmpfs here: \(mount.output)") }
        defer { _ = try? runProcess(["umount", "-l", logs]) }
        let bulk = Bulk(tree: tree)
        let r = try bulk.run(["-j", "2"], timeout: 120)
        XCTAssertFalse(r.timedOut, "a full log directory hung the run")
        XCTAssertEqual(r.exitCode, 1, r.output)
        XCTAssertTrue(r.output.contains("No space left on device"), r.output)
        XCTAssertTrue(r.output.contains("stopped: storage failed: "), r.output)
        // No empty lock blocks the host or a port.
        for name in listDirectory(bulk.lockdir) {
            XCTAssertFalse((readFile(bulk.lockdir + "/" + name) ?? "").isEmpty, "empty lock \(name)")
        }
        // The same directory with room again: the next run finishes.
        XCTAssertEqual(try runProcess(["mount", "-o", "remount,size=64m", logs]).exitCode, 0)
        let again = try bulk.run(["-j", "2"], timeout: 180)
        XCTAssertEqual(again.exitCode, 0, again.output)
        for p in tree.manifest.ports { XCTAssertTrue(tree.hasPackage(p.packages[0]), p.pkgpath) }
    }

    /// The port log's part written by the last job of `path`.
    func lastJob(_ bulk: Bulk, _ path: String) -> String {
        (readFile(bulk.logdir + "/paths/" + path + ".log") ?? "").components(separatedBy: ">>> Building on").last ?? ""
    }

    func testALockRemovedByHandBetweenRunsStillStartsTheBuildFromClean() throws {
        let tree = try TreeFixture(["--ports", "5", "--seed", "2", "--max-deps", "0"])
        let bulk = Bulk(tree: tree)
        let port = tree.manifest.ports[0]
        try tree.setFail(port.pkgpath, true)
        XCTAssertEqual(try bulk.run(["-j", "2"]).exitCode, 1)
        XCTAssertTrue(fileExists(bulk.logdir + "/workdirs/" + port.pkgpath.replacingOccurrences(of: "/", with: ".")))
        // Fixed, and its lock removed while no run was there to see it.
        try tree.setFail(port.pkgpath, false)
        unlink(bulk.lockdir + "/" + port.pkgpath.replacingOccurrences(of: "/", with: "."))
        let r = try bulk.run(["-j", "2"])
        XCTAssertEqual(r.exitCode, 0, r.output)
        let job = lastJob(bulk, port.paths[0])
        let phases = job.components(separatedBy: "\n").filter { $0.hasPrefix(">>> Running ") }
        XCTAssertEqual(phases.first?.hasPrefix(">>> Running clean"), true, job)
        XCTAssertTrue(listDirectory(bulk.logdir + "/workdirs").isEmpty, "\(listDirectory(bulk.logdir + "/workdirs"))")
    }

    func testAlwaysCleanAfterAFailureIsLoggedAndTrackedToItsEnd() throws {
        let tree = try TreeFixture(["--ports", "3", "--seed", "2", "--max-deps", "0"])
        let bulk = Bulk(tree: tree)
        let port = tree.manifest.ports[0]
        try tree.setFail(port.pkgpath, true)
        let r = try bulk.run(["-j", "2", "-D", "ALWAYS_CLEAN=1"])
        XCTAssertEqual(r.exitCode, 1, r.output)
        let job = lastJob(bulk, port.paths[0])
        let error = try XCTUnwrap(job.range(of: "Error: job failed"), job)
        let clean = try XCTUnwrap(job.range(of: ">>> Running clean", range: error.upperBound..<job.endIndex),
                                  "no clean after the error:\n\(job)")
        XCTAssertTrue(job[clean.upperBound...].contains("Cleaning for"), job)
        // The clean ended before the run did: the work directory is clean
        // and no marker asks the next build to clean again.
        XCTAssertTrue(listDirectory(bulk.logdir + "/workdirs").isEmpty, "\(listDirectory(bulk.logdir + "/workdirs"))")
        XCTAssertTrue(tree.runningBuilds().isEmpty)
    }
}
