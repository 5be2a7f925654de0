/// Everything a report needs to draw the run at one moment. The
/// coordinator fills it; TTYReport draws it and Logs writes it to
/// status.json, so its field names are part of the documented format.
public struct RunSnapshot: Sendable, Codable, Equatable {
    public struct Counts: Sendable, Codable, Equatable {
        /// I: built and every run dependency installable.
        public var installable = 0
        /// B: built, waiting on run dependencies.
        public var built = 0
        /// Q: buildable, waiting for a slot.
        public var queued = 0
        /// T: waiting on build dependencies.
        public var toBuild = 0
        /// F: distfiles waiting to be fetched.
        public var fetch = 0
        /// !: ignored, directly or because of a dependency.
        public var ignored = 0
        /// Of `ignored`, the broken ones (listing errors, missing
        /// dependencies), not IGNORE; nil in files written before it existed.
        public var broken: Int?
        /// Of `built` and `installable`, those a job of this run built;
        /// nil in files written before it existed.
        public var builtByThisRun: Int?
        /// L: locked by another process.
        public var locked = 0
        /// E: failed; their locks stay.
        public var errors = 0
        /// H: built, package file not visible yet.
        public var waitingPackage = 0
        /// J: running now.
        public var running = 0
        /// Every path the run knows about.
        public var total = 0
        public init() {}
    }

    public struct Job: Sendable, Codable, Equatable {
        public var path: String
        public var phase: String
        /// nil for local slots.
        public var host: String?
        public var pid: Int32
        /// Epoch seconds.
        public var started: Double
        public var logSize: Int64
        /// Expected final log size from history, when known.
        public var expectedLogSize: Int64?
        /// Seconds since the log last grew, when that is 45 s or more.
        public var frozenSeconds: Double?
        /// Extra slots this job has taken (parallel swallowing).
        public var swallowed: Int
        public var squiggle: Bool
        public var nojunk: Bool
        public var waitingForLock: Bool
        /// MAKE_JOBS of the phase running now (a parallel phase).
        public var makeJobs: Int?
        /// True for the job whose end, with the chain after it, is the
        /// latest of the running ones (nil: not it).
        public var criticalPath: Bool?
        /// True when its work directory is in its host's memory file system (-M).
        public var memory: Bool?
        public init(path: String, phase: String, host: String?, pid: Int32, started: Double,
                    logSize: Int64, expectedLogSize: Int64? = nil, frozenSeconds: Double? = nil,
                    swallowed: Int = 0, squiggle: Bool = false, nojunk: Bool = false,
                    waitingForLock: Bool = false, makeJobs: Int? = nil, criticalPath: Bool? = nil,
                    memory: Bool? = nil) {
            self.makeJobs = makeJobs; self.criticalPath = criticalPath; self.memory = memory
            self.path = path; self.phase = phase; self.host = host; self.pid = pid
            self.started = started; self.logSize = logSize; self.expectedLogSize = expectedLogSize
            self.frozenSeconds = frozenSeconds; self.swallowed = swallowed; self.squiggle = squiggle
            self.nojunk = nojunk; self.waitingForLock = waitingForLock
        }
    }

    public struct FetchJob: Sendable, Codable, Equatable {
        public var distfile: String
        public var attempt: Int
        public var pid: Int32
        public var percent: Int?
        public init(distfile: String, attempt: Int, pid: Int32, percent: Int?) {
            self.distfile = distfile; self.attempt = attempt; self.pid = pid; self.percent = percent
        }
    }

    public enum HostState: String, Sendable, Codable, Equatable {
        case starting, up, down, stopped, failed
    }

    public struct Host: Sendable, Codable, Equatable {
        public var name: String
        public var state: HostState
        public var slots: Int
        public var running: Int
        /// Why the host is down or failed, for the display.
        public var reason: String?
        public init(name: String, state: HostState, slots: Int, running: Int, reason: String? = nil) {
            self.name = name; self.state = state; self.slots = slots; self.running = running
            self.reason = reason
        }
    }

    public struct Failure: Sendable, Codable, Equatable {
        public var path: String
        public var host: String?
        public var logPath: String
        /// The port's lock is still there (dpb marks errors whose lock vanished).
        public var locked: Bool
        public init(path: String, host: String?, logPath: String, locked: Bool) {
            self.path = path; self.host = host; self.logPath = logPath; self.locked = locked
        }
    }

    public enum Outcome: String, Sendable, Codable, Equatable {
        case built, failed, ignored, notFinished
    }

    public struct HistoryEntry: Sendable, Codable, Equatable {
        public var time: Double
        public var path: String
        public var outcome: Outcome
        public var host: String?
        public var duration: Double?
        /// Log for failures, reason for ignored paths.
        public var detail: String?
        public init(time: Double, path: String, outcome: Outcome, host: String?,
                    duration: Double?, detail: String?) {
            self.time = time; self.path = path; self.outcome = outcome; self.host = host
            self.duration = duration; self.detail = detail
        }
    }

    public var pid: Int32 = 0
    /// The machine the run's process is on (with `pid`, monitor tells a
    /// run that is gone from one that goes on); nil in older files.
    public var runHost: String?
    /// Epoch seconds of this snapshot and of the start of the run.
    public var time: Double = 0
    public var startTime: Double = 0
    /// LOGDIR/stop exists.
    public var stopping = false
    /// Listing of the tree is still going on.
    public var listing = false
    /// The run has finished; monitor uses this.
    public var ended = false
    /// -F: the run fetches and builds nothing; nil in older files.
    public var fetchOnly: Bool?
    public var counts = Counts()
    public var jobs: [Job] = []
    public var fetchJobs: [FetchJob] = []
    public var hosts: [Host] = []
    public var lockedPaths: [String] = []
    public var failures: [Failure] = []
    public var waitingPackagePaths: [String] = []
    /// Newest last.
    public var history: [HistoryEntry] = []
    /// Epoch seconds of the estimated finish, when the scheduler has one.
    public var estimatedFinish: Double?

    public init() {}

    public var elapsed: Double { max(0, time - startTime) }
    /// Paths that are finished one way or another.
    public var done: Int { counts.installable + counts.built + counts.ignored + counts.errors }
}
