// A build host as the coordinator sees it: its hosts-file config, the
// runner that carries its tasks, and its state.

public enum HostStatus: Sendable, Equatable {
    /// Connecting / running init: no slots yet.
    case starting
    /// Init passed; slots usable.
    case up
    /// Connection lost; the runner retries. Slots are parked.
    case down
    /// Init failed or signature mismatch: never used again this run.
    case failed
}

/// Coordinator thread only (every mutation comes from it, including the
/// runner's host events, which are posted through the CoordinatorQueue).
public final class Host {
    public let config: HostConfig
    public let runner: TaskRunner
    public private(set) var status: HostStatus = .starting
    /// Why the host is down or failed.
    public private(set) var reason: String?
    public private(set) var facts: HostFacts?
    /// Called after each status change caused by the runner (up/down).
    public var onStatusChange: ((Host) -> Void)?

    public var name: String { config.name }
    public var isLocal: Bool { config.isLocal }
    /// Jobs to run there: `jobs=` or the CPU count found by init.
    public var jobs: Int { config.properties.jobs ?? facts?.cpus ?? 1 }

    public init(config: HostConfig, runner: TaskRunner) {
        self.config = config
        self.runner = runner
    }

    /// A remote host: its RemoteRunner connects at once and reports up/down
    /// through `queue`; `parameters` are the merged -D values (SSH_CONFIG,
    /// CONNECTION_TIMEOUT).
    public static func remote(_ config: HostConfig, parameters: [String: String],
                              queue: CoordinatorQueue, liveness: SSHLiveness = SSHLiveness(),
                              onStatusChange: ((Host) -> Void)? = nil) -> Host {
        final class Weak { weak var host: Host? }
        let ref = Weak()
        let runner = RemoteRunner(target: SSHTarget(host: config, parameters: parameters),
                                  queue: queue, liveness: liveness) { event in
            ref.host?.hostEvent(event)
        }
        let host = Host(config: config, runner: runner)
        host.onStatusChange = onStatusChange
        ref.host = host
        return host
    }

    /// The one transition for what a runner reports (public: fake runners
    /// in tests report the same way).
    public func hostEvent(_ event: HostEvent) {
        guard status != .failed else { return }
        switch event {
        case .up:
            // Back from down: usable again when init already passed;
            // otherwise (first connection, or lost during init) init has to
            // run before the host gets slots.
            status = facts != nil ? .up : .starting
            reason = nil
        case .down(let why):
            status = .down
            reason = why
        }
        onStatusChange?(self)
    }

    /// Init starts (again): no slots until it passes.
    public func beginInit() {
        if status != .failed { status = .starting; reason = "init" }
    }

    /// Init passed.
    public func markUp(facts: HostFacts) {
        self.facts = facts
        if status != .failed { status = .up; reason = nil }
    }

    public func markDown(_ why: String) {
        if status != .failed { status = .down; reason = why }
    }

    /// No more slots for this host, ever.
    public func markFailed(_ why: String) {
        status = .failed
        reason = why
        (runner as? RemoteRunner)?.shutdown(killTasks: false)
    }
}
