import Engine
import Foundation

/// The line formats of dpb's logs. Each function returns a whole line
/// with its newline.
public enum LogFormat {
    /// engine.log: `PID@EPOCH.CC: L: SUBJECT EXTRA` (a space always
    /// follows the subject).
    public static func engine(pid: Int32, time: Double, _ change: StateChange) -> String {
        "\(pid)@\(FileIO.stamp(time)): \(change.state.letter): \(change.subject) \(change.extra)\n"
    }

    /// rebuild.log: `FULLPKGPATH FULLPKGNAME rebuilt|kept: REASON`.
    public static func rebuild(path: String, pkgname: String, rebuild: Bool, reason: String) -> String {
        "\(path) \(pkgname) \(rebuild ? "rebuilt" : "kept"): \(reason)\n"
    }

    /// dependencies.log: `FULLPKGPATH COUNT`, COUNT the ports that depend on it.
    public static func dependencies(path: String, count: Int) -> String { "\(path) \(count)\n" }

    /// needed.log: `EPOCH HOST PKGNAME...`, the packages a junk run kept.
    public static func needed(time: Double, host: String, packages: [String]) -> String {
        ([FileIO.stamp(time), host] + packages).joined(separator: " ") + "\n"
    }

    /// clean.log: `FULLPKGPATH HOST STATUS` for a `clean` that failed.
    public static func clean(path: String, host: String, status: String) -> String { "\(path) \(host) \(status)\n" }

    /// engine.log marker for one engine pass.
    public static func enginePass(pid: Int32, time: Double) -> String {
        "\(pid)@\(FileIO.stamp(time)): +\n"
    }

    /// build.log: `FULLPKGPATH HOST/JOBS TIME LOGSIZE max_stuck=S/PHASE=SECS/...[!]`.
    public static func build(path: String, host: String, jobs: Int, parallel: Int, seconds: Double,
                             logSize: Int64, maxStuck: Double, phases: [(String, Double)],
                             failed: Bool) -> String {
        let slots = parallel > 1 ? "\(jobs)*\(parallel)" : "\(jobs)"
        let time = parallel > 1 ? seconds * Double(parallel) : seconds
        var detail = "max_stuck=\(FileIO.stamp(maxStuck))"
        for (phase, secs) in phases { detail += "/\(phase)=\(FileIO.stamp(secs))" }
        return "\(path) \(host)/\(slots) \(FileIO.stamp(time)) \(logSize) \(detail)\(failed ? "!" : "")\n"
    }

    /// stats.log: `PID EPOCH.CC ELAPSED.CC I=.. B=.. Q=.. T=..[ F=..]`.
    public static func stats(pid: Int32, time: Double, elapsed: Double, _ c: RunSnapshot.Counts) -> String {
        var line = "\(pid) \(FileIO.stamp(time)) \(FileIO.stamp(elapsed)) I=\(c.installable) B=\(c.built) Q=\(c.queued) T=\(c.toBuild)"
        if c.fetch > 0 { line += " F=\(c.fetch)" }
        return line + "\n"
    }

    /// concurrent.log: `PID EPOCH N`.
    public static func concurrent(pid: Int32, time: Double, running: Int) -> String {
        "\(pid) \(FileIO.stamp(time)) \(running)\n"
    }

    /// equiv.log: `A -> B`.
    public static func equivalence(_ a: FullPkgPath, _ b: FullPkgPath) -> String {
        "\(a.canonical) -> \(b.canonical)\n"
    }

    /// depends.log: `FULLPKGPATH build DEP... run DEP...`. The words
    /// `build` and `run` cannot be paths (a path has a '/').
    public static func depends(path: FullPkgPath, build: [Dependency], run: [Dependency]) -> String {
        var line = path.canonical + " build"
        for d in build { line += " " + d.path.canonical }
        line += " run"
        for d in run { line += " " + d.path.canonical }
        return line + "\n"
    }

    /// Per-port log headers.
    public static func portHeader(host: String, path: String) -> String {
        ">>> Building on \(host) under \(path)\n"
    }
    public static func phaseHeader(phase: String, path: String, time: Double) -> String {
        // Every phase of every port: joined, not interpolated.
        ">>> Running " + phase + " in " + path + " at " + String(Int(time)) + "\n"
    }
    public static func portEnd(time: Double) -> String {
        ">>> Ended at \(Int(time))\n"
    }
    public static func portError(status: String, host: String, time: Double) -> String {
        "Error: job failed with \(status) on \(host) at \(Int(time))\n"
    }

