import XCTest
import Engine
@testable import TTYReport

final class LayoutTests: XCTestCase {
    let now: Double = 1_800_000_000

    func render(_ s: RunSnapshot, _ w: Int = 120, _ h: Int = 40) -> [ScreenLine] {
        ScreenLayout.render(s, width: w, height: h, now: now)
    }

    func texts(_ s: RunSnapshot, _ w: Int = 120, _ h: Int = 40) -> [String] {
        render(s, w, h).map(\.text)
    }

    func testHeaderShowsDatePidElapsedAndStopped() {
        var s = sampleSnapshot(now: now)
        var header = texts(s)[0]
        XCTAssertTrue(header.hasPrefix(ReportFormat.headerDate(now) + " [4242]"), header)
        XCTAssertTrue(header.contains("elapsed 1:02:03"), header)
        XCTAssertFalse(header.contains("STOPPED"))
        XCTAssertFalse(header.contains("run ended"))
        s.stopping = true
        s.ended = true
        header = texts(s)[0]
        XCTAssertTrue(header.contains(" STOPPED"), header)
        XCTAssertTrue(header.contains("run ended"), header)
        XCTAssertEqual(render(s)[0].segments.first { $0.text.contains("STOPPED") }?.style, .red)
        // Once ended, elapsed stops at the last snapshot.
        XCTAssertTrue(ScreenLayout.render(s, width: 120, height: 40, now: now + 500)
            .map(\.text)[0].contains("elapsed 1:02:03"))
    }

    func testJobLinesInStartOrderWithDpbMarks() {
        let t = texts(sampleSnapshot(now: now))
        XCTAssertEqual(t[2], "2*~www/chromium(build)! [5130] on b2 1.1M 1h06m frozen for 6m12s")
        XCTAssertEqual(t[3], "devel/gmake(build) [5123] 46% 1m23s")
        XCTAssertEqual(t[4], "lang/ruby(waiting-for-lock) [5140] 100 10s")
        XCTAssertEqual(t[5], "<gcc-4.9.4.tar.gz(#1) [5301] 25%")
        let frozen = render(sampleSnapshot(now: now))[2].segments.last!
        XCTAssertEqual(frozen.style, .yellow)
        XCTAssertFalse(t.contains { $0.contains("on localhost") })
    }

    func testAParallelJobShowsItsMakeJobsAndTheCriticalPathMark() {
        var s = sampleSnapshot(now: now)
        s.jobs[1].makeJobs = 3
        s.jobs[1].criticalPath = true
        let t = texts(s)
        XCTAssertEqual(t[2], "^2*~www/chromium(build)! -j3 [5130] on b2 1.1M 1h06m frozen for 6m12s")
        XCTAssertEqual(t[3], "devel/gmake(build) [5123] 46% 1m23s")
    }

    func testHostsSummaryAndListLines() {
        var s = sampleSnapshot(now: now)
        var t = texts(s)
        XCTAssertTrue(t.contains("Hosts: localhost 2/4 b2 1/4 !b3(down: no route)"), "\(t)")
        XCTAssertTrue(t.contains("I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1 E=2 H=0"), "\(t)")
        XCTAssertTrue(t.contains("L=devel/foo"))
        XCTAssertTrue(t.contains("E=lang/bar(b2) x11/baz!"))
        XCTAssertFalse(t.contains { $0.hasPrefix("H=") })
        let hostLine = render(s).first { $0.text.hasPrefix("Hosts:") }!
        XCTAssertEqual(hostLine.segments.first { $0.text.contains("b3") }?.style, .red)

        s.lockedPaths = []
        s.failures = []
        s.waitingPackagePaths = ["devel/qt6"]
        s.hosts = []
        t = texts(s)
        XCTAssertFalse(t.contains { $0.hasPrefix("L=") || $0.hasPrefix("E=") || $0.hasPrefix("Hosts:") })
        XCTAssertTrue(t.contains("H=devel/qt6"))
    }

    func testProgressBarAndEta() {
        var s = sampleSnapshot(now: now)
        let line = texts(s)[1]
        XCTAssertTrue(line.hasPrefix("[##########....................] 35% 1326/3700 done 2 failed"), line)
        XCTAssertTrue(line.hasSuffix("ETA \(ReportFormat.clock(now + 4600).prefix(5)) (in 1h16m)"), line)
        s.estimatedFinish = nil
        XCTAssertTrue(texts(s)[1].hasSuffix("ETA --"))
        s.counts = RunSnapshot.Counts()
        XCTAssertTrue(texts(s)[1].hasPrefix("[" + String(repeating: ".", count: 30) + "] 0% 0/0 done"))
        s.ended = true
        XCTAssertTrue(texts(s)[1].hasSuffix("finished"))
    }

