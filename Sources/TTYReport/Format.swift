#if canImport(Glibc)
import Glibc
#endif
import Engine

/// Text pieces shared by the screen, the plain reporter and `monitor`.
public enum ReportFormat {
    /// `45s`, `6m12s`, `1h02m`, `3d04h`.
    public static func duration(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.isFinite ? seconds : 0))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(pad2(s % 60))s" }
        if s < 86400 { return "\(s / 3600)h\(pad2((s % 3600) / 60))m" }
        return "\(s / 86400)d\(pad2((s % 86400) / 3600))h"
    }

    /// `H:MM:SS` (hours grow past 24).
    public static func clockDuration(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.isFinite ? seconds : 0))
        return "\(s / 3600):\(pad2((s % 3600) / 60)):\(pad2(s % 60))"
    }

    /// `812`, `12K`, `1.2M`, `3.4G` (powers of 1024).
    public static func size(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(max(0, bytes))" }
        let units = ["K", "M", "G", "T"]
        var v = Double(bytes) / 1024
        var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        if v < 10 {
            let tenths = Int((v * 10).rounded(.down))
            return "\(tenths / 10).\(tenths % 10)\(units[i])"
        }
        return "\(Int(v))\(units[i])"
    }

    /// Local time with strftime `format`.
    public static func localTime(_ epoch: Double, _ format: String) -> String {
        var t = time_t(epoch.isFinite ? epoch.rounded(.down) : 0)
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, format, &tmv)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `22 Nov 14:03:22`, as in the screen header.
    public static func headerDate(_ epoch: Double) -> String { localTime(epoch, "%d %b %H:%M:%S") }
    /// `14:03:22`.
    public static func clock(_ epoch: Double) -> String { localTime(epoch, "%H:%M:%S") }
    /// `2026-11-22 14:03:22`, the plain reporter's stamp.
    public static func stamp(_ epoch: Double) -> String { localTime(epoch, "%Y-%m-%d %H:%M:%S") }

    /// dpb's counters: `I=.. B=.. Q=.. T=.. F=.. !=.. L=.. E=.. H=..`.
    public static func counts(_ c: RunSnapshot.Counts) -> String {
        "I=\(c.installable) B=\(c.built) Q=\(c.queued) T=\(c.toBuild) F=\(c.fetch) " +
            "!=\(c.ignored) L=\(c.locked) E=\(c.errors) H=\(c.waitingPackage)"
    }

    /// `ETA 15:20 (in 1h17m)`, or `ETA --` without an estimate.
    public static func eta(_ s: RunSnapshot, now: Double) -> String {
        guard let finish = s.estimatedFinish, finish.isFinite else { return "ETA --" }
        let left = finish - now
        let when = left > 86400 ? localTime(finish, "%d %b %H:%M") : localTime(finish, "%H:%M")
        return left > 0 ? "ETA \(when) (in \(duration(left)))" : "ETA \(when) (overdue)"
    }

    /// Seconds the run has lasted: up to now while it goes on, to its last
    /// snapshot once it ended.
    public static func elapsed(_ s: RunSnapshot, now: Double) -> Double {
        if s.startTime <= 0 { return 0 }
        return max(0, (s.ended ? s.time : now) - s.startTime)
    }

    /// The plain summary: counters, jobs running, elapsed, done/total, ETA.
    public static func summaryLine(_ s: RunSnapshot, now: Double) -> String {
        var line = counts(s.counts) + " J=\(s.counts.running)"
        line += " elapsed \(clockDuration(elapsed(s, now: now)))"
        line += " done \(s.done)/\(s.counts.total)"
        if !s.ended { line += " " + eta(s, now: now) }
        if s.stopping { line += " STOPPED" }
        return line
    }

    /// What `finish` prints once the screen is gone.
    public static func finalSummary(_ s: RunSnapshot, now: Double) -> [String] {
        // -F builds nothing: the build counters would read as a stall.
        if s.fetchOnly == true {
            return ["bulkbuild: fetch run over after \(clockDuration(elapsed(s, now: now))): "
                    + "\(s.counts.fetch) distfile(s) not fetched"].map(DisplayText.sanitized)
        }
        // `!` counts both; the summary tells IGNORE from broken ports.
        let broken = s.counts.broken ?? 0
        let built = s.counts.installable + s.counts.built
        let byRun = s.counts.builtByThisRun ?? built
        var lines = ["bulkbuild: run over after \(clockDuration(elapsed(s, now: now))): " +
                     "\(s.done)/\(s.counts.total) done, \(byRun) built, \(built - byRun) already built, " +
                     "\(s.counts.ignored - broken) ignored, \(broken) broken, \(s.counts.errors) failed"]
        lines.append(counts(s.counts))
        for f in s.failures {
            let host = f.host.map { " on \($0)" } ?? ""
            lines.append("error: \(f.path)\(host), log \(f.logPath)\(f.locked ? "" : " (lock gone)")")
        }
        if !s.lockedPaths.isEmpty { lines.append("locked: " + s.lockedPaths.joined(separator: " ")) }
        return lines.map(DisplayText.sanitized)
    }

    static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
