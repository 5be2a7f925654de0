// Agent mode of RemoteRunner against a real sshd on loopback: the tasks go
// through `bulkbuild agent` (the built product, at the same path "there"
// since the host is this machine).
import XCTest
import CPosix
@testable import HostPool
#if canImport(Glibc)
import Glibc
#endif

final class AgentTests: XCTestCase {
    var ssh: SSHFixture!
    var driver: SyncDriver!
    var runners: [RemoteRunner] = []
    var bulkbuild = ""
    /// A `sleep` argument no other test uses, for pgrep.
    let sleepArg = "100.\(getpid() % 100000)"

    override func setUpWithError() throws {
        guard access("/usr/sbin/sshd", X_OK) == 0 else { throw XCTSkip("no /usr/sbin/sshd (apt-get install openssh-server)") }
        bulkbuild = try productPath("bulkbuild")
        ssh = try SSHFixture()
        driver = SyncDriver()
    }

    override func tearDown() {
        for r in runners { r.shutdown(killTasks: true) }
        runners = []
        ssh?.tearDown()
        _ = runCommand(["pkill", "-KILL", "-f", "sleep \(sleepArg)"])
    }

    func runner(_ alias: String, agentPath: String? = nil, retry: Double = 2,
                events: ((HostEvent) -> Void)? = nil) -> RemoteRunner {
        var target = ssh.target(alias)
        target.agentPath = agentPath ?? bulkbuild
        let r = RemoteRunner(target: target, queue: driver.queue, retryFirst: retry, retryMax: retry, onEvent: events)
        runners.append(r)
        return r
    }

    func log(_ name: String) -> String { "\(ssh.dir)/\(name).log" }

    func waitUp(_ r: RemoteRunner) {
        XCTAssertTrue(driver.run(until: { r.state == .up }, timeout: 30))
    }

    /// Pids of our `sleep` processes.
    func sleepers() -> [Int32] {
        runCommand(["pgrep", "-f", "^sleep \(sleepArg)"]).output.split(separator: "\n").compactMap { Int32($0) }
    }

    /// The `bulkbuild agent` processes our sleepers run under, found up
    /// their parents: agents of tests in other processes are not ours.
    func agentsOfSleepers() -> Set<Int32> {
        func parent(_ pid: Int32) -> Int32? {
            guard let stat = readWholeFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 ? Int32(fields[1]) : nil
        }
        var out = Set<Int32>()
        for s in sleepers() {
            var p = parent(s)
            while let q = p, q > 1 {
                let argv = (readWholeFile("/proc/\(q)/cmdline") ?? "").split(separator: "\0").map(String.init)
                if argv == [bulkbuild, "agent"] { out.insert(q); break }
                p = parent(q)
            }
        }
        return out
    }

    func waitNoSleepers(_ seconds: Double = 5) -> Bool {
        let deadline = cp_monotonic() + seconds
        while !sleepers().isEmpty {
            if cp_monotonic() > deadline { return false }
            usleep(20_000)
        }
        return true
    }

