import XCTest
import Glibc
import Engine
@testable import TTYReport

/// A pipe whose read end is drained without blocking.
final class CapturePipe {
    let readFD: Int32
    let writeFD: Int32
    init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        readFD = fds[0]; writeFD = fds[1]
        _ = fcntl(readFD, F_SETFL, fcntl(readFD, F_GETFL) | O_NONBLOCK)
    }
    deinit { close(readFD); close(writeFD) }

    func drain() -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(readFD, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    func lines() -> [String] { drain().split(separator: "\n").map(String.init) }
}

final class PlainReporterTests: XCTestCase {
    let t0: Double = 1_800_000_000

    func testEventsGiveOneStampedLineEach() {
        let p = CapturePipe()
        let r = PlainReporter(fd: p.writeFD, clock: { self.t0 })
        let events: [(ReportEvent, String)] = [
            (.jobStarted(path: "devel/gmake", host: nil), "started devel/gmake on localhost"),
            (.jobEnded(path: "devel/gmake", host: "b2", seconds: 83), "built devel/gmake on b2 in 1m23s"),
            (.jobFailed(path: "lang/bar", host: "b2", log: "/logs/lang/bar.log"), "ERROR lang/bar on b2, log /logs/lang/bar.log"),
            (.jobNotFinished(path: "x/y", host: nil, reason: "host b3 went down"), "NOT FINISHED x/y on localhost: host b3 went down"),
            (.ignored(path: "x/z", reason: "BROKEN"), "ignored x/z: BROKEN"),
            (.hostDown(host: "b3", reason: "no route"), "host b3 DOWN: no route"),
            (.hostUp(host: "b3"), "host b3 up"),
            (.frozen(path: "www/chromium", host: "b2", seconds: 3600), "FROZEN www/chromium on b2: no output for 1h00m"),
            (.killedStuck(path: "www/chromium", host: "b2", seconds: 7200), "KILLED www/chromium on b2: stuck for 2h00m"),
            (.stopRequested, "stop requested: no new jobs, waiting for running ones"),
            (.hotFix(path: "lang/bar"), "hot-fix: lang/bar queued again"),
            (.message("listing: 3 bad ports"), "listing: 3 bad ports"),
        ]
        for (i, (e, _)) in events.enumerated() { r.event(e, at: t0 + Double(i)) }
        let lines = p.lines()
        XCTAssertEqual(lines.count, events.count)
        for (i, (_, want)) in events.enumerated() where i < lines.count {
            XCTAssertEqual(lines[i], ReportFormat.stamp(t0 + Double(i)) + " " + want)
        }
    }

    func testImportantOnlyKeepsErrorsHostsStuckStopHotFixesAndMessages() {
        let p = CapturePipe()
        let r = PlainReporter(fd: p.writeFD, importantOnly: true, clock: { self.t0 })
        r.update(sampleSnapshot(now: t0), force: true)
        r.event(.jobStarted(path: "a/b", host: nil), at: t0)
        r.event(.jobEnded(path: "a/b", host: nil, seconds: 3), at: t0)
        r.event(.ignored(path: "a/c", reason: "x"), at: t0)
        r.event(.hotFix(path: "a/d"), at: t0)
        r.event(.message("hello"), at: t0)
        r.event(.jobFailed(path: "a/e", host: nil, log: "/l/a/e.log"), at: t0)
        r.event(.hostDown(host: "b3", reason: "gone"), at: t0)
        r.event(.hostUp(host: "b3"), at: t0)
        r.event(.frozen(path: "a/f", host: nil, seconds: 100), at: t0)
        r.event(.killedStuck(path: "a/f", host: nil, seconds: 200), at: t0)
        r.event(.stopRequested, at: t0)
        let lines = p.lines().map { String($0.dropFirst(20)) }
        // Hot-fixes and bulkbuild's own messages (stale locks, no usable
        // host) are kept too; job starts, ends and ignored ports are not.
        XCTAssertEqual(lines, ["hot-fix: a/d queued again", "hello",
                               "ERROR a/e on localhost, log /l/a/e.log", "host b3 DOWN: gone", "host b3 up",
                               "FROZEN a/f on localhost: no output for 1m40s",
                               "KILLED a/f on localhost: stuck for 3m20s",
                               "stop requested: no new jobs, waiting for running ones"])
        r.finish(sampleSnapshot(now: t0))
        let end = p.lines()
        XCTAssertTrue(end[0].contains(" I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1 E=2 H=0 J=3 elapsed 1:02:03 done 1326/3700"), end[0])
        XCTAssertTrue(end.contains("error: lang/bar on b2, log /logs/lang/bar.log"), "\(end)")
    }

