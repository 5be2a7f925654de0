import Engine

/// A run in the middle of things, with a bit of everything.
func sampleSnapshot(now: Double = 1_800_000_000) -> RunSnapshot {
    var s = RunSnapshot()
    s.pid = 4242
    s.time = now
    s.startTime = now - 3723
    s.counts.installable = 1234
    s.counts.built = 12
    s.counts.queued = 45
    s.counts.toBuild = 2345
    s.counts.fetch = 3
    s.counts.ignored = 78
    s.counts.locked = 1
    s.counts.errors = 2
    s.counts.running = 3
    s.counts.total = 3700
    s.jobs = [
        .init(path: "devel/gmake", phase: "build", host: nil, pid: 5123, started: now - 83,
              logSize: 12000, expectedLogSize: 26000),
        .init(path: "www/chromium", phase: "build", host: "b2", pid: 5130, started: now - 4000,
              logSize: 1_204_312, frozenSeconds: 372, swallowed: 2, squiggle: true, nojunk: true),
        .init(path: "lang/ruby", phase: "fake", host: "localhost", pid: 5140, started: now - 10,
              logSize: 100, waitingForLock: true),
    ]
    s.fetchJobs = [.init(distfile: "gcc-4.9.4.tar.gz", attempt: 1, pid: 5301, percent: 25)]
    s.hosts = [
        .init(name: "localhost", state: .up, slots: 4, running: 2),
        .init(name: "b2", state: .up, slots: 4, running: 1),
        .init(name: "b3", state: .down, slots: 2, running: 0, reason: "no route"),
    ]
    s.lockedPaths = ["devel/foo"]
    s.failures = [
        .init(path: "lang/bar", host: "b2", logPath: "/logs/lang/bar.log", locked: true),
        .init(path: "x11/baz", host: nil, logPath: "/logs/x11/baz.log", locked: false),
    ]
    s.history = (0..<30).map { i in
        RunSnapshot.HistoryEntry(time: now - 100 + Double(i), path: "cat/port\(i)",
                                 outcome: [.built, .failed, .ignored][i % 3],
                                 host: i % 2 == 1 ? "b2" : nil, duration: 60 + Double(i),
                                 detail: i % 3 == 1 ? "/logs/cat/port\(i).log" : (i % 3 == 2 ? "broken" : nil))
    }
    s.estimatedFinish = now + 4600
    return s
}
