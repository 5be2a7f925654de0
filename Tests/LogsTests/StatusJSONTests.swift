// status.json's hand-written encoder against Foundation's JSONEncoder, the
// encoder it replaced: the same bytes for the same snapshot.
import Engine
import Foundation
import Logs
import XCTest

final class StatusJSONTests: XCTestCase {
    /// The encoder the file was written with before: its output is the format.
    func foundation(_ s: RunSnapshot) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return try enc.encode(s)
    }

    func assertSameBytes(_ s: RunSnapshot, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let ours = try StatusFile.encode(s)
        let theirs = try foundation(s)
        XCTAssertEqual(String(decoding: ours, as: UTF8.self), String(decoding: theirs, as: UTF8.self), what,
                       file: file, line: line)
        XCTAssertEqual(ours, theirs, what, file: file, line: line)
        XCTAssertEqual(try JSONDecoder().decode(RunSnapshot.self, from: ours), s, what, file: file, line: line)
    }

    func testAnEmptySnapshotAndAFullOne() throws {
        try assertSameBytes(RunSnapshot(), "empty")
        try assertSameBytes(Self.full(), "every optional field set")
    }

    /// Strings with everything JSON escapes, and what it does not (DEL,
    /// non-ASCII, a line separator), in every string field.
    func testOddStringsAreEscapedTheSameWay() throws {
        var odd = ["", "\"", "\\", "/", "a/b\\c\"d", "\u{7F}", "é", "日本語", "🎉 party", "e\u{301}", "\u{2028}\u{2029}",
                   "tab\there", "cr\rlf\n", "\u{8}\u{C}", "end\\"]
        for c in 0..<0x20 { odd.append("x\(Character(Unicode.Scalar(UInt8(c))))y") }
        for text in odd {
            var s = Self.full()
            s.jobs[0].path = text; s.jobs[0].phase = text; s.jobs[0].host = text
            s.fetchJobs[0].distfile = text
            s.hosts[0].name = text; s.hosts[0].reason = text
            s.lockedPaths = [text, text]
            s.failures[0].path = text; s.failures[0].host = text; s.failures[0].logPath = text
            s.waitingPackagePaths = [text]
            s.history[0].path = text; s.history[0].host = text; s.history[0].detail = text
            try assertSameBytes(s, text.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " "))
        }
    }

    /// Doubles that Swift prints with an exponent, integral ones (no `.0`),
    /// negative zero, the extremes; integers at their limits.
    func testNumbersAreWrittenTheSameWay() throws {
        let doubles: [Double] = [0, -0.0, 1, -1, 0.1, 0.5, 1e-7, 1.5e-5, 123.456, 1_764_650_000, 1_764_650_000.25,
                                 1e15, 1e16, 1.2345e16, 1e21, 1e22, 1e100, -1e300, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                 .leastNormalMagnitude, Double(Int64.max), 9_007_199_254_740_994]
        for d in doubles {
            var s = Self.full()
            s.time = d; s.startTime = -d; s.estimatedFinish = d
            s.jobs[0].started = d; s.jobs[0].frozenSeconds = d
            s.history[0].time = d; s.history[0].duration = d
            try assertSameBytes(s, "\(d)")
        }
        for n in [0, 1, -1, 9, 10, 99, 100, Int.max, Int.min, Int(Int32.max) + 1] {
            var s = Self.full()
            s.counts.total = n; s.counts.broken = n; s.counts.errors = n
            s.jobs[0].logSize = Int64(n); s.jobs[0].expectedLogSize = Int64(n); s.jobs[0].swallowed = n
            s.jobs[0].makeJobs = n; s.hosts[0].slots = n; s.fetchJobs[0].percent = n; s.fetchJobs[0].attempt = n
            try assertSameBytes(s, "\(n)")
        }
        for pid in [Int32.min, -1, 0, Int32.max] {
            var s = Self.full()
            s.pid = pid; s.jobs[0].pid = pid; s.fetchJobs[0].pid = pid
            try assertSameBytes(s, "pid \(pid)")
        }
    }

    /// NaN and infinities: JSONEncoder refuses them, and so does status.json.
    func testNumbersJSONCannotHoldAreRefusedLikeJSONEncoderDoes() throws {
        let fields: [(String, (inout RunSnapshot, Double) -> Void)] = [
            ("time", { $0.time = $1 }), ("startTime", { $0.startTime = $1 }),
            ("estimatedFinish", { $0.estimatedFinish = $1 }), ("jobs.started", { $0.jobs[0].started = $1 }),
            ("jobs.frozenSeconds", { $0.jobs[0].frozenSeconds = $1 }), ("history.time", { $0.history[0].time = $1 }),
            ("history.duration", { $0.history[0].duration = $1 }),
        ]
        for (name, set) in fields {
            for bad in [Double.nan, .infinity, -.infinity] {
                var s = Self.full()
                set(&s, bad)
                XCTAssertThrowsError(try foundation(s), "\(name) \(bad)")
                XCTAssertThrowsError(try StatusFile.encode(s), "\(name) \(bad)") { err in
                    XCTAssertTrue("\(err)".contains(name), "\(err)")
                }
            }
        }
    }

    /// Many random snapshots: optional fields present or not, lists of
    /// every length up to a few, strings and numbers from the odd pools.
    func testRandomSnapshotsGiveTheSameBytes() throws {
        var rng = SplitMix(seed: 20261202)
        for round in 0..<400 {
            try assertSameBytes(Self.random(&rng), "round \(round)")
        }
    }

    /// A run's writer keeps the history's JSON from one write to the next:
    /// the file is still JSONEncoder's at every write as results are
    /// added and the oldest dropped, when nothing changed, when an entry
    /// changed in place, and after a history it refused (NaN).
    func testTheRunsWriterGivesTheSameFileAsTheHistoryChanges() throws {
        let files = MemoryFileStore()
        try files.makeDirectory("/logs")
        let writer = StatusFile.Writer()
        var s = Self.full()
        var rng = SplitMix(seed: 5)
        func check(_ what: String) throws {
            try writer.write(s, to: "/logs/status.json", files: files)
            XCTAssertEqual(files.read("/logs/status.json"), String(decoding: try foundation(s), as: UTF8.self), what)
        }
        try check("first")
        try check("the same again")
        for n in 0..<60 {
            s.history.append(Self.randomEntry(&rng))
            if s.history.count > 50 { s.history.removeFirst() }
            s.time += 1
            try check("added \(n)")
            s.jobs[0].logSize += 1
            try check("history unchanged \(n)")
        }
        s.history[10].detail = "changed in place"
        try check("one entry changed")
        // Any change at all, at random: added, dropped, changed, inserted, replaced.
        for n in 0..<300 {
            switch rng.next() % 6 {
            case 0: for _ in 0..<Int(rng.next() % 4) { s.history.append(Self.randomEntry(&rng)) }
            case 1: s.history.removeFirst(min(s.history.count, Int(rng.next() % 4)))
            case 2 where !s.history.isEmpty: s.history[Int(rng.next() % UInt64(s.history.count))] = Self.randomEntry(&rng)
            case 3: s.history.insert(Self.randomEntry(&rng), at: Int(rng.next() % UInt64(s.history.count + 1)))
            case 4: s.history = (0..<s.history.count).map { _ in Self.randomEntry(&rng) }
            default: s.history.append(contentsOf: s.history.prefix(2))
            }
            try check("random change \(n)")
        }
        s.history = []
        try check("emptied")
        s.history = [RunSnapshot.HistoryEntry(time: 1, path: "devel/a", outcome: .built, host: nil, duration: .nan,
                                              detail: nil)]
        XCTAssertThrowsError(try writer.write(s, to: "/logs/status.json", files: files))
        s.history[0].duration = 2
        try check("after a refused history")
    }

    // MARK: - Snapshots

    static func full() -> RunSnapshot {
        var s = RunSnapshot()
        s.pid = 4242; s.time = 1_764_650_123.5; s.startTime = 1_764_650_000; s.stopping = true; s.listing = true
        s.ended = true
        s.counts.installable = 1; s.counts.built = 2; s.counts.queued = 3; s.counts.toBuild = 4; s.counts.fetch = 5
        s.counts.ignored = 6; s.counts.broken = 7; s.counts.locked = 8; s.counts.errors = 9
        s.counts.waitingPackage = 10; s.counts.running = 11; s.counts.total = 12
        s.jobs = [RunSnapshot.Job(path: "devel/quirks", phase: "build", host: "b1", pid: 77, started: 1_764_650_010.25,
                                  logSize: 12345, expectedLogSize: 99999, frozenSeconds: 46.5, swallowed: 2,
                                  squiggle: true, nojunk: true, waitingForLock: true, makeJobs: 4, criticalPath: true,
                                  memory: true),
                  RunSnapshot.Job(path: "lang/python/3.12,-main", phase: "fetch", host: nil, pid: 78, started: 1,
                                  logSize: 0)]
        s.fetchJobs = [RunSnapshot.FetchJob(distfile: "foo-1.0.tar.gz", attempt: 2, pid: 90, percent: 45),
                       RunSnapshot.FetchJob(distfile: "bar.zip", attempt: 1, pid: 91, percent: nil)]
        s.hosts = [RunSnapshot.Host(name: "b1", state: .down, slots: 4, running: 1, reason: "link cut"),
                   RunSnapshot.Host(name: "localhost", state: .up, slots: 8, running: 3)]
        s.lockedPaths = ["x11/gtk+3", "www/firefox"]
        s.failures = [RunSnapshot.Failure(path: "devel/broken", host: "b2", logPath: "/logs/paths/devel/broken.log",
                                          locked: true),
                      RunSnapshot.Failure(path: "devel/other", host: nil, logPath: "/l", locked: false)]
        s.waitingPackagePaths = ["net/curl"]
        s.history = [RunSnapshot.HistoryEntry(time: 1_764_650_100, path: "devel/a", outcome: .failed, host: "b1",
                                              duration: 12.75, detail: "/logs/paths/devel/a.log"),
                     RunSnapshot.HistoryEntry(time: 1_764_650_101.125, path: "devel/b", outcome: .notFinished,
                                              host: nil, duration: nil, detail: nil)]
        s.estimatedFinish = 1_764_659_999.875
        return s
    }

    static let oddStrings = ["", "devel/a", "a\"b", "back\\slash", "new\nline", "\u{1}\u{1F}", "\u{7F}", "ü", "中文",
                             "🎉", "e\u{301}", "\t\r\u{8}\u{C}", "/", "//x//"]
    static let oddDoubles: [Double] = [0, -0.0, 0.25, 1e-9, 3.141592653589793, 1_764_650_000, 1_764_650_000.001,
                                       1e16, 2.5e20, 1e-300, 99_999_999_999.99]
    static let oddInts = [0, 1, 7, 45, 1_000_000, 1 << 48, Int.max, -3]

    static func random(_ rng: inout SplitMix) -> RunSnapshot {
        func str(_ rng: inout SplitMix) -> String {
            (0..<Int(rng.next() % 3)).map { _ in oddStrings[Int(rng.next() % UInt64(oddStrings.count))] }.joined()
        }
        func dbl(_ rng: inout SplitMix) -> Double { oddDoubles[Int(rng.next() % UInt64(oddDoubles.count))] }
        func int(_ rng: inout SplitMix) -> Int { oddInts[Int(rng.next() % UInt64(oddInts.count))] }
        func bit(_ rng: inout SplitMix) -> Bool { rng.next() % 2 == 0 }
        func maybe<T>(_ rng: inout SplitMix, _ make: (inout SplitMix) -> T) -> T? { bit(&rng) ? make(&rng) : nil }
        func some<T>(_ rng: inout SplitMix, _ make: (inout SplitMix) -> T) -> [T] {
            (0..<Int(rng.next() % 4)).map { _ in make(&rng) }
        }
        var s = RunSnapshot()
        s.pid = Int32(truncatingIfNeeded: int(&rng)); s.time = dbl(&rng); s.startTime = dbl(&rng)
        s.stopping = bit(&rng); s.listing = bit(&rng); s.ended = bit(&rng)
        s.counts.installable = int(&rng); s.counts.built = int(&rng); s.counts.queued = int(&rng)
        s.counts.toBuild = int(&rng); s.counts.fetch = int(&rng); s.counts.ignored = int(&rng)
        s.counts.broken = maybe(&rng, int); s.counts.locked = int(&rng); s.counts.errors = int(&rng)
        s.counts.waitingPackage = int(&rng); s.counts.running = int(&rng); s.counts.total = int(&rng)
        s.jobs = some(&rng) { r in
            RunSnapshot.Job(path: str(&r), phase: str(&r), host: maybe(&r, str), pid: Int32(truncatingIfNeeded: int(&r)),
                            started: dbl(&r), logSize: Int64(int(&r)), expectedLogSize: maybe(&r) { Int64(int(&$0)) },
                            frozenSeconds: maybe(&r, dbl), swallowed: int(&r), squiggle: bit(&r), nojunk: bit(&r),
                            waitingForLock: bit(&r), makeJobs: maybe(&r, int), criticalPath: maybe(&r, bit),
                            memory: maybe(&r, bit))
        }
        s.fetchJobs = some(&rng) { r in
            RunSnapshot.FetchJob(distfile: str(&r), attempt: int(&r), pid: Int32(truncatingIfNeeded: int(&r)),
                                 percent: maybe(&r, int))
        }
        let states: [RunSnapshot.HostState] = [.starting, .up, .down, .stopped, .failed]
        s.hosts = some(&rng) { r in
            RunSnapshot.Host(name: str(&r), state: states[Int(r.next() % 5)], slots: int(&r), running: int(&r),
                             reason: maybe(&r, str))
        }
        s.lockedPaths = some(&rng, str)
        s.failures = some(&rng) { r in
            RunSnapshot.Failure(path: str(&r), host: maybe(&r, str), logPath: str(&r), locked: bit(&r))
        }
        s.waitingPackagePaths = some(&rng, str)
        s.history = some(&rng, randomEntry)
        s.estimatedFinish = maybe(&rng, dbl)
        return s
    }

    static func randomEntry(_ rng: inout SplitMix) -> RunSnapshot.HistoryEntry {
        func str(_ rng: inout SplitMix) -> String {
            (0..<Int(rng.next() % 3)).map { _ in oddStrings[Int(rng.next() % UInt64(oddStrings.count))] }.joined()
        }
        func dbl(_ rng: inout SplitMix) -> Double { oddDoubles[Int(rng.next() % UInt64(oddDoubles.count))] }
        let outcomes: [RunSnapshot.Outcome] = [.built, .failed, .ignored, .notFinished]
        return RunSnapshot.HistoryEntry(time: dbl(&rng), path: str(&rng), outcome: outcomes[Int(rng.next() % 4)],
                                        host: rng.next() % 2 == 0 ? str(&rng) : nil,
                                        duration: rng.next() % 2 == 0 ? dbl(&rng) : nil,
                                        detail: rng.next() % 2 == 0 ? str(&rng) : nil)
    }
}
