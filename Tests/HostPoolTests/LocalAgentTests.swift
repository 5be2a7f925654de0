// The run's local agent: the real `bulkbuild agent` product behind two
// pipes, driven the way the run's poll loop drives it (its replies read
// when readable, the coordinator queue drained, exits reaped).
import XCTest
import CPosix
@testable import HostPool
#if canImport(Glibc)
import Glibc
#endif

final class LocalAgentTests: XCTestCase {
    var dir = ""
    let queue = CoordinatorQueue()
    let reaper = ChildReaper()
    var agents: [LocalAgent] = []
    /// A `sleep` argument no other test uses, for pgrep.
    let sleepArg = "200.\(getpid() % 100000)"

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "localagent-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for a in agents { a.close() }
        _ = runCommand(["pkill", "-KILL", "-f", "sleep \(sleepArg)"])
        try? FileManager.default.removeItem(atPath: dir)
    }

    func startAgent() throws -> LocalAgent {
        switch LocalAgent.start(executable: try productPath("bulkbuild"), reaper: reaper, queue: queue) {
        case .success(let a):
            agents.append(a)
            return a
        case .failure(let e):
            throw e
        }
    }

    /// One pass of the run's loop until `done()` or the deadline.
    @discardableResult
    func drive(_ agent: LocalAgent?, until done: () -> Bool, timeout: Double = 10) -> Bool {
        let deadline = cp_monotonic() + timeout
        while !done() {
            if cp_monotonic() > deadline { return false }
            var fds = [pollfd(fd: queue.fd, events: Int16(POLLIN), revents: 0)]
            if let agent, agent.isServing { fds.append(pollfd(fd: agent.fd, events: Int16(POLLIN), revents: 0)) }
            _ = poll(&fds, nfds_t(fds.count), 20)
            if fds.count > 1 && fds[1].revents != 0 { agent?.readAvailable() }
            reaper.reap()
            if fds[0].revents != 0 { queue.drain() }
        }
        return true
    }

    func sleepers() -> [Int32] {
        runCommand(["pgrep", "-f", "^sleep \(sleepArg)"]).output.split(separator: "\n").compactMap { Int32($0) }
    }

    func testOutputGoesToTheLogAndTheStatusComesBack() throws {
        let agent = try startAgent()
        let runner = LocalRunner(hostName: "localhost", reaper: reaper, queue: queue)
        runner.agent = agent
        let log = dir + "/task.log"
        var end: TaskEnd?
        _ = runner.start(TaskSpec(argv: ["/bin/sh", "-c", "echo out; echo err >&2; echo \"$PHASE $BULKBUILD_TASK\"; exit 3"],
                                  environment: ["PHASE": "build"], logPath: log, groupMark: "L1-test-devel.x")) { end = $0 }
        XCTAssertTrue(drive(agent, until: { end != nil }))
        XCTAssertEqual(end, .exited(3))
        XCTAssertEqual(readWholeFile(log), "out\nerr\nbuild L1-test-devel.x\n")
        XCTAssertEqual(agent.running, 0)
        // Appended, as every phase of a port goes to one log.
        end = nil
        _ = runner.start(TaskSpec(argv: ["/bin/echo", "again"], logPath: log)) { end = $0 }
        XCTAssertTrue(drive(agent, until: { end != nil }))
        XCTAssertEqual(end, .exited(0))
        XCTAssertEqual(readWholeFile(log), "out\nerr\nbuild L1-test-devel.x\nagain\n")
        // A header goes in first, by the agent (the run writes nothing).
        end = nil
        _ = runner.start(TaskSpec(argv: ["/bin/echo", "third"], logPath: log, logHeader: ">>> Running it\n")) { end = $0 }
        XCTAssertTrue(drive(agent, until: { end != nil }))
        XCTAssertEqual(readWholeFile(log), "out\nerr\nbuild L1-test-devel.x\nagain\n>>> Running it\nthird\n")
    }

    func testWithoutTheAgentTheHeaderGoesFirstToo() throws {
        let runner = LocalRunner(hostName: "localhost", reaper: reaper, queue: queue)
        let log = dir + "/direct.log"
        var end: TaskEnd?
        _ = runner.start(TaskSpec(argv: ["/bin/echo", "out"], logPath: log, logHeader: ">>> Running it\n")) { end = $0 }
        XCTAssertTrue(drive(nil, until: { end != nil }))
        XCTAssertEqual(end, .exited(0))
        XCTAssertEqual(readWholeFile(log), ">>> Running it\nout\n")
    }

    func testACommandThatCannotRunAndALogThatCannotOpenSayWhy() throws {
        let agent = try startAgent()
        let runner = LocalRunner(hostName: "localhost", reaper: reaper, queue: queue)
        runner.agent = agent
        var ends: [TaskEnd] = []
        _ = runner.start(TaskSpec(argv: ["no-such-command-here"], logPath: dir + "/a.log")) { ends.append($0) }
        _ = runner.start(TaskSpec(argv: ["/bin/true"], logPath: dir + "/missing/dir/b.log")) { ends.append($0) }
        XCTAssertTrue(drive(agent, until: { ends.count == 2 }))
        XCTAssertEqual(ends[0], .failedToStart("cannot run no-such-command-here: No such file or directory"))
        XCTAssertEqual(ends[1], .failedToStart("cannot open \(dir)/missing/dir/b.log: No such file or directory"))
        XCTAssertTrue(agent.isServing, "a failed spawn does not end the agent")
    }

    func testStopEndsTheWholeGroup() throws {
        let agent = try startAgent()
        let runner = LocalRunner(hostName: "localhost", reaper: reaper, queue: queue)
        runner.agent = agent
        var end: TaskEnd?
        let handle = runner.start(TaskSpec(argv: ["/bin/sh", "-c", "sleep \(sleepArg) & sleep \(sleepArg); wait"],
                                           logPath: dir + "/s.log")) { end = $0 }
        XCTAssertTrue(drive(agent, until: { self.sleepers().count == 2 && handle.pid > 0 }),
                      "the pid is known once the agent said it started")
        handle.stop(hard: false)
        XCTAssertTrue(drive(agent, until: { end != nil }))
        XCTAssertEqual(end, .signaled(SIGTERM))
        XCTAssertTrue(drive(agent, until: { self.sleepers().isEmpty }), "left: \(sleepers())")
    }

    func testAKilledAgentLosesItsTasksAndTheirGroupsGo() throws {
        let agent = try startAgent()
        let runner = LocalRunner(hostName: "localhost", reaper: reaper, queue: queue)
        runner.agent = agent
        var ends: [TaskEnd] = []
        for i in 0..<2 {
            _ = runner.start(TaskSpec(argv: ["sleep", sleepArg], logPath: dir + "/k\(i).log")) { ends.append($0) }
        }
        XCTAssertTrue(drive(agent, until: { self.sleepers().count == 2 }))
        // Stopped, it cannot end its tasks itself when killed.
        kill(agent.pid, SIGSTOP)
        kill(agent.pid, SIGKILL)
        XCTAssertTrue(drive(agent, until: { ends.count == 2 }))
        for e in ends {
            guard case .lost(let why) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(why.contains("local agent"), why)
        }
        XCTAssertFalse(agent.isServing)
        XCTAssertTrue(drive(agent, until: { self.sleepers().isEmpty }), "left: \(sleepers())")
        // The runner spawns by itself from then on.
        var end: TaskEnd?
        _ = runner.start(TaskSpec(argv: ["/bin/echo", "direct"], logPath: dir + "/d.log")) { end = $0 }
        XCTAssertTrue(drive(agent, until: { end != nil }))
        XCTAssertEqual(end, .exited(0))
        XCTAssertEqual(readWholeFile(dir + "/d.log"), "direct\n")
    }

    func testClosingTheAgentEndsWhatStillRuns() throws {
        let agent = try startAgent()
        let runner = LocalRunner(hostName: "localhost", reaper: reaper, queue: queue)
        runner.agent = agent
        _ = runner.start(TaskSpec(argv: ["sleep", sleepArg], logPath: dir + "/c.log")) { _ in }
        XCTAssertTrue(drive(agent, until: { self.sleepers().count == 1 }))
        let pid = agent.pid
        agent.close()
        XCTAssertTrue(drive(agent, until: { self.sleepers().isEmpty }), "left: \(sleepers())")
        XCTAssertTrue(drive(agent, until: { kill(pid, 0) != 0 }), "the agent did not exit")
    }
}
