import XCTest
import CPosix
@testable import HostPool
#if canImport(Glibc)
import Glibc
#endif

final class RemoteRunnerTests: XCTestCase {
    var ssh: SSHFixture!
    var driver: SyncDriver!
    var runners: [RemoteRunner] = []

    override func setUpWithError() throws {
        guard access("/usr/sbin/sshd", X_OK) == 0 else { throw XCTSkip("no /usr/sbin/sshd (apt-get install openssh-server)") }
        ssh = try SSHFixture()
        driver = SyncDriver()
    }

    override func tearDown() {
        for r in runners { r.shutdown(killTasks: true) }
        runners = []
        ssh?.tearDown()
    }

    func runner(_ alias: String, events: ((HostEvent) -> Void)? = nil) -> RemoteRunner {
        let r = RemoteRunner(target: ssh.target(alias), queue: driver.queue, onEvent: events)
        runners.append(r)
        return r
    }

    func log(_ name: String) -> String { "\(ssh.dir)/\(name).log" }

    func testTaskOutputGoesToLocalLogAndStatusComesBack() throws {
        try ssh.startServer(alias: "good")
        var events: [HostEvent] = []
        let r = runner("good") { events.append($0) }
        let path = log("task")
        writeFile(path, ">>> before\n")
        let end = driver.runTask(r, TaskSpec(argv: ["sh", "-c", "echo out; echo err >&2; echo \"$GREETING\"; exit 3", "x"],
                                             environment: ["GREETING": "it's a 'quoted' $word"], logPath: path,
                                             logHeader: ">>> header\n"),
                                 timeout: 30)
        XCTAssertEqual(end, .exited(3))
        let text = readWholeFile(path) ?? ""
        // The header goes in before anything the task prints.
        XCTAssertTrue(text.hasPrefix(">>> before\n>>> header\n"), text)
        XCTAssertTrue(text.contains("out\n"), text)
        XCTAssertTrue(text.contains("err\n"), text)
        XCTAssertTrue(text.contains("it's a 'quoted' $word\n"), text)
        XCTAssertFalse(text.contains("bulkbuild-pgid"), text)
        XCTAssertEqual(events, [.up])
        XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["true"], logPath: path), timeout: 30), .exited(0))
        XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["/nonexistent/cmd"], logPath: path), timeout: 30), .exited(127))
    }

    func testTwentyConcurrentChannelsOnOneSession() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        var ends: [Int: TaskEnd] = [:]
        let t0 = cp_monotonic()
        for i in 0..<20 {
            driver.start(r, TaskSpec(argv: ["sh", "-c", "sleep 1; echo task $0; exit $0", "\(i)"],
                                     logPath: log("c\(i)"))) { ends[i] = $0 }
        }
        XCTAssertTrue(driver.run(until: { ends.count == 20 }, timeout: 60))
        let elapsed = cp_monotonic() - t0
        XCTAssertLessThan(elapsed, 10, "20 x sleep 1 should overlap")
        for i in 0..<20 {
            XCTAssertEqual(ends[i], .exited(Int32(i)))
            XCTAssertEqual(readWholeFile(log("c\(i)")), "task \(i)\n")
        }
    }

    func testStopKillsTheRemoteProcessGroup() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        let pidFile = "\(ssh.dir)/sleep.pid"
        var end: TaskEnd? = nil
        let h = driver.start(r, TaskSpec(argv: ["sh", "-c", "sleep 300 & echo $! > \(pidFile); wait"],
                                         logPath: log("stop"))) { end = $0 }
        XCTAssertTrue(driver.run(until: { h.pid > 0 && (readWholeFile(pidFile) ?? "").hasSuffix("\n") }, timeout: 30))
        guard let sleepPid = Int32((readWholeFile(pidFile) ?? "").trimmingSpaces()) else {
            return XCTFail("no pid file; pgid \(h.pid), log: \(readWholeFile(log("stop")) ?? "")")
        }
        XCTAssertTrue(processAlive(sleepPid))
        h.stop(hard: false)
        XCTAssertTrue(driver.run(until: { end != nil }, timeout: 30))
        XCTAssertEqual(end, .signaled(SIGTERM))
        let deadline = cp_monotonic() + 5
        while processAlive(sleepPid) && cp_monotonic() < deadline { usleep(20_000) }
        XCTAssertFalse(processAlive(sleepPid), "the sleep child survived stop()")
    }

    func testStopBeforeThePgidIsKnown() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        var end: TaskEnd? = nil
        let h = driver.start(r, TaskSpec(argv: ["sleep", "300"], logPath: log("early"))) { end = $0 }
        h.stop(hard: true)
        XCTAssertTrue(driver.run(until: { end != nil }, timeout: 30))
        XCTAssertEqual(end, .signaled(SIGKILL))
    }

    func testUnknownHostKeyIsRefusedWithTheFix() throws {
        let s = try ssh.startServer(alias: "good", trust: false)
        let error = connectError("good")
        XCTAssertEqual(error?.kind, .hostKeyUnknown)
        let text = error?.description ?? ""
        XCTAssertTrue(text.contains("is not known"), text)
        XCTAssertTrue(text.contains("ssh-keyscan -p \(s.port) 127.0.0.1 >> \(ssh.knownHostsPath)"), text)
        XCTAssertTrue(text.contains("SHA256:"), text)
    }

    func testChangedHostKeyIsRefusedWithTheFix() throws {
        let s = try ssh.startServer(alias: "good", trust: false)
        let other = try ssh.makeKey("impostor")
        ssh.trustKey(of: s, key: other)
        let error = connectError("good")
        XCTAssertEqual(error?.kind, .hostKeyChanged)
        let text = error?.description ?? ""
        XCTAssertTrue(text.contains("CHANGED"), text)
        XCTAssertTrue(text.contains("ssh-keygen -R '[127.0.0.1]:\(s.port)'"), text)
        XCTAssertTrue(text.contains("ssh-keyscan -p \(s.port) 127.0.0.1"), text)
    }

    func testWrongKeyIsNotAuthenticated() throws {
        try ssh.startServer(alias: "good")
        _ = try ssh.makeKey("stranger")
        let cfg = ssh.configPath + ".stranger"
        let text = (readWholeFile(ssh.configPath) ?? "").components(separatedBy: ssh.clientKey)
        writeFile(cfg, text.joined(separator: "\(ssh.dir)/stranger"))
        var t = ssh.target("good")
        t.configFile = cfg
        XCTAssertThrowsError(try SSHSession.connect(t)) {
            XCTAssertEqual(($0 as? SSHError)?.kind, .auth, "\($0)")
        }
    }

    func testRunnerReportsDownThenLostTasksWhenTheServerDies() throws {
        let s = try ssh.startServer(alias: "good")
        var events: [HostEvent] = []
        let r = RemoteRunner(target: ssh.target("good"), queue: driver.queue, retryFirst: 0.2, retryMax: 1) {
            events.append($0)
        }
        runners.append(r)
        XCTAssertTrue(driver.run(until: { events == [.up] }, timeout: 30))
        var end: TaskEnd? = nil
        driver.start(r, TaskSpec(argv: ["sleep", "300"], logPath: log("dies"))) { end = $0 }
        driver.run(until: { false }, timeout: 0.5)
        // Killing the fixture's sshd and its per-connection children (by
        // pid) drops the connection.
        for pid in [s.pid] + descendants(of: s.pid) { kill(pid, SIGKILL) }
        XCTAssertTrue(driver.run(until: { end != nil && events.count >= 2 }, timeout: 15))
        if case .lost = end! {} else { XCTFail("expected lost, got \(end!)") }
        if case .down = events[1] {} else { XCTFail("expected down, got \(events)") }
        var status: Int32 = 0
        _ = waitpid(s.pid, &status, 0)
        ssh.servers.removeAll()
    }

    private func connectError(_ alias: String) -> SSHError? {
        do {
            _ = try SSHSession.connect(ssh.target(alias))
            XCTFail("connected")
            return nil
        } catch { return error as? SSHError }
    }
}

func processAlive(_ pid: Int32) -> Bool {
    guard let stat = readWholeFile("/proc/\(pid)/stat") else { return false }
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Every process below `pid`, from /proc.
func descendants(of pid: Int32) -> [Int32] {
    var parent: [Int32: Int32] = [:]
    guard let d = opendir("/proc") else { return [] }
    defer { closedir(d) }
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        guard let p = Int32(name), let stat = readWholeFile("/proc/\(p)/stat"),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 2, let pp = Int32(fields[1]) { parent[p] = pp }
    }
    var out: [Int32] = []
    var frontier = [pid]
    while let p = frontier.popLast() {
        for (child, pp) in parent where pp == p { out.append(child); frontier.append(child) }
    }
    return out
}