    func testHistoryFillsTheRemainingHeightNewestFirst() {
        let s = sampleSnapshot(now: now)
        let lines = render(s, 120, 30)
        XCTAssertEqual(lines.count, 30)
        let title = lines.firstIndex { $0.text == "Latest results:" }!
        XCTAssertEqual(title, 10)
        XCTAssertTrue(lines[11].text.hasSuffix("- ignored cat/port29: broken"))
        XCTAssertTrue(lines[12].text.contains("! FAILED  cat/port28 1m28s log /logs/cat/port28.log"))
        XCTAssertEqual(lines[12].segments.last?.style, .red)
        XCTAssertTrue(lines[13].text.contains("+ built   cat/port27 on b2 1m27s"))
        XCTAssertEqual(lines[13].segments.last?.style, .green)
        // The local host is not named, as in job lines.
        var local = s
        local.history[29] = .init(time: now, path: "a/b", outcome: .built, host: "localhost", duration: 2, detail: nil)
        XCTAssertTrue(render(local, 120, 30)[11].text.hasSuffix("+ built   a/b 2s"), render(local, 120, 30)[11].text)
        // Short history: no padding rows.
        var few = s
        few.history = Array(s.history.suffix(2))
        XCTAssertEqual(render(few, 120, 30).count, 13)
    }

    func testSmallWindowDropsHistoryThenCutsJobs() {
        var s = sampleSnapshot(now: now)
        // 11 rows: everything but the history (a title and no entry is
        // not worth a row).
        var t = texts(s, 120, 11)
        XCTAssertEqual(t.count, 10)
        XCTAssertFalse(t.contains("Latest results:"))
        XCTAssertTrue(t.contains { $0.hasPrefix("<gcc") })
        // 8 rows: jobs collapse.
        t = texts(s, 120, 8)
        XCTAssertEqual(t.count, 8)
        XCTAssertEqual(t[2], "2*~www/chromium(build)! [5130] on b2 1.1M 1h06m frozen for 6m12s")
        XCTAssertEqual(t[3], "... 3 more")
        XCTAssertTrue(t.contains("I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1 E=2 H=0"))
        // Many jobs on a normal screen.
        s.jobs = (0..<50).map { .init(path: "cat/p\($0)", phase: "build", host: nil, pid: Int32(100 + $0),
                                      started: now - Double(100 - $0), logSize: 10) }
        t = texts(s, 80, 24)
        XCTAssertEqual(t.count, 24)
        XCTAssertEqual(t.filter { $0.hasPrefix("cat/p") }.count, 17)
        XCTAssertTrue(t.contains("... 34 more"), "\(t)")
        XCTAssertTrue(t.contains { $0.hasPrefix("Hosts:") })
        // Tiny: header and counters survive longest.
        t = texts(s, 80, 3)
        XCTAssertEqual(t.count, 3)
        XCTAssertTrue(t[0].contains("[4242]"))
        XCTAssertTrue(t.contains("I=1234 B=12 Q=45 T=2345 F=3 !=78 L=1 E=2 H=0"), "\(t)")
        XCTAssertEqual(texts(s, 80, 1).count, 1)
        XCTAssertEqual(texts(s, 0, 10), [])
    }

    func testNarrowWidthCutsEveryLineByColumns() {
        var s = sampleSnapshot(now: now)
        s.jobs[0].path = "japanese/日本語のパッケージ"
        s.jobs[0].host = "ビルド機"
        s.history[29].path = "x/🎉🎉🎉🎉🎉🎉"
        for w in [1, 2, 7, 13, 20, 31, 40, 60] {
            for line in render(s, w, 40) {
                XCTAssertLessThanOrEqual(line.width, w, "\(w): \(line.text)")
            }
        }
        let jp = render(s, 200, 40).first { $0.text.contains("日本語") }!
        XCTAssertTrue(jp.text.contains("on ビルド機"))
        // The cut never splits a wide character: 19 columns take 9 of them
        // after "japanese/".
        let cut = jp.truncated(to: 19)
        XCTAssertEqual(cut.text, "japanese/日本語のパ")
        XCTAssertEqual(cut.width, 19)
        XCTAssertEqual(jp.truncated(to: 20).text, "japanese/日本語のパ")
    }

    func testDisplayWidths() {
        XCTAssertEqual(DisplayText.width(of: "abc"), 3)
        XCTAssertEqual(DisplayText.width(of: "日本"), 4)
        XCTAssertEqual(DisplayText.width(of: "e\u{301}"), 1)
        XCTAssertEqual(DisplayText.width(of: "🎉"), 2)
        XCTAssertEqual(DisplayText.width(of: "👩‍💻"), 2)
        XCTAssertEqual(DisplayText.prefix("日本語", columns: 3), "日")
        XCTAssertEqual(DisplayText.prefix("e\u{301}x", columns: 1), "e\u{301}")
        XCTAssertEqual(DisplayText.asciiOnly("a日b"), "a??b")
    }

