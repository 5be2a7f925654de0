import Synchronization
import XCTest
import Glibc
import Foundation
import Engine
@testable import TTYReport

/// The real `bulkbuild monitor` in a real terminal: a detached tmux
/// session on a private server, read back with capture-pane.
final class TerminalTests: XCTestCase {
    var socket = ""
    var dir = ""
    var bin = ""
    var session = ""
    var tmuxEnv: [String] = []
    /// Numbers the tmux sessions of this process's tests.
    static let counter = Synchronization.Atomic<Int>(0)

    override func setUpWithError() throws {
        guard which("tmux") != nil else { throw XCTSkip("tmux is not installed") }
        guard let b = bulkbuildBinary() else {
            XCTFail("no bulkbuild binary next to the test bundle: swift build --product bulkbuild first")
            throw XCTSkip("no binary")
        }
        bin = b
        let n = TerminalTests.counter.add(1, ordering: .relaxed).newValue
        socket = "bbtty-\(getpid())"
        session = "mon\(n)"
        // Unique, so no other test's (or run's) status file is ever beside it.
        dir = NSTemporaryDirectory() + "/bbtty-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        tmuxEnv = environment(["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm", "TMUX": nil])
    }

    override func tearDown() {
        if !socket.isEmpty {
            tmux(["kill-session", "-t", session])
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    override class func tearDown() {
        spawn(["tmux", "-L", "bbtty-\(getpid())", "kill-server"])
    }

    // MARK: helpers

    @discardableResult
    func tmux(_ args: [String]) -> Spawned {
        spawn(["tmux", "-u", "-f", "/dev/null", "-L", socket] + args, env: tmuxEnv, timeout: 10)
    }

    func write(_ s: RunSnapshot) throws {
        try StatusFile.write(s, to: StatusFile.path(inLogDir: dir))
    }

    /// Why a test cannot go on (already reported with XCTFail).
    struct Stopped: Error, CustomStringConvertible { let description: String }

    /// Fails the test with tmux's reason when the session does not start
    /// (no server, /dev/null not a device): the screen would stay empty.
    func start(_ command: String, width: Int = 120, height: Int = 30) throws {
        let r = tmux(["new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", session, command])
        guard r.status == 0 else {
            let why = "tmux could not start a session (exit \(r.status)): \(r.stderr)" + TerminalTests.devNullNote()
            XCTFail(why)
            throw Stopped(description: why)
        }
        tmux(["set-option", "-t", session, "remain-on-exit", "on"])
    }

    /// tmux's server needs /dev/null: say so when it is not a device.
    static func devNullNote() -> String {
        var st = stat()
        guard stat("/dev/null", &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR else {
            return " (/dev/null is not a character device)"
        }
        return ""
    }

    /// The visible rows (`all`: with the scrollback, wrapped rows joined).
    func capture(all: Bool = false) -> [String] {
        var lines = tmux(["capture-pane", "-p", "-t", session] + (all ? ["-J", "-S", "-"] : [])).out
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Captures until `ok` holds (5 s at most); returns the last capture.
    /// Fails the test (rather than let it index an empty screen) when it
    /// never holds.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 5, _ ok: ([String]) -> Bool) throws -> [String] {
        let end = Date().addingTimeInterval(timeout)
        var lines = capture()
        while !ok(lines) && Date() < end {
            usleep(100_000)
            lines = capture()
        }
        guard ok(lines) else {
            let why = "waiting for \(what); screen:\n" + lines.joined(separator: "\n")
            XCTFail(why)
            throw Stopped(description: why)
        }
        return lines
    }

    func paneDead() -> (dead: Bool, status: String) {
        let r = tmux(["display-message", "-p", "-t", session, "#{pane_dead}:#{pane_dead_status}"]).out
        let parts = r.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":", omittingEmptySubsequences: false)
        return (parts.first == "1", parts.count > 1 ? String(parts[1]) : "")
    }

    /// Waits for the pane's process to end. Returns its exit status, or
    /// "exited" when tmux has not reaped it (tmux 3.3 sometimes leaves a
    /// pane's process a zombie after the terminal closed); nil if it runs on.
    func waitForExit(timeout: Double = 5) -> String? {
        let pid = tmux(["display-message", "-p", "-t", session, "#{pane_pid}"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            let d = paneDead()
            if d.dead && !d.status.isEmpty { return d.status }
            if d.dead && !processRuns(pid) { return "exited" }
            usleep(50_000)
        }
        return nil
    }

    /// The process exists and is not a zombie.
    func processRuns(_ pid: String) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
    }

    func snapshot() -> RunSnapshot {
        var s = sampleSnapshot(now: Date().timeIntervalSince1970)
        s.jobs[0].path = "japanese/日本語"
        return s
    }

    // MARK: tests

    func testScreenShowsJobsHostsSummaryAndFollowsChanges() throws {
        var s = snapshot()
        try write(s)
        try start("\(bin) monitor -L \(dir)")
        let lines = try waitFor("the counters") { $0.contains("I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1 E=2 H=0") }
        XCTAssertTrue(lines[0].contains("[4242]"), lines[0])
        XCTAssertTrue(lines.contains { $0.hasPrefix("2*~www/chromium(build)! [5130] on b2 1.1M") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("japanese/日本語(build) [5123] 46%") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("lang/ruby(waiting-for-lock) [5140]") })
        XCTAssertTrue(lines.contains("Hosts: localhost 2/4 b2 1/4 !b3(down: no route)"))
        XCTAssertTrue(lines.contains("E=lang/bar(b2) x11/baz!"))
        XCTAssertTrue(lines.contains("Latest results:"))
        XCTAssertTrue(lines.contains { $0.contains("! FAILED  cat/port28 1m28s log /logs/cat/port28.log") })
        XCTAssertFalse(lines.contains { $0.contains("STOPPED") })

        s.counts.queued = 99
        s.counts.installable = 1300
        s.jobs.remove(at: 1)
        s.failures = []
        try write(s)
        let after = try waitFor("the new counters") { $0.contains("I=1300 B=12 Q=99 T=2345 F=3 !=78 L=1 E=2 H=0") }
        XCTAssertFalse(after.contains { $0.contains("www/chromium(build)") }, after.joined(separator: "\n"))
        XCTAssertFalse(after.contains { $0.hasPrefix("E=") })

        s.stopping = true
        try write(s)
        try waitFor("STOPPED") { $0.first?.contains(" STOPPED") == true }

        s.ended = true
        try write(s)
        try waitFor("the run-ended notice") { $0.first?.contains("run ended") == true }
        // Still shows the last state.
        XCTAssertTrue(capture().contains { $0.contains("Q=99") })
    }

    func testResizeRedrawsWithoutGarbage() throws {
        try write(snapshot())
        try start("\(bin) monitor -L \(dir)")
        try waitFor("the first screen") { $0.contains { $0.hasPrefix("Hosts:") } }
        tmux(["resize-window", "-t", session, "-x", "60", "-y", "15"])
        let small = try waitFor("a 60x15 screen") { lines in
            lines.contains { $0.hasPrefix("I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1 E=2 H=0") }
                && lines.first?.contains("[4242]") == true
                && lines.allSatisfy { DisplayText.width(of: $0) <= 60 }
                && lines.contains { $0.hasPrefix("[") && $0.contains("35% ") }
        }
        XCTAssertLessThanOrEqual(small.count, 15)
        for line in small {
            XCTAssertLessThanOrEqual(DisplayText.width(of: line), 60, line)
        }
        XCTAssertTrue(small.contains { $0.hasPrefix("Hosts: localhost 2/4 b2 1/4") })
        // Back to a big window: the history comes back.
        tmux(["resize-window", "-t", session, "-x", "120", "-y", "30"])
        try waitFor("history again") { $0.contains("Latest results:") && $0.count >= 29 }
        // Very small: header and counters survive.
        tmux(["resize-window", "-t", session, "-x", "30", "-y", "4"])
        try waitFor("a 30x4 screen") { lines in
            lines.first?.contains("[4242]") == true && lines.contains { $0.hasPrefix("I=1234 B=12") }
                && lines.allSatisfy { DisplayText.width(of: $0) <= 30 }
        }
    }

    func testQuitKeyEndsAndRestoresTheTerminal() throws {
        try write(snapshot())
        try start("\(bin) monitor -L \(dir)")
        try waitFor("the screen") { $0.contains { $0.hasPrefix("Hosts:") } }
        tmux(["send-keys", "-t", session, "q"])
        let status = waitForExit()
        XCTAssertTrue(status == "0" || status == "exited", "monitor still running after q (\(status ?? "running"))")
        // The screen is gone (alternate screen left) and the last line is
        // the plain summary.
        let lines = capture(all: true)
        XCTAssertFalse(lines.contains { $0.hasPrefix("Hosts:") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("bulkbuild monitor: I=1234") }, lines.joined(separator: "\n"))
    }

    func testInterruptEndsTheMonitor() throws {
        try write(snapshot())
        try start("\(bin) monitor -L \(dir)")
        try waitFor("the screen") { $0.contains { $0.hasPrefix("Hosts:") } }
        tmux(["send-keys", "-t", session, "C-c"])
        let status = waitForExit()
        XCTAssertTrue(status == "0" || status == "exited", "after ^C: \(status ?? "running")")
        // The clean way out: terminal restored, summary printed.
        XCTAssertTrue(capture(all: true).contains { $0.hasPrefix("bulkbuild monitor: I=1234") })
    }

    func testDumbTerminalGetsPlainLines() throws {
        var s = snapshot()
        s.ended = true
        try write(s)
        let raw = dir + "/pane.raw"
        // The pause lets pipe-pane start before the monitor writes.
        try start("sleep 1; TERM=dumb \(bin) monitor -L \(dir); sleep 30")
        XCTAssertEqual(tmux(["pipe-pane", "-t", session, "-o", "cat > \(raw)"]).status, 0)
        try waitFor("the final summary") { $0.contains { $0.hasPrefix("bulkbuild: run over after") } }
        usleep(200_000)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: raw))
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertFalse(bytes.contains(0x1b), text)
        XCTAssertTrue(text.contains(" I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1 E=2 H=0"), text)
        XCTAssertTrue(text.contains("error: lang/bar on b2, log /logs/lang/bar.log"), text)
    }

