import XCTest
import Engine
@testable import Logs

final class LogFormatTests: XCTestCase {
    let t = 1_700_000_000.256

    func testEngineLineAlwaysHasASpaceAfterTheSubject() {
        XCTAssertEqual(LogFormat.engine(pid: 4242, time: t, StateChange(subject: "devel/gmake", state: .queued)),
                       "4242@1700000000.26: Q: devel/gmake \n")
        XCTAssertEqual(LogFormat.engine(pid: 4242, time: t, StateChange(subject: "devel/gmake", state: .toBuild)),
                       "4242@1700000000.26: T: devel/gmake \n")
    }

    func testEngineLineWithExtraText() {
        let cases: [(StateChange, String)] = [
            (StateChange(subject: "devel/gmake", state: .running, extra: "builder2"),
             "4242@1700000000.26: J: devel/gmake builder2\n"),
            (StateChange(subject: "devel/gmake", state: .installable, extra: "# gmake-4.4.1"),
             "4242@1700000000.26: I: devel/gmake # gmake-4.4.1\n"),
            (StateChange(subject: "x/y,-main", state: .ignored, extra: "because of x/z"),
             "4242@1700000000.26: !: x/y,-main because of x/z\n"),
            (StateChange(subject: "devel/gmake:gmake-4.4.1.tar.gz", state: .fetchQueued),
             "4242@1700000000.26: F: devel/gmake:gmake-4.4.1.tar.gz \n"),
            (StateChange(subject: "a/b", state: .setAside), "4242@1700000000.26: ^: a/b \n"),
        ]
        for (change, line) in cases {
            XCTAssertEqual(LogFormat.engine(pid: 4242, time: t, change), line)
        }
    }

    func testEveryStateWritesItsLetter() {
        let letters = PortState.allCases.map(\.letter).joined()
        XCTAssertEqual(letters, "TFQJBI!LNE^VAYKCHP")
        for s in PortState.allCases {
            XCTAssertTrue(LogFormat.engine(pid: 1, time: 0, StateChange(subject: "a/b", state: s))
                .hasPrefix("1@0.00: \(s.letter): a/b "))
        }
    }

    func testEnginePass() {
        XCTAssertEqual(LogFormat.enginePass(pid: 77, time: t), "77@1700000000.26: +\n")
    }

    func testBuildLine() {
        XCTAssertEqual(
            LogFormat.build(path: "devel/gmake", host: "b2", jobs: 4, parallel: 1, seconds: 12.5, logSize: 10240,
                            maxStuck: 3.25, phases: [("fetch", 1), ("build", 10.5)], failed: false),
            "devel/gmake b2/4 12.50 10240 max_stuck=3.25/fetch=1.00/build=10.50\n")
    }

    func testBuildLineParallelMultipliesTime() {
        XCTAssertEqual(
            LogFormat.build(path: "www/chromium", host: "localhost", jobs: 8, parallel: 3, seconds: 10.5,
                            logSize: 99, maxStuck: 0, phases: [("build", 10.5)], failed: false),
            "www/chromium localhost/8*3 31.50 99 max_stuck=0.00/build=10.50\n")
    }

    func testBuildLineFailedEndsWithBang() {
        XCTAssertEqual(
            LogFormat.build(path: "x/y,a", host: "h", jobs: 1, parallel: 2, seconds: 1, logSize: 0,
                            maxStuck: 0, phases: [], failed: true),
            "x/y,a h/1*2 2.00 0 max_stuck=0.00!\n")
    }

    func testStatsLineWithAndWithoutFetch() {
        var c = RunSnapshot.Counts()
        c.installable = 1; c.built = 2; c.queued = 3; c.toBuild = 4; c.ignored = 9; c.errors = 8
        XCTAssertEqual(LogFormat.stats(pid: 4242, time: t, elapsed: 12, c),
                       "4242 1700000000.26 12.00 I=1 B=2 Q=3 T=4\n")
        c.fetch = 5
        XCTAssertEqual(LogFormat.stats(pid: 4242, time: t, elapsed: 0.004, c),
                       "4242 1700000000.26 0.00 I=1 B=2 Q=3 T=4 F=5\n")
    }