    /// Port log lines around a copy host's transfers.
    public static func transferHeader(_ title: String, path: String, time: Double) -> String {
        ">>> \(title) for \(path) at \(Int(time))\n"
    }
    public static func transferDone(files: Int, bytes: Int64, seconds: Double) -> String {
        ">>> \(volume(files, bytes)) in \(String(format: "%.2f", seconds))s\n"
    }

    public static func fileSent(_ path: String, bytes: Int64) -> String { "   sent \(path) (\(bytes) bytes)\n" }

    /// hosts.log: `PID@EPOCH: HOST WHAT: N files, B bytes in S s`.
    public static func hostTransfer(pid: Int32, time: Double, host: String, what: String,
                                    files: Int, bytes: Int64, seconds: Double) -> String {
        "\(pid)@\(FileIO.stamp(time)): \(host) \(what): \(volume(files, bytes)) in \(String(format: "%.2f", seconds))s\n"
    }
    public static func hostTransferFailed(pid: Int32, time: Double, host: String, what: String,
                                          reason: String) -> String {
        "\(pid)@\(FileIO.stamp(time)): \(host) \(what) failed: \(reason)\n"
    }
    /// hosts.log at the end of a run, per copy host.
    public static func hostTransferTotals(pid: Int32, time: Double, host: String,
                                          sent: (files: Int, bytes: Int64, seconds: Double),
                                          broughtBack: (files: Int, bytes: Int64, seconds: Double)) -> String {
        "\(pid)@\(FileIO.stamp(time)): \(host) transfers: sent \(volume(sent.files, sent.bytes)) in \(String(format: "%.2f", sent.seconds))s, brought back \(volume(broughtBack.files, broughtBack.bytes)) in \(String(format: "%.2f", broughtBack.seconds))s\n"
    }
    /// engine.log: why a copy host's job failed in a transfer (the E line follows).
    public static func transferFailure(pid: Int32, time: Double, path: String, host: String, reason: String) -> String {
        "\(pid)@\(FileIO.stamp(time)): transfer: \(path) on \(host): \(reason)\n"
    }
    static func volume(_ files: Int, _ bytes: Int64) -> String {
        "\(files) file\(files == 1 ? "" : "s"), \(bytes) bytes"
    }

    /// performance.log: `PID@EPOCH: WHAT-` / `WHAT+ NEXT INTERVAL` / `WHAT! NEXT INTERVAL`.
    public static func performance(pid: Int32, time: Double, what: String, mark: Character,
                                   next: Double? = nil, took: Double? = nil) -> String {
        var line = "\(pid)@\(FileIO.stamp(time)): \(what)\(mark)"
        if let next, let took { line += " \(FileIO.stamp(next)) \(FileIO.fixed(took, places: 4))" }
        return line + "\n"
    }

    /// A human date for lock files: `EPOCH (date)`, in UTC, as
    /// `Tue Nov 14 22:13:20 2023`. Computed by hand: a DateFormatter per
    /// lock file cost more than the rest of the line.
    public static func epochWithDate(_ t: Double) -> String {
        let secs = Int(t.rounded(.down))
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let inDay = secs - days * 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        // 1970-01-01 was a Thursday.
        let weekday = ((days % 7) + 7 + 4) % 7
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let clock = "\(two(inDay / 3600)):\(two(inDay / 60 % 60)):\(two(inDay % 60))"
        return "\(Int(t)) (\(names[weekday]) \(months[month - 1]) \(day) \(clock) \(year))"
    }

    /// Year, month (1-12) and day of a day count from 1970-01-01 in the
    /// proleptic Gregorian calendar (eras of 400 years, March-based years
    /// so that the leap day comes last).
    static func civilDate(daysSinceEpoch: Int) -> (Int, Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// An append-only log file opened once and written a line at a time.
public final class AppendLog {
    public let path: String
    let sink: any LogSink
    public init(path: String, files: any FileStore = PosixFileStore.shared) throws {
        self.path = path
        sink = try files.openLog(path)
    }
    /// Told of a write that failed (full or read-only disk): a log that
    /// cannot be written is an event for the run, never silently dropped.
    public var onFailure: ((FileIO.Failure) -> Void)?
    public func write(_ line: String) {
        // One write per line: O_APPEND makes it land whole.
        do {
            try sink.write(line)
        } catch let f as FileIO.Failure {
            onFailure?(f)
        } catch {}
    }
}
