import Foundation
import Logs
#if canImport(Glibc)
import Glibc
#endif

/// bulkbuild's own cost, for performance.log and bench/run-bench.sh:
/// getrusage(RUSAGE_SELF) counts every thread of this process and no child.
struct OwnUsage {
    var user: Double
    var system: Double
    /// Peak resident set size in KiB.
    var maxRSS: Int

    static func now() -> OwnUsage {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return OwnUsage(user: seconds(u.ru_utime), system: seconds(u.ru_stime), maxRSS: Int(u.ru_maxrss))
    }

    /// CPU seconds this process has used (every thread), with the
    /// clock's resolution: the estimate's budget measures passes of a
    /// millisecond with it.
    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    var text: String {
        String(format: "user=%.3f sys=%.3f cpu=%.3f maxrss=%d", user, system, user + system, maxRSS)
    }

    /// Seconds since this process was started, from its start time in
    /// /proc/self/stat (clock ticks since boot); nil where that is missing.
    static func sinceLaunch() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name start at field 3; the start time is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        var ts = timespec()
        clock_gettime(CLOCK_BOOTTIME, &ts)
        let up = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        return up - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

extension Coordinator {
    /// performance.log: `PID@EPOCH: WHAT` and the process's own usage.
    func logUsage(_ what: String, _ extra: String = "") {
        let t = now()
        performanceLog.write("\(pid)@\(FileIO.stamp(t)): \(what) \(extra.isEmpty ? "" : extra + " ")\(OwnUsage.now().text)\n")
    }

    /// The first job started: how long after launch, for the benchmark.
    func noteFirstJob() {
        guard !firstJobSeen, let job = jobs.first else { return }
        firstJobSeen = true
        let since = OwnUsage.sinceLaunch().map { String(format: "%.3f", $0) } ?? "?"
        logUsage("FIRST", "\(job.path.canonical) launch+\(since)s")
    }
}
