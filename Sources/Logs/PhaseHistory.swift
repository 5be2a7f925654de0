import Engine
import Foundation

/// Phase times of earlier builds, read from build.log lines
/// (`PATH HOST/JOBS[*K] TIME SIZE max_stuck=S/PHASE=SECS/...[!]`): what a
/// parallel port spends before its build, in it with K cores, and after
/// it, so that the simulator's model (`Simulator.PortTiming`) can be fed
/// from history instead of from the whole job's time.
public struct PhaseHistory: Sendable {
    public struct Build: Sendable, Equatable {
        public var host: String
        /// MAKE_JOBS of the build (1: not parallel).
        public var cores: Int
        public var before: Double
        public var build: Double
        public var after: Double
    }

    /// The last `BuildStats.keepPerPath` successful builds by path, oldest first.
    public private(set) var builds: [String: [Build]] = [:]
    public init() {}

    /// Reads a build.log; a missing file is no history. Failed builds and
    /// lines that are not build.log lines are skipped (the log is output
    /// of earlier runs, and a run that was killed may end in half a line).
    public static func read(_ path: String, files: any FileStore = PosixFileStore.shared) -> PhaseHistory {
        guard let text = files.read(path) else { return PhaseHistory() }
        return parse(text)
    }

    public static func parse(_ text: String) -> PhaseHistory {
        var h = PhaseHistory()
        for line in text.split(separator: "\n") where !line.hasSuffix("!") {
            let words = line.split(separator: " ")
            guard words.count >= 5 else { continue }
            let hostJobs = words[1].split(separator: "/", maxSplits: 1)
            guard hostJobs.count == 2 else { continue }
            var cores = 1
            if let star = hostJobs[1].firstIndex(of: "*") {
                guard let k = Int(hostJobs[1][hostJobs[1].index(after: star)...]), k > 0 else { continue }
                cores = k
            }
            var b = Build(host: String(hostJobs[0]), cores: cores, before: 0, build: 0, after: 0)
            var seenBuild = false
            for field in words[4].split(separator: "/") {
                let kv = field.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, let secs = Double(kv[1]), secs >= 0 else { continue }
                switch kv[0] {
                case "max_stuck": continue
                case "build": b.build += secs; seenBuild = true
                default: if seenBuild { b.after += secs } else { b.before += secs }
                }
            }
            guard seenBuild else { continue }
            // build.log grows with every run: only the last few builds count.
            var list = h.builds[String(words[0]), default: []]
            list.append(b)
            if list.count > BuildStats.keepPerPath { list.removeFirst() }
            h.builds[String(words[0])] = list
        }
        return h
    }

    /// The model of every path whose last build was parallel, in seconds
    /// at speed factor 1 (each build scaled by its host's `speedFactor`),
    /// the means of its last `keep` builds kept. The build's serial and
    /// scalable parts come from a least-squares fit of `serial +
    /// scalable / cores` when builds with different cores are known;
    /// with one value of cores the build is taken as all scalable.
    public func timings(speedFactor: (String) -> Double, keep: Int = BuildStats.keepPerPath) -> [String: Simulator.PortTiming] {
        var out: [String: Simulator.PortTiming] = [:]
        for (path, all) in builds {
            guard let last = all.last, last.cores > 1 else { continue }
            let list = all.suffix(keep)
            let n = Double(list.count)
            var before = 0.0, after = 0.0
            // Fit y = s + c x with x = 1 / cores, y the build at sf 1.
            var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
            for b in list {
                let sf = speedFactor(b.host)
                before += b.before * sf / n
                after += b.after * sf / n
                let x = 1 / Double(b.cores), y = b.build * sf
                sx += x; sy += y; sxx += x * x; sxy += x * y
            }
            let spread = n * sxx - sx * sx
            var serial = 0.0, scalable = sy / max(sx, 1e-9)
            if spread > 1e-12 {
                let c = (n * sxy - sx * sy) / spread
                let s = (sy - c * sx) / n
                if c >= 0 && s >= 0 { serial = s; scalable = c }
            }
            out[path] = Simulator.PortTiming(before: before, serial: serial, scalable: scalable, after: after)
        }
        return out
    }
}
