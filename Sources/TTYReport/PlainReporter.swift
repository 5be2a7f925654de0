#if canImport(Glibc)
import Glibc
#endif
import CPosix
import Engine

/// Lines of text for logs, cron and CI: one stamped line per event worth
/// noting and a summary of the counters at most once per
/// `summaryInterval` (and only when they changed), then a final summary.
/// Never writes an escape sequence: control characters in names become `?`.
///
/// With `importantOnly` (`-x`) it keeps to errors, hosts going down or
/// coming back, frozen or killed jobs, a stop request, and the final
/// summary.
public final class PlainReporter: Reporter {
    private let fd: Int32
    private let importantOnly: Bool
    private let summaryInterval: Double
    private let clock: () -> Double
    private var lastSummaryAt = -Double.infinity
    private var lastSummaryCounts: RunSnapshot.Counts?
    private var lastSnapshot: RunSnapshot?
    private var finished = false

    /// `clock` gives epoch seconds; tests pass their own.
    public init(fd: Int32, importantOnly: Bool = false, summaryInterval: Double = 60,
                clock: @escaping () -> Double = { cp_now() }) {
        self.fd = fd
        self.importantOnly = importantOnly
        self.summaryInterval = summaryInterval
        self.clock = clock
    }

    public func update(_ snapshot: RunSnapshot, force: Bool) {
        lastSnapshot = snapshot
        if importantOnly || finished { return }
        let now = clock()
        guard now - lastSummaryAt >= summaryInterval, snapshot.counts != lastSummaryCounts else { return }
        lastSummaryAt = now
        lastSummaryCounts = snapshot.counts
        write(ReportFormat.stamp(now) + " " + ReportFormat.summaryLine(snapshot, now: now))
    }

    public func event(_ event: ReportEvent, at time: Double) {
        if finished { return }
        guard let text = PlainReporter.describe(event, importantOnly: importantOnly) else { return }
        write(ReportFormat.stamp(time) + " " + text)
    }

    public func finish(_ snapshot: RunSnapshot) {
        if finished { return }
        finished = true
        let now = clock()
        write(ReportFormat.stamp(now) + " " + ReportFormat.summaryLine(snapshot, now: now))
        for line in ReportFormat.finalSummary(snapshot, now: now) { write(line) }
    }

    public func suspend() {}
    public func resume() {}

    /// The line for an event, or nil when this mode leaves it out.
    public static func describe(_ event: ReportEvent, importantOnly: Bool) -> String? {
        func on(_ host: String?) -> String { " on " + (host ?? "localhost") }
        let text: String
        var important = false
        switch event {
        case let .jobStarted(path, host):
            text = "started \(path)\(on(host))"
        case let .jobEnded(path, host, seconds):
            text = "built \(path)\(on(host)) in \(ReportFormat.duration(seconds))"
        case let .jobFailed(path, host, log):
            text = "ERROR \(path)\(on(host)), log \(log)"; important = true
        case let .jobNotFinished(path, host, reason):
            text = "NOT FINISHED \(path)\(on(host)): \(reason)"; important = true
        case let .ignored(path, reason):
            text = "ignored \(path): \(reason)"
        case let .hostDown(host, reason):
            text = "host \(host) DOWN: \(reason)"; important = true
        case let .hostUp(host):
            text = "host \(host) up"; important = true
        case let .frozen(path, host, seconds):
            text = "FROZEN \(path)\(on(host)): no output for \(ReportFormat.duration(seconds))"; important = true
        case let .killedStuck(path, host, seconds):
            text = "KILLED \(path)\(on(host)): stuck for \(ReportFormat.duration(seconds))"; important = true
        case .stopRequested:
            text = "stop requested: no new jobs, waiting for running ones"; important = true
        case let .hotFix(path):
            text = "hot-fix: \(path) queued again"; important = true
        case let .message(m):
            // The coordinator only sends messages worth reading (stale locks
            // removed, no usable host, listing failures, the estimate's error).
            text = m; important = true
        }
        if importantOnly && !important { return nil }
        return DisplayText.sanitized(text)
    }

    private func write(_ line: String) { writeAll(fd, line + "\n") }
}

/// Writes every byte of `text` to `fd`, waiting when it is non-blocking
/// and full; gives up on other errors.
func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBufferPointer { buf in
            Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
        }
        if n >= 0 { off += n; continue }
        let e = errno
        if e == EINTR { continue }
        if e != EAGAIN { return }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        if poll(&p, 1, 1000) <= 0 { return }
    }
}
