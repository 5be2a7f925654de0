import Engine
import HostPool
import Logs

/// One port build on one host: its phases run one after another, each as
/// its own task (process group), all appending to the port's log.
final class BuildJob {
    let path: FullPkgPath
    let record: PortRecord
    let host: BuildHost
    let logPath: String
    /// The port log held open while the job runs: the run's own lines
    /// (phase headers and the like) cost a write, not an open and a close.
    var portLog: (any LogSink)?
    let lockName: String
    var started: Double
    var phases: [Phase]
    var phaseIndex = 0
    var phaseStarted: Double
    var phaseTimes: [(String, Double)] = []
    var handle: TaskHandle?
    var waitingForLock = false
    /// Extra slots held now (parallel phases), and how many more it waits for.
    var swallowed = 0
    var wantsSlots = 0
    /// Of `swallowed`, the idle slots lent in the tail: a new job takes them back.
    var lent = 0
    /// Slot-seconds its extra slots were held, lent ones left out (slots
    /// no other port wanted), up to `heldSince`: what it took from others.
    var extraHeld = 0.0
    var heldSince: Double
    /// Cores of its parallel phases (1: not a parallel port), which phases
    /// those are, and whether it holds them for the whole job (lonesome).
    var cores = 1
    var parallelPhases: Set<Phase> = []
    var holdsWholeJob = false
    /// Started in the host's squiggle slot (a light port to fill the tail).
    var squiggle = false
    /// Expected seconds on this host, from history or the estimate.
    var expected: Double = 0
    var expectedLogSize: Int64?
    /// MAKE_JOBS of the phase running now, and the most any phase got.
    var makeJobs: Int?
    var mostMakeJobs = 1
    var lastLogSize: Int64 = 0
    var lastGrowth: Double
    var maxStuck: Double = 0
    /// Its affinity file was written (`recordAffinities`).
    var affinityWritten = false
    /// Why bulkbuild killed the job (stuck, over its time limit).
    var killReason: String?
    var hardKillAt: Double?
    /// The plain log already said this job is frozen.
    var frozenReported = false
    var stopping = false
    /// A copy host's transfer the job waits for, and since when.
    var transfer: TransferStep?
    var transferStarted = 0.0
    /// -M: the job's WRKOBJDIR in its host's memory file system, and the
    /// recorded size it counts against the host's threshold.
    var memoryDirectory: String?
    var memoryKilobytes: Int64 = 0
    /// -s: its work directory was measured (before the last clean), or is
    /// being measured now.
    var measured = false
    var measuring = false

    init(record: PortRecord, host: BuildHost, logPath: String, lockName: String, phases: [Phase], now: Double) {
        self.path = record.path
        self.record = record
        self.host = host
        self.logPath = logPath
        self.lockName = lockName
        self.phases = phases
        self.started = now
        self.phaseStarted = now
        self.lastGrowth = now
        self.heldSince = now
    }

    /// Called before `swallowed` or `lent` change, and at the end.
    func accountHeld(_ t: Double) {
        extraHeld += Double(max(0, swallowed - lent)) * max(0, t - heldSince)
        heldSince = t
    }

    /// The phase running or about to run; nil once all have run.
    var current: Phase? { phaseIndex < phases.count ? phases[phaseIndex] : nil }
    /// Its name, for logs and the screen.
    var phase: String { measuring ? "size" : current?.rawValue ?? "done" }
    /// What the screen shows: the transfer under way, or the phase.
    var shownPhase: String { waitingForLock ? "waiting-for-lock" : transfer?.rawValue ?? phase }
    var pid: Int32 { handle?.pid ?? 0 }
    /// A phase that sets affinity (`Phase.setsAffinity`) ended well.
    var pastAffinityPhase: Bool { phases.prefix(phaseIndex).contains { $0.setsAffinity } }
    var needsHostLock: Bool { current?.needsHostLock ?? false }
}