    func testSummaryAtMostOncePerIntervalAndOnlyWhenCountsChange() {
        let p = CapturePipe()
        var now = t0
        let r = PlainReporter(fd: p.writeFD, summaryInterval: 60, clock: { now })
        var s = sampleSnapshot(now: t0)
        r.update(s, force: false)
        var lines = p.lines()
        XCTAssertEqual(lines.count, 1)
        XCTAssertEqual(lines.first, ReportFormat.stamp(t0) + " I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1 E=2 H=0 J=3 " +
                       "elapsed 1:02:03 done 1326/3700 " + ReportFormat.eta(s, now: t0))
        // Counts change, but within the minute: nothing.
        for i in 1...30 {
            now = t0 + Double(i)
            s.counts.queued += 1
            r.update(s, force: true)
        }
        XCTAssertEqual(p.lines(), [])
        // A minute later: one line with the new counts.
        now = t0 + 61
        r.update(s, force: false)
        lines = p.lines()
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].contains(" Q=75 "), lines[0])
        // Another minute, counts unchanged: nothing.
        now = t0 + 200
        r.update(s, force: false)
        XCTAssertEqual(p.lines(), [])
        // The end always prints.
        s.ended = true
        r.finish(s)
        lines = p.lines()
        XCTAssertTrue(lines[0].hasPrefix(ReportFormat.stamp(t0 + 200) + " I=1234"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("bulkbuild: run over after"), lines[1])
        // Nothing after finish.
        r.event(.hostUp(host: "x"), at: now)
        r.update(s, force: true)
        XCTAssertEqual(p.lines(), [])
    }

    func testNoEscapeSequencesEvenFromHostileNames() {
        let p = CapturePipe()
        let r = PlainReporter(fd: p.writeFD, summaryInterval: 0, clock: { self.t0 })
        var s = sampleSnapshot(now: t0)
        s.failures[0].path = "evil/\u{1b}]0;pwned\u{07}"
        r.update(s, force: true)
        r.event(.jobFailed(path: "evil/\u{1b}[2J", host: "h\u{9b}1m", log: "/x\ny"), at: t0)
        r.event(.message("a\u{1b}[31mred"), at: t0)
        r.finish(s)
        let out = p.drain()
        XCTAssertFalse(out.isEmpty)
        XCTAssertFalse(out.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x9b || $0.value == 0x07 })
        XCTAssertTrue(out.contains("ERROR evil/?[2J on h?1m, log /x?y\n"), out)
    }

    func testFactoryPicksPlainWithoutATerminal() {
        let p = CapturePipe()
        var o = ReporterOptions()
        o.outputFD = p.writeFD
        XCTAssertTrue(makeReporter(options: o) is PlainReporter)
        o.importantOnly = true
        XCTAssertTrue(makeReporter(options: o) is PlainReporter)
        // -x wins over -m.
        o.forceScreen = true
        XCTAssertTrue(makeReporter(options: o) is PlainReporter)
        XCTAssertFalse(TerminalCheck.usable(term: "dumb", fd: p.writeFD))
        XCTAssertFalse(TerminalCheck.usable(term: nil, fd: p.writeFD))
        XCTAssertFalse(TerminalCheck.usable(term: "no-such-terminal-type", fd: p.writeFD))
        XCTAssertTrue(TerminalCheck.usable(term: "xterm", fd: p.writeFD))
    }
}
