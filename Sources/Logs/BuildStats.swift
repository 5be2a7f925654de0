import Engine
import Foundation

/// Rolling build statistics (`%f/build-stats/%a`): one line per build,
/// `pkgpath host=H time=SECONDS size=LOGSIZE ts=EPOCH`, the last ten
/// successful builds of each path kept.
public struct BuildStats: Sendable {
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var host: String
        public var time: Double
        public var size: Int64
        public var timestamp: Double
        public init(path: String, host: String, time: Double, size: Int64, timestamp: Double) {
            self.path = path; self.host = host; self.time = time; self.size = size; self.timestamp = timestamp
        }
        public var line: String {
            "\(path) host=\(host) time=\(FileIO.stamp(time)) size=\(size) ts=\(Int(timestamp))\n"
        }
    }

    public static let keepPerPath = 10
    public private(set) var entries: [String: [Entry]] = [:]
    public init() {}

    /// Reads a stats file; unreadable lines are skipped (the file is a
    /// cache, not input a person wrote).
    public static func read(_ path: String, files: any FileStore = PosixFileStore.shared) -> BuildStats {
        var stats = BuildStats()
        guard let text = files.read(path) else { return stats }
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 2 else { continue }
            var fields: [String: String] = [:]
            for w in words.dropFirst() {
                if let eq = w.firstIndex(of: "=") { fields[String(w[..<eq])] = String(w[w.index(after: eq)...]) }
            }
            guard let t = fields["time"].flatMap(Double.init), t >= 0 else { continue }
            stats.add(Entry(path: String(words[0]), host: fields["host"] ?? "localhost", time: t,
                            size: fields["size"].flatMap { Int64($0) } ?? 0,
                            timestamp: fields["ts"].flatMap(Double.init) ?? 0))
        }
        return stats
    }

    /// Primes statistics from an earlier build.log (`-b`); failed builds
    /// (a trailing `!`) are left out.
    public static func fromBuildLog(_ path: String, files: any FileStore = PosixFileStore.shared) throws -> BuildStats {
        guard let text = files.read(path) else {
            throw FileIO.Failure(path: path, what: "cannot read build log", code: ENOENT)
        }
        var stats = BuildStats()
        for line in text.split(separator: "\n") where !line.hasSuffix("!") {
            let words = line.split(separator: " ")
            guard words.count >= 4, let t = Double(words[2]), let size = Int64(words[3]) else { continue }
            let hostJobs = words[1]
            let host = hostJobs.split(separator: "/").first.map(String.init) ?? "localhost"
            // `*N` after the jobs count: a parallel build; dpb multiplied its time by N.
            var time = t
            if let star = hostJobs.firstIndex(of: "*"), let n = Double(hostJobs[hostJobs.index(after: star)...]), n > 0 {
                time = t / n
            }
            stats.add(Entry(path: String(words[0]), host: host, time: time, size: size, timestamp: 0))
        }
        return stats
    }

    /// The paths `runs` (a log directory's build.log, by `fromBuildLog`)
    /// has builds of take their times from there: a build.log time is the
    /// job's whole slot time, every phase and the gaps between them, where
    /// a stats line may hold less (a tree's seeded build times). Both
    /// keep the last ten builds, so for paths built in this log directory
    /// the two agree unless the stats file was seeded or shared.
    public mutating func takeSlotTimes(from runs: BuildStats) {
        for (path, list) in runs.entries where !list.isEmpty { entries[path] = list }
    }

    /// The stats file's history with the slot times of the log
    /// directory's build.log (a missing build.log adds nothing).
    public static func history(stats statsPath: String, buildLog: String,
                               files: any FileStore = PosixFileStore.shared) -> BuildStats {
        var stats = read(statsPath, files: files)
        stats.takeSlotTimes(fromBuildLog: buildLog, files: files)
        return stats
    }

    /// takeSlotTimes from the build.log at `path` (a missing or unreadable
    /// one adds nothing).
    public mutating func takeSlotTimes(fromBuildLog path: String, files: any FileStore = PosixFileStore.shared) {
        if let runs = try? BuildStats.fromBuildLog(path, files: files) { takeSlotTimes(from: runs) }
    }

    public mutating func add(_ e: Entry) {
        // A hand-edited or corrupt line (1e308, nan) would overflow every
        // sum and Int conversion downstream; no build takes 30 years.
        guard e.time.isFinite, e.time >= 0, e.time < 1e9, e.timestamp.isFinite, abs(e.timestamp) < 1e11 else { return }
        var list = entries[e.path, default: []]
        list.append(e)
        if list.count > BuildStats.keepPerPath { list.removeFirst(list.count - BuildStats.keepPerPath) }
        entries[e.path] = list
    }

    /// Mean time per path, each measurement scaled to a speed factor of 1
    /// by the speed factor of the host that made it.
    public func weights(speedFactor: (String) -> Double) -> [String: Double] {
        var out: [String: Double] = [:]
        for (path, list) in entries where !list.isEmpty {
            out[path] = list.reduce(0) { $0 + $1.time * speedFactor($1.host) } / Double(list.count)
        }
        return out
    }

    /// Mean log size per path, for the display's percentages.
    public func logSizes() -> [String: Int64] {
        var out: [String: Int64] = [:]
        for (path, list) in entries where !list.isEmpty {
            out[path] = list.reduce(0) { $0 + $1.size } / Int64(list.count)
        }
        return out
    }

    /// Rewrites the file whole (write + rename).
    public func write(to path: String, files: any FileStore = PosixFileStore.shared) throws {
        try files.makeDirectory((path as NSString).deletingLastPathComponent)
        var text = ""
        for key in entries.keys.sorted() { for e in entries[key]! { text += e.line } }
        try files.replace(path, with: text)
    }
}