    func testControlCharactersNeverReachTheScreen() {
        var s = sampleSnapshot(now: now)
        s.jobs[0].path = "evil/\u{1b}[2Jport"
        s.hosts[0].name = "h\u{07}\u{9b}x"
        s.history[29].detail = "bad\nline"
        for line in render(s) {
            XCTAssertFalse(line.text.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7f && $0.value < 0xa0) },
                           line.text)
        }
        XCTAssertTrue(texts(s).contains { $0.contains("evil/?[2Jport") })
    }

    func testFormats() {
        XCTAssertEqual(ReportFormat.duration(45), "45s")
        XCTAssertEqual(ReportFormat.duration(372), "6m12s")
        XCTAssertEqual(ReportFormat.duration(3723), "1h02m")
        XCTAssertEqual(ReportFormat.duration(3 * 86400 + 4 * 3600), "3d04h")
        XCTAssertEqual(ReportFormat.clockDuration(3723), "1:02:03")
        XCTAssertEqual(ReportFormat.size(812), "812")
        XCTAssertEqual(ReportFormat.size(12 * 1024 + 5), "12K")
        XCTAssertEqual(ReportFormat.size(1_204_312), "1.1M")
    }

    func testTheFinalSummaryTellsIgnoredFromBrokenPorts() {
        var s = sampleSnapshot()
        s.counts.ignored = 78
        s.counts.broken = 8
        let first = ReportFormat.finalSummary(s, now: s.time)[0]
        XCTAssertTrue(first.hasSuffix(", 70 ignored, 8 broken, 2 failed"), first)
        s.counts.broken = nil
        XCTAssertTrue(ReportFormat.finalSummary(s, now: s.time)[0].hasSuffix(", 78 ignored, 0 broken, 2 failed"),
                      "a status file from before the count: all ignored")
    }

    func testAJobInMemoryIsMarkedWithAPlus() {
        var s = sampleSnapshot()
        s.jobs = [.init(path: "devel/small", phase: "build", host: nil, pid: 7, started: s.time - 5, logSize: 10,
                        memory: true),
                  .init(path: "devel/large", phase: "build", host: nil, pid: 8, started: s.time - 5, logSize: 10)]
        let t = texts(s)
        XCTAssertTrue(t.contains { $0.hasPrefix("devel/small(build)+ [7]") }, "\(t)")
        XCTAssertTrue(t.contains { $0.hasPrefix("devel/large(build) [8]") }, "\(t)")
    }
}

final class ListLineTests: XCTestCase {
    func testLongListsEndWithHowManyAreHidden() {
        var s = sampleSnapshot()
        s.lockedPaths = (0..<100).map { "cat/lock\($0)" }
        s.failures = (0..<3).map { .init(path: "cat/f\($0)", host: "h", logPath: "/l", locked: $0 != 1) }
        let t = ScreenLayout.render(s, width: 40, height: 40, now: s.time).map(\.text)
        XCTAssertTrue(t.contains("L=cat/lock0 cat/lock1 cat/lock2 +97"), "\(t)")
        XCTAssertTrue(t.contains("E=cat/f0(h) cat/f1(h)! cat/f2(h)"), "\(t)")
        // Too narrow for even one item: cut like any line.
        let narrow = ScreenLayout.render(s, width: 8, height: 40, now: s.time).map(\.text)
        XCTAssertTrue(narrow.contains("L=cat/lo"), "\(narrow)")
    }
}

final class RecentEventTests: XCTestCase {
    func testRecentEventsSitBetweenCountersAndHistory() {
        let s = sampleSnapshot()
        let recent = [ScreenLayout.RecentEvent(time: s.time - 5, text: "host b3 DOWN: no route", severe: true),
                      ScreenLayout.RecentEvent(time: s.time - 1, text: "hot-fix: lang/bar queued again", severe: false)]
        let lines = ScreenLayout.render(s, width: 120, height: 30, now: s.time, recent: recent)
        let t = lines.map(\.text)
        let e = t.firstIndex { $0.hasPrefix("E=") }!
        XCTAssertTrue(t[e + 1].hasSuffix(" hot-fix: lang/bar queued again"), "\(t)")
        XCTAssertTrue(t[e + 2].hasSuffix(" host b3 DOWN: no route"), "\(t)")
        XCTAssertEqual(lines[e + 2].segments.last?.style, .red)
        XCTAssertEqual(lines[e + 1].segments.last?.style, .yellow)
        XCTAssertEqual(t[e + 3], "Latest results:")
        // They give way before the jobs do.
        let small = ScreenLayout.render(s, width: 120, height: 11, now: s.time, recent: recent).map(\.text)
        XCTAssertTrue(small.contains { $0.hasPrefix("<gcc") })
        XCTAssertEqual(small.count, 11)
        XCTAssertTrue(small.last!.hasSuffix("hot-fix: lang/bar queued again"))
    }
}