    func testTaskOutputAndStatusThroughTheAgent() throws {
        try ssh.startServer(alias: "good")
        var events: [HostEvent] = []
        let r = runner("good") { events.append($0) }
        let path = log("task")
        writeFile(path, ">>> before\n")
        let end = driver.runTask(r, TaskSpec(argv: ["sh", "-c", "echo out; echo err >&2; echo \"$GREETING\"; exit 3", "x"],
                                             environment: ["GREETING": "it's a 'quoted' $word"], logPath: path),
                                 timeout: 30)
        XCTAssertEqual(r.dispatchMode, .agent)
        XCTAssertEqual(end, .exited(3))
        XCTAssertEqual(readWholeFile(path), ">>> before\nout\nerr\nit's a 'quoted' $word\n")
        XCTAssertEqual(events, [.up])
        XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["true"], logPath: path), timeout: 30), .exited(0))
        XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["sh", "-c", "kill -USR1 $$"], logPath: path), timeout: 30),
                       .signaled(SIGUSR1))
        XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["/nonexistent/cmd"], logPath: path), timeout: 30), .exited(127))
        XCTAssertTrue((readWholeFile(path) ?? "").contains("cannot run /nonexistent/cmd"))
        // A PATH given with the task is where its command is found.
        let bin = "\(ssh.dir)/bin"
        _ = mkdir(bin, 0o755)
        writeFile("\(bin)/hello-agent", "#!/bin/sh\necho hello from PATH\n")
        chmod("\(bin)/hello-agent", 0o755)
        XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["hello-agent"], environment: ["PATH": "\(bin):/usr/bin:/bin"],
                                                  logPath: log("path")), timeout: 30), .exited(0))
        XCTAssertEqual(readWholeFile(log("path")), "hello from PATH\n")
        // Big output arrives whole and in order.
        XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["seq", "1", "200000"], logPath: log("big")), timeout: 60), .exited(0))
        let big = readWholeFile(log("big")) ?? ""
        XCTAssertEqual(big.utf8.count, runCommand(["seq", "1", "200000"]).output.utf8.count)
        XCTAssertTrue(big.hasSuffix("199999\n200000\n"))
    }

    func testFiftyConcurrentTasks() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        waitUp(r)
        XCTAssertEqual(r.dispatchMode, .agent)
        var ends: [Int: TaskEnd] = [:]
        let t0 = cp_monotonic()
        for i in 0..<50 {
            driver.start(r, TaskSpec(argv: ["sh", "-c", "sleep 1; echo task $0; exit $0", "\(i)"],
                                     logPath: log("c\(i)"))) { ends[i] = $0 }
        }
        XCTAssertTrue(driver.run(until: { ends.count == 50 }, timeout: 60))
        XCTAssertLessThan(cp_monotonic() - t0, 10, "50 x sleep 1 should overlap")
        for i in 0..<50 {
            XCTAssertEqual(ends[i], .exited(Int32(i)))
            XCTAssertEqual(readWholeFile(log("c\(i)")), "task \(i)\n")
        }
    }

    func testStopKillsTheRemoteProcessGroup() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        var end: TaskEnd? = nil
        let h = driver.start(r, TaskSpec(argv: ["sh", "-c", "sleep \(sleepArg) & sleep \(sleepArg)"],
                                         logPath: log("stop"))) { end = $0 }
        XCTAssertTrue(driver.run(until: { h.pid > 0 && self.sleepers().count == 2 }, timeout: 30))
        XCTAssertEqual(r.dispatchMode, .agent)
        h.stop(hard: false)
        XCTAssertTrue(driver.run(until: { end != nil }, timeout: 30))
        XCTAssertEqual(end, .signaled(SIGTERM))
        XCTAssertTrue(waitNoSleepers(), "sleep survived stop(): \(sleepers())")
    }

    func testLostConnectionKillsTheAgentsTasks() throws {
        let s = try ssh.startServer(alias: "good")
        var events: [HostEvent] = []
        let r = runner("good", retry: 0.2) { events.append($0) }
        var end: TaskEnd? = nil
        driver.start(r, TaskSpec(argv: ["sh", "-c", "sleep \(sleepArg) & sleep \(sleepArg)"], logPath: log("dies"))) { end = $0 }
        XCTAssertTrue(driver.run(until: { self.sleepers().count == 2 }, timeout: 30))
        XCTAssertEqual(r.dispatchMode, .agent)
        // Kill sshd (the listener and the connection's processes), not the
        // agent: the agent's input ends and it kills its tasks.
        let sshds = ([s.pid] + descendants(of: s.pid)).filter {
            (readWholeFile("/proc/\($0)/comm") ?? "").hasPrefix("sshd")
        }
        XCTAssertGreaterThan(sshds.count, 1)
        for pid in sshds { kill(pid, SIGKILL) }
        XCTAssertTrue(driver.run(until: { end != nil && events.count >= 2 }, timeout: 15))
        if case .lost = end! {} else { XCTFail("expected lost, got \(end!)") }
        if case .down = events[1] {} else { XCTFail("expected down, got \(events)") }
        XCTAssertTrue(waitNoSleepers(), "the agent's tasks survived the connection: \(sleepers())")
        var status: Int32 = 0
        _ = waitpid(s.pid, &status, 0)
        ssh.servers.removeAll()
    }

    func testAgentDeathLosesTasksThenTheHostComesBack() throws {
        try ssh.startServer(alias: "good")
        var events: [HostEvent] = []
        let r = runner("good", retry: 0.2) { events.append($0) }
        var end: TaskEnd? = nil
        driver.start(r, TaskSpec(argv: ["sleep", sleepArg], logPath: log("agentdies"))) { end = $0 }
        XCTAssertTrue(driver.run(until: { !self.sleepers().isEmpty }, timeout: 30))
        let agents = agentsOfSleepers()
        XCTAssertEqual(agents.count, 1)
        for a in agents { kill(a, SIGKILL) }
        XCTAssertTrue(driver.run(until: { end != nil && events.count >= 3 }, timeout: 15))
        if case .lost = end! {} else { XCTFail("expected lost, got \(end!)") }
        XCTAssertEqual(events.count, 3)
        if events.count == 3 {
            if case .down = events[1] {} else { XCTFail("expected down, got \(events)") }
            XCTAssertEqual(events[2], .up)
        }
        // The orphan killer of the new connection takes the lost task.
        XCTAssertTrue(waitNoSleepers(), "the lost task survived: \(sleepers())")
        XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["true"], logPath: log("again")), timeout: 30), .exited(0))
        XCTAssertEqual(r.dispatchMode, .agent)
    }

    func testSSHAgentZeroForcesChannels() throws {
        try ssh.startServer(alias: "good")
        let host = HostConfig(name: "good", address: "good", isLocal: false)
        for (params, mode) in [(["SSH_AGENT": "0"], DispatchMode.channels), ([:], .agent)] {
            var target = SSHTarget(host: host, parameters: params.merging(["SSH_CONFIG": ssh.configPath]) { a, _ in a })
            target.agentPath = bulkbuild
            let r = RemoteRunner(target: target, queue: driver.queue)
            runners.append(r)
            XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["sh", "-c", "echo $0", "hi"], logPath: log("p\(mode)")),
                                          timeout: 30), .exited(0))
            XCTAssertEqual(r.dispatchMode, mode, "\(params)")
            XCTAssertEqual(readWholeFile(log("p\(mode)")), "hi\n")
        }
    }

    func testNoSameBinaryOnTheHostMeansChannels() throws {
        try ssh.startServer(alias: "good")
        // Missing here and there.
        let r1 = runner("good", agentPath: "/nonexistent/bulkbuild")
        XCTAssertEqual(driver.runTask(r1, TaskSpec(argv: ["true"], logPath: log("n1")), timeout: 30), .exited(0))
        XCTAssertEqual(r1.dispatchMode, .channels)
        // Known here (its version is learnt once), gone "there".
        let copy = "\(ssh.dir)/copy/bulkbuild"
        _ = mkdir("\(ssh.dir)/copy", 0o755)
        XCTAssertEqual(runCommand(["cp", bulkbuild, copy]).status, 0)
        XCTAssertNotNil(localVersion(of: copy))
        unlink(copy)
        let r2 = runner("good", agentPath: copy)
        XCTAssertEqual(driver.runTask(r2, TaskSpec(argv: ["true"], logPath: log("n2")), timeout: 30), .exited(0))
        XCTAssertEqual(r2.dispatchMode, .channels)
        // Another version there.
        writeFile(copy, "#!/bin/sh\necho bulkbuild 0.0.0-other\n")
        chmod(copy, 0o755)
        let r3 = runner("good", agentPath: copy)
        XCTAssertEqual(driver.runTask(r3, TaskSpec(argv: ["sh", "-c", "exit 4"], logPath: log("n3")), timeout: 30), .exited(4))
        XCTAssertEqual(r3.dispatchMode, .channels)
    }
}
