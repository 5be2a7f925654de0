import Engine
import HostPool

/// One machine that takes build jobs, as the coordinator sees it.
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
    var state: RunSnapshot.HostState = .up
    var reason: String?
    var running: [BuildJob] = []
    /// The connection of a remote host (nil for local slots).
    var pool: HostPool.Host?
    /// The job that holds this host's depends/prepare/junk lock.
    var dependsHolder: BuildJob?
    /// The last pass found nothing to start in a free slot here.
    var queueDry = false

    init(name: String, runner: TaskRunner, slots: Int, speedFactor: Double = 1, junkEvery: Int = 150,
         stuckTimeout: Double? = nil, alwaysClean: Bool = false) {
        self.name = name; self.runner = runner; self.slots = slots; self.speedFactor = speedFactor
        self.junkEvery = junkEvery; self.stuckTimeout = stuckTimeout; self.alwaysClean = alwaysClean
    }

    var isLocal: Bool { runner.isLocal }
    /// Slots in use, counting the extra ones parallel jobs took.
    var used: Int { running.reduce(0) { $0 + 1 + $1.swallowed } }
}
