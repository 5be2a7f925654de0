/// What `bulkbuild report` tells about one run, reconstructed from its log
/// directory: the jobs laid out on their hosts' slots, the chain that held
/// the end back, the bounds the makespan is judged against, failures and
/// the slowest ports. Encoded as is for `--json`; the HTML page draws it.
/// Times are epoch seconds; durations are seconds.
public struct RunReport: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        /// `running`: the report of a build still going on; its end is
        /// the time of the report.
        case built, failed, notFinished, running
    }

    public struct Phase: Codable, Sendable, Equatable {
        public var name: String
        public var start: Double
        public var seconds: Double
    }

    public struct Job: Codable, Sendable, Equatable {
        public var path: String
        public var host: String
        public var start: Double
        public var end: Double
        public var outcome: Outcome
        /// Cores the job used (MAKE_JOBS); it spans that many slot lanes.
        public var cores: Int
        /// First slot lane of its host (0-based), assigned greedily by time.
        public var lane: Int
        public var phases: [Phase]
        /// The per-port log, relative to the log directory.
        public var log: String
        public var logSize: Int64?
        public var seconds: Double { end - start }
    }

    public struct Period: Codable, Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var reason: String
    }

    public struct Host: Codable, Sendable, Equatable {
        public var name: String
        public var slots: Int
        /// Rows drawn: the slots, more when jobs overlapped beyond them.
        public var lanes: Int
        public var jobs: Int
        /// Core-seconds of jobs on it.
        public var busySeconds: Double
        /// Slots times the part of the run it was not down.
        public var availableSeconds: Double
        public var utilisation: Double
        public var down: [Period]
    }

    public struct Counts: Codable, Sendable, Equatable {
        public var jobs = 0
        public var built = 0
        public var failed = 0
        public var notFinished = 0
        public var running = 0
        /// Packages already there when the run listed them.
        public var alreadyBuilt = 0
        public var ignored = 0
        /// Not built because a dependency failed, is ignored or locked.
        public var blocked = 0
        public var locked = 0
        /// Still waiting when the run ended (after a failure, a stop).
        public var notBuilt = 0
    }

    public struct Bounds: Codable, Sendable, Equatable {
        /// From the first job's start to the last job's end.
        public var buildSpan: Double
        /// The longest dependency chain of jobs, at their measured times.
        public var criticalPath: Double
        /// Core-seconds of every job.
        public var work: Double
        /// Slots of the hosts that were up.
        public var capacity: Double
        /// max(criticalPath, work / capacity), and the tighter bound of
        /// MakespanBounds; the span is judged against the tight one.
        public var simple: Double
        public var tight: Double
        /// buildSpan / tight: 1 is as good as any schedule could be.
        public var ratio: Double
    }

    public struct Estimate: Codable, Sendable, Equatable {
        /// Seconds into the run the judged estimate was made.
        public var madeAt: Double
        public var predicted: Double
        public var actual: Double
        public var error: Double
        /// Of `actual`; nil when the run ended within a second of the estimate.
        public var percent: Double?
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var path: String
        public var host: String?
        public var phase: String?
        public var status: String?
        public var log: String
        /// The last lines of the log before the error line.
        public var tail: [String]
    }

    public struct Skipped: Codable, Sendable, Equatable {
        public var path: String
        /// `ignored`, `blocked` (a dependency is ignored), `locked`, or
        /// `notBuilt` (still waiting when the run ended).
        public var kind: String
        public var reason: String
    }

    public struct Slow: Codable, Sendable, Equatable {
        public var path: String
        public var host: String
        public var seconds: Double
        /// Mean of earlier builds of the path (build.log of earlier runs in
        /// this log directory and the build-stats file), when there are any.
        public var historyMean: Double?
        public var historyCount: Int
        /// seconds / historyMean.
        public var ratio: Double?
    }

    public var logDir: String
    public var generated: Double
    public var pid: Int32?
    public var start: Double
    public var end: Double
    public var ended: Bool
    public var wallSeconds: Double
    public var counts: Counts
    public var hosts: [Host]
    public var jobs: [Job]
    /// Indices into `jobs`, first job first.
    public var criticalPath: [Int]
    /// criticalLinks[i] says why criticalPath[i + 1] waited for
    /// criticalPath[i]: `dependency`, or `slot` (it waited for that job of
    /// its host to end). The last one is `end`: that job ended the build.
    public var criticalLinks: [String]
    public var bounds: Bounds?
    public var estimate: Estimate?
    public var failures: [Failure]
    public var skipped: [Skipped]
    public var slowest: [Slow]
    /// What could not be reconstructed (a missing depends.log, ...).
    public var notes: [String]
}
