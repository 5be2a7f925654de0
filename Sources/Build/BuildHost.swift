import Engine
import HostPool

/// One machine that takes build jobs, as the coordinator sees it: its
/// slots and jobs here, its state in `model` (HostPool.Host, the one host
/// state machine, fed by the runner's events and the coordinator's init
/// results).
final class BuildHost {
    let name: String
    let runner: TaskRunner
    var slots: Int
    var speedFactor: Double
    var parallel: ParallelSetting = .fraction(2)
    /// Ports expected to take less than this many seconds here skip
    /// patch, configure and fake.
    var small: Double = 120
    var junkEvery: Int
    var buildsSinceJunk = 0
    var stuckTimeout: Double?
    var alwaysClean: Bool
    var running: [BuildJob] = []
    /// The host's state and its transitions.
    let model: HostPool.Host
    /// The model's status when the coordinator last acted on it, to tell
    /// which change a runner's event made.
    var seen: HostStatus = .starting
    /// The job that holds this host's depends/prepare/junk lock.
    var dependsHolder: BuildJob?
    /// The last pass found nothing to start in a free slot here.
    var queueDry = false
    /// Its stop files' paths (LogDirectory.hostStopFiles), made at the
    /// first pass: every pass looks for them.
    var stopFiles: [String]?
    /// A copy host's files and transfers; nil for a host that shares the
    /// master's file system.
    var files: HostFiles?
    /// -M (or `memory`): kilobytes of work directories allowed at once in
    /// its memory file system, and where that is mounted once it is.
    var memoryThreshold: Int64?
    var memoryMount: String?

    /// `model` is the remote host's (its runner reports to it); a local
    /// host gets one of its own.
    init(name: String, runner: TaskRunner, slots: Int, speedFactor: Double = 1, junkEvery: Int = 150,
         stuckTimeout: Double? = nil, alwaysClean: Bool = false, model: HostPool.Host? = nil) {
        self.name = name; self.runner = runner; self.slots = slots; self.speedFactor = speedFactor
        self.junkEvery = junkEvery; self.stuckTimeout = stuckTimeout; self.alwaysClean = alwaysClean
        self.model = model ?? HostPool.Host(config: HostConfig(name: name, address: name, isLocal: runner.isLocal,
                                                               origin: "run"), runner: runner)
    }

    var state: RunSnapshot.HostState {
        switch model.status {
        case .starting: return .starting
        case .up: return .up
        case .down: return .down
        case .failed: return .failed
        }
    }
    var reason: String? { model.reason }

    var isLocal: Bool { runner.isLocal }
    /// Slots in use, counting the extra ones parallel jobs took.
    var used: Int { running.reduce(0) { $0 + 1 + $1.swallowed } }
}
