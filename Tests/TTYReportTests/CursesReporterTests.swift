import XCTest
import Glibc
import Foundation
import Engine
@testable import TTYReport

/// CursesReporter in this process, on a pseudo-terminal whose other end
/// the test reads: checks what reaches the terminal, byte for byte.
final class CursesReporterTests: XCTestCase {
    var master: Int32 = -1
    var slave: Int32 = -1
    var savedTerm: String?
    var savedLCAll: String?

    override func setUpWithError() throws {
        // posix_openpt and friends do not import; the Linux ioctls do the
        // same: TIOCSPTLCK unlocks, TIOCGPTN names the slave.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0,
              ioctl(master, UInt(0x8004_5430), &number) == 0 else {
            throw XCTSkip("no pseudo-terminal here")
        }
        slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw XCTSkip("cannot open the pty slave") }
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        setSize(rows: 24, cols: 80)
        savedTerm = getenv("TERM").map { String(cString: $0) }
        savedLCAll = getenv("LC_ALL").map { String(cString: $0) }
        setenv("TERM", "xterm", 1)
        setenv("LC_ALL", "C.UTF-8", 1)
    }

    override func tearDown() {
        if let savedTerm { setenv("TERM", savedTerm, 1) } else { unsetenv("TERM") }
        if let savedLCAll { setenv("LC_ALL", savedLCAll, 1) } else { unsetenv("LC_ALL") }
        if slave >= 0 { close(slave) }
        if master >= 0 { close(master) }
    }

    func setSize(rows: UInt16, cols: UInt16) {
        var ws = winsize(ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &ws)
    }

    /// What the reporter wrote to the terminal since the last call.
    func drain() -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        usleep(20_000)
        while true {
            let n = read(master, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }

    func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    func testDrawsDiffsSuspendsAndFinishes() throws {
        let plain = CapturePipe()
        var config = CursesReporter.Config()
        config.noCursor = true
        guard let r = CursesReporter.open(fd: slave, config: config, plainFD: plain.writeFD) else {
            return XCTFail("no screen on a pty with TERM=xterm")
        }
        var s = sampleSnapshot(now: Date().timeIntervalSince1970)
        s.jobs[0].path = "japanese/日本語"
        r.update(s, force: true)
        let first = drain()
        XCTAssertTrue(first.contains(0x1b))
        XCTAssertTrue(text(first).contains("I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1 E=2 H=0"))
        XCTAssertTrue(text(first).contains("japanese/日本語\u{1b}"), text(first).debugDescription)
        XCTAssertTrue(text(first).contains("\u{1b}[?25l"), "NO_CURSOR hides the cursor: " + text(first).prefix(300).debugDescription)

        // Same picture: at most the clock moves.
        r.update(s, force: true)
        let same = drain()
        XCTAssertLessThan(same.count, 60, text(same))

        // One counter changes: a small update, not a repaint.
        s.counts.queued = 46
        r.update(s, force: true)
        let small = drain()
        XCTAssertGreaterThan(small.count, 0)
        XCTAssertLessThan(small.count, 200, text(small))
        print("measured: first paint \(first.count) bytes, unchanged \(same.count), one counter \(small.count)")

        // Not forced and too soon: nothing at all.
        s.counts.queued = 47
        r.update(s, force: false)
        XCTAssertEqual(drain().count, 0)

        // A resize is noticed on the next update.
        setSize(rows: 15, cols: 60)
        r.update(s, force: false)
        let resized = text(drain())
        XCTAssertTrue(resized.contains("Q=47"), resized)

        // Ctrl-Z: the terminal is given back, then taken again and redrawn.
        r.suspend()
        let left = text(drain())
        XCTAssertTrue(left.contains("\u{1b}[?1049l") || left.contains("\u{1b}[?47l"), left.debugDescription)
        r.update(s, force: true)
        XCTAssertEqual(drain().count, 0, "nothing drawn while suspended")
        r.resume()
        let back = text(drain())
        XCTAssertTrue(back.contains("I=1234"), back.debugDescription)

        r.event(.hostDown(host: "b9", reason: "cable"), at: s.time)
        r.update(s, force: true)
        XCTAssertTrue(text(drain()).contains("host b9 DOWN: cable"))

        s.ended = true
        r.finish(s)
        let end = text(drain())
        XCTAssertTrue(end.contains("\u{1b}[?25h"), "cursor back")
        let summary = plain.drain()
        XCTAssertTrue(summary.hasPrefix("bulkbuild: run over after 1:02:03: 1326/3700 done"), summary)
        XCTAssertFalse(summary.contains("\u{1b}"))
        // Calls after finish are harmless.
        r.update(s, force: true)
        r.suspend()
        r.resume()
        XCTAssertEqual(drain().count, 0)
    }

    func testNoScreenOnAPipeUnlessForced() {
        let p = CapturePipe()
        XCTAssertNil(CursesReporter.open(fd: p.writeFD))
        setenv("TERM", "dumb", 1)
        XCTAssertNil(CursesReporter.open(fd: slave))
        unsetenv("TERM")
        XCTAssertNil(CursesReporter.open(fd: slave))
        setenv("TERM", "xterm", 1)
        var o = ReporterOptions()
        o.outputFD = slave
        let r = makeReporter(options: o)
        XCTAssertTrue(r is CursesReporter)
        r.finish(sampleSnapshot())
    }

    /// -m on a pipe: with no controlling terminal to use, the screen goes
    /// to the pipe as it is.
    func testForcedScreenOnAPipe() throws {
        let tty = open("/dev/tty", O_RDWR)
        if tty >= 0 { close(tty); throw XCTSkip("this process has a terminal; -m would draw on it") }
        let p = CapturePipe()
        setenv("TERM", "dumb", 1)
        guard let r = CursesReporter.open(fd: p.writeFD, force: true, plainFD: p.writeFD) else {
            return XCTFail("-m gave no screen")
        }
        r.update(sampleSnapshot(), force: true)
        r.finish(sampleSnapshot())
        let out = p.drain()
        XCTAssertTrue(out.contains("\u{1b}["))
        XCTAssertTrue(out.contains("I=1234 B=12"))
    }

    func testLayoutCost() {
        var s = sampleSnapshot()
        s.jobs = (0..<64).map { .init(path: "cat/port\($0)", phase: "build", host: "host\($0 % 8)", pid: Int32($0),
                                      started: s.time - Double($0), logSize: 1000, expectedLogSize: 5000) }
        s.failures = (0..<500).map { .init(path: "cat/fail\($0)", host: nil, logPath: "/l/\($0)", locked: true) }
        s.lockedPaths = (0..<500).map { "cat/lock\($0)" }
        s.history = Array(repeating: s.history[0], count: 50)
        let start = Date()
        for _ in 0..<100 { _ = ScreenLayout.render(s, width: 200, height: 60, now: s.time) }
        let each = Date().timeIntervalSince(start) / 100
        print("measured: layout of 64 jobs, 500 errors, 200x60: \(Int(each * 1e6)) µs")
        XCTAssertLessThan(each, 0.05)
    }
}