    func testPipeGetsPlainLines() throws {
        var s = snapshot()
        s.ended = true
        try write(s)
        let r = spawn([bin, "monitor", "-L", dir],
                      env: environment(["TERM": "xterm-256color", "LANG": "C.UTF-8"]), timeout: 10)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains(0x1b), r.out)
        XCTAssertTrue(r.out.contains(" I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1 E=2 H=0 J=3 elapsed 1:02:03 done 1326/3700"), r.out)
        XCTAssertTrue(r.out.contains("bulkbuild: run over after 1:02:03: 1326/3700 done"), r.out)
    }

    func testMissingOrCorruptStatusFileIsAnError() throws {
        let path = dir + "/status.json"
        try "{not json".write(toFile: path, atomically: true, encoding: .utf8)
        var r = spawn([bin, "monitor", "-L", dir], timeout: 10)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(path), r.stderr)
        XCTAssertTrue(r.stderr.contains("not a valid status file"), r.stderr)

        let t0 = Date()
        r = spawn([bin, "monitor", "-L", dir + "/nowhere"], timeout: 15)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(dir + "/nowhere/status.json: no such file"), r.stderr)
        XCTAssertGreaterThan(Date().timeIntervalSince(t0), 4) // waited for it first

        // Without -L the current directory must hold status.json: run in
        // an empty directory of the test's own, never the shared temp one.
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        r = spawn(["sh", "-c", "cd \(dir)/empty && exec \(bin) monitor"], timeout: 10)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("-L"), r.stderr)
        r = spawn([bin, "monitor", "-Z"], timeout: 10)
        XCTAssertEqual(r.status, 2)
    }

    func testStatusFileAppearingLateIsWaitedFor() throws {
        let s = snapshot()
        let writer = Thread { [dir] in
            usleep(1_500_000)
            var e = s
            e.ended = true
            try? StatusFile.write(e, to: dir + "/status.json")
        }
        writer.start()
        let r = spawn([bin, "monitor", "-L", dir], env: environment(["TERM": "dumb"]), timeout: 15)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("I=1234"), r.out)
    }
}

