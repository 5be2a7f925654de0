import Engine

/// What the run shows people and when: the latest results for the screen,
/// the failures with their logs, and the pacing of snapshots (reporter,
/// status.json) and of the lines of stats.log and concurrent.log, which
/// only change when what they count does.
final class RunRecord {
    /// The latest results, newest last: the 50 the screen shows. Kept as
    /// the snapshot's array, which shares it until the next result.
    private(set) var history: [RunSnapshot.HistoryEntry] = []
    /// Failed ports by path, with their host and log.
    var failures: [String: RunSnapshot.Failure] = [:]
    private var lastSnapshot = 0.0
    private var lastStatusWrite = 0.0
    private var lastCounts: RunSnapshot.Counts?
    private var lastConcurrency = -1
    static let kept = 50
    /// Seconds between two snapshots that no job start or end forced.
    static let snapshotInterval = 0.5
    /// Seconds between two snapshots that job starts and ends forced: the
    /// screen follows them up to ten times a second, not once per job (a
    /// snapshot for every job was a tenth of the run's own CPU on trees of
    /// instant builds).
    static let forcedInterval = 0.1
    /// status.json is synced to disk: at most once a second.
    static let statusInterval = 1.0

    func add(_ entry: RunSnapshot.HistoryEntry) {
        history.append(entry)
        if history.count > RunRecord.kept { history.removeFirst(history.count - RunRecord.kept) }
    }

    /// Whether a snapshot is due now (and, if so, that one is taken). A
    /// forced one waits for `forcedInterval` after the last.
    func snapshotDue(at t: Double, force: Bool) -> Bool {
        // Within a microsecond counts as due: a clock moved by exactly the
        // wait (virtual time) may land a rounding error short of it.
        let since = t - lastSnapshot + 1e-6
        guard since >= RunRecord.snapshotInterval || (force && since >= RunRecord.forcedInterval) else { return false }
        lastSnapshot = t
        return true
    }

    func statusDue(at t: Double) -> Bool {
        guard t - lastStatusWrite >= RunRecord.statusInterval else { return false }
        lastStatusWrite = t
        return true
    }

    /// True once per change of the counts (a stats.log line).
    func countsChanged(_ c: RunSnapshot.Counts) -> Bool {
        guard c != lastCounts else { return false }
        lastCounts = c
        return true
    }

    /// True once per change of the number of jobs (a concurrent.log line).
    func concurrencyChanged(_ n: Int) -> Bool {
        guard n != lastConcurrency else { return false }
        lastConcurrency = n
        return true
    }
}