    func testConcurrentAndEquivalence() throws {
        XCTAssertEqual(LogFormat.concurrent(pid: 4242, time: t, running: 3), "4242 1700000000.26 3\n")
        XCTAssertEqual(LogFormat.equivalence(try FullPkgPath("x/y,b,a,-main"), try FullPkgPath("x/y")),
                       "x/y,a,b,-main -> x/y\n")
    }

    func testPortLogLines() {
        XCTAssertEqual(LogFormat.portHeader(host: "b2", path: "devel/gmake"), ">>> Building on b2 under devel/gmake\n")
        XCTAssertEqual(LogFormat.phaseHeader(phase: "configure", path: "devel/gmake", time: 1_700_000_000.9),
                       ">>> Running configure in devel/gmake at 1700000000\n")
        XCTAssertEqual(LogFormat.portEnd(time: 1_700_000_123.99), ">>> Ended at 1700000123\n")
        XCTAssertEqual(LogFormat.portError(status: "exit 2", host: "b2", time: 1_700_000_000),
                       "Error: job failed with exit 2 on b2 at 1700000000\n")
    }

    func testPerformanceLine() {
        XCTAssertEqual(LogFormat.performance(pid: 9, time: t, what: "ENG", mark: "-"), "9@1700000000.26: ENG-\n")
        XCTAssertEqual(LogFormat.performance(pid: 9, time: t, what: "REP", mark: "+", next: 1_700_000_001.5, took: 0.01234),
                       "9@1700000000.26: REP+ 1700000001.50 0.0123\n")
        XCTAssertEqual(LogFormat.performance(pid: 9, time: t, what: "ENG", mark: "!", next: 2, took: nil),
                       "9@1700000000.26: ENG!\n")
    }

    func testEpochWithDate() {
        XCTAssertEqual(LogFormat.epochWithDate(1_700_000_000.7), "1700000000 (Tue Nov 14 22:13:20 2023)")
        XCTAssertEqual(LogFormat.epochWithDate(0), "0 (Thu Jan 1 00:00:00 1970)")
        // Leap days (2000 is a leap year, 2100 is not), the ends of a day and a year.
        XCTAssertEqual(LogFormat.epochWithDate(951_782_400), "951782400 (Tue Feb 29 00:00:00 2000)")
        XCTAssertEqual(LogFormat.epochWithDate(1_709_168_461), "1709168461 (Thu Feb 29 01:01:01 2024)")
        XCTAssertEqual(LogFormat.epochWithDate(946_684_799), "946684799 (Fri Dec 31 23:59:59 1999)")
        XCTAssertEqual(LogFormat.epochWithDate(4_102_444_800), "4102444800 (Fri Jan 1 00:00:00 2100)")
        XCTAssertEqual(LogFormat.epochWithDate(1_796_165_271.9), "1796165271 (Tue Dec 1 22:47:51 2026)")
    }

    func testStampHasTwoDecimals() {
        XCTAssertEqual(FileIO.stamp(0), "0.00")
        XCTAssertEqual(FileIO.stamp(3.14159), "3.14")
        XCTAssertEqual(FileIO.stamp(2.999), "3.00")
    }
}

final class StampTests: XCTestCase {
    func testStampPrintsWhatPrintfPrints() {
        var values: [Double] = [0, 0.004, 0.005, 0.015, 0.125, 0.375, 2.675, 1.005, 99.995, 1e9 + 0.005,
                                1_800_000_000.125, 1_800_000_123.456, -0.001, -3.5, 1e13, .infinity, .nan]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { values.append(Double(rng.next() % 2_000_000_000_000) / 1000) }
        for v in values { XCTAssertEqual(FileIO.stamp(v), String(format: "%.2f", v), "\(v)") }
    }

    func testFixedPrintsWhatPrintfPrintsForEveryPlaceCount() {
        var values: [Double] = [0, 0.00005, 0.00015, 0.12345, 0.99995, 1.5, 0.0001, 12.3456789, 1e-7, -0.25, .nan]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5_000 { values.append(Double(rng.next() % 100_000_000) / 1_000_000) }
        for places in 0...7 {
            for v in values {
                XCTAssertEqual(FileIO.fixed(v, places: places), String(format: "%.\(places)f", v), "\(v) \(places)")
            }
        }
    }
}