extension TerminalTests {
    /// Outside a UTF-8 locale, non-ASCII names become `?` rather than
    /// bytes the terminal would misread.
    func testNonUTF8LocaleFallsBackToASCII() throws {
        try write(snapshot())
        try start("env LC_ALL=C LANG=C \(bin) monitor -L \(dir)")
        let lines = try waitFor("the screen") { $0.contains { $0.hasPrefix("Hosts:") } }
        XCTAssertTrue(lines.contains { $0.hasPrefix("japanese/??????(build) [5123]") }, lines.joined(separator: "\n"))
    }
}

extension TerminalTests {
    /// Emoji, combining marks and wide characters at the edge of a narrow
    /// window: nothing wraps onto the next row.
    func testMixedWidthCharactersNeverWrap() throws {
        var s = snapshot()
        s.jobs[0].path = "x/❤️✔e\u{301}👩‍💻日本語の長い名前のパッケージ名前"
        s.jobs[1].path = "y/" + String(repeating: "漢", count: 40)
        s.jobs[2].path = "z/" + String(repeating: "e\u{301}", count: 70)
        try write(s)
        try start("\(bin) monitor -L \(dir)", width: 41, height: 20)
        let lines = try waitFor("the screen") { $0.contains { $0.hasPrefix("Hosts:") } }
        XCTAssertTrue(lines[0].contains("[4242]"), lines[0])
        XCTAssertTrue(lines.contains { $0.hasPrefix("I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("<gcc-4.9.4.tar.gz(#1) [5301] 25%") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("2*~y/漢漢") })
        for line in lines { XCTAssertLessThanOrEqual(DisplayText.width(of: line), 41, line) }
    }
}

extension TerminalTests {
    /// Without a terminal, monitor prints a line per new result and stops
    /// when the run ends.
    func testPlainMonitorPrintsNewResults() throws {
        let first = snapshot()
        try write(first)
        let path = StatusFile.path(inLogDir: dir)
        let writer = Thread {
            usleep(1_500_000)
            var s = first
            s.history.append(.init(time: s.time + 5, path: "cat/new1", outcome: .built, host: "b2",
                                   duration: 61, detail: nil))
            s.history.append(.init(time: s.time + 6, path: "cat/new2", outcome: .failed, host: nil,
                                   duration: 3, detail: "/l/cat/new2.log"))
            s.counts.installable += 1
            s.counts.errors += 1
            s.ended = true
            try? StatusFile.write(s, to: path)
        }
        writer.start()
        let t0 = Date()
        let r = spawn([bin, "monitor", "-L", dir], env: environment(["TERM": "dumb"]), timeout: 15)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 5)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.contains(" I=1234 B=12 Q=45") == true, r.out)
        XCTAssertTrue(lines.contains { $0.hasSuffix(" built cat/new1 on b2 in 1m01s") }, r.out)
        XCTAssertTrue(lines.contains { $0.hasSuffix(" ERROR cat/new2 on localhost, log /l/cat/new2.log") }, r.out)
        XCTAssertFalse(r.out.contains("cat/port28"), "old results are not repeated")
        XCTAssertTrue(lines.contains { $0.hasPrefix("bulkbuild: run over after") }, r.out)
    }

    /// A screen without keys (stdin not a terminal) still redraws and
    /// still ends on a signal, without spinning.
    func testScreenWithoutKeyboard() throws {
        try write(snapshot())
        try start("\(bin) monitor -L \(dir) < /dev/null")
        try waitFor("the screen") { $0.contains { $0.hasPrefix("Hosts:") } }
        let pid = tmux(["display-message", "-p", "-t", session, "#{pane_pid}"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let cpu0 = cpuTicks(pid)
        usleep(1_000_000)
        let used = cpuTicks(pid) - cpu0
        XCTAssertLessThan(used, 30, "monitor spins: \(used) ticks in 1 s")
        tmux(["send-keys", "-t", session, "C-c"])
        let status = waitForExit()
        XCTAssertTrue(status == "0" || status == "exited", "after ^C: \(status ?? "running")")
    }

    /// utime + stime of a process, in clock ticks.
    func cpuTicks(_ pid: String) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let f = stat[stat.index(after: close)...].split(separator: " ")
        return f.count > 12 ? (Int(f[11]) ?? 0) + (Int(f[12]) ?? 0) : 0
    }
}

extension TerminalTests {
    /// `-L ports/logs` finds ports/logs/ARCH/status.json when it is the
    /// only one; a bare `monitor` run in ports/logs does not guess.
    func testFindsTheOnlyArchSubdirectory() throws {
        var s = snapshot()
        s.ended = true
        try FileManager.default.createDirectory(atPath: dir + "/amd64", withIntermediateDirectories: true)
        try StatusFile.write(s, to: dir + "/amd64/status.json")
        var r = spawn([bin, "monitor", "-L", dir], env: environment(["TERM": "dumb"]), timeout: 10)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("bulkbuild: run over after 1:02:03"), r.out)
        r = spawn(["sh", "-c", "cd \(dir) && TERM=dumb exec \(bin) monitor"], timeout: 10)
        XCTAssertEqual(r.status, 2, r.out)
        XCTAssertTrue(r.stderr.contains("-L logdir"), r.stderr)
        // Two candidates: no guess.
        try FileManager.default.createDirectory(atPath: dir + "/i386", withIntermediateDirectories: true)
        try StatusFile.write(s, to: dir + "/i386/status.json")
        r = spawn([bin, "monitor", "-L", dir], timeout: 10)
        XCTAssertEqual(r.status, 2, r.out)
    }
}
