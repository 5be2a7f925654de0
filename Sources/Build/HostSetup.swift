import CPosix
import Engine
import Foundation
import HostPool
import Logs

/// Hosts of a run: the hosts file (or just this machine), their init jobs
/// and their comings and goings.
extension Coordinator {
    /// Creates the build hosts. Remote ones connect at once in their own
    /// threads; every host runs its init job before it gets slots.
    public func setUpHosts(file: HostsFile?, jobsOverride: Int?, junkOverride: Int?, parameters: [String: String]) {
        switch Supervisor.start(executable: ownExecutable()) {
        case .success(let s): supervisor = s
        case .failure(let e):
            reporter.event(.message("warning: \(e); local jobs would outlive a killed bulkbuild"), at: now())
        }
        startLocalAgent(parameters: parameters)
        // Listing always runs here.
        listingRunner = LocalRunner(hostName: "localhost", reaper: reaper, queue: queue, supervisor: supervisor)
        (listingRunner as? LocalRunner)?.agent = localAgent
        let configs = file?.hosts ?? [HostConfig(name: "localhost", address: "localhost", isLocal: true, origin: "default")]
        for hc in configs {
            let p = hc.properties
            let host: BuildHost
            if hc.isLocal {
                // Its own runner, so its init log carries its name here.
                let runner = LocalRunner(hostName: hc.name, reaper: reaper, queue: queue, supervisor: supervisor)
                runner.agent = localAgent
                host = BuildHost(name: hc.name, runner: runner, slots: jobsOverride ?? p.jobs ?? 0,
                                 model: HostPool.Host(config: hc, runner: runner))
            } else {
                let model = HostPool.Host.remote(hc, parameters: parameters, queue: queue) { [weak self] h in
                    self?.remoteStatusChanged(h)
                }
                host = BuildHost(name: hc.name, runner: model.runner, slots: p.jobs ?? 0, model: model)
            }
            host.speedFactor = p.sf
            host.parallel = p.parallel
            host.small = Double(p.small)
            host.junkEvery = junkOverride ?? p.junk
            host.stuckTimeout = p.stuck.map(Double.init)
            host.alwaysClean = p.alwaysClean ?? config.alwaysClean
            if hc.isCopy {
                if let carrier = host.runner as? FileCarrier {
                    host.files = HostFiles(carrier: carrier)
                } else {
                    host.model.markFailed("copy=1: this connection cannot carry files")
                }
            }
            host.memoryThreshold = p.memory.map(Int64.init) ?? config.memoryThreshold
            addHost(host)
            if hc.isLocal { startInit(host) }
        }
        for note in file?.notes ?? [] { reporter.event(.message(note), at: now()) }
    }

    /// Local tasks are spawned by a `bulkbuild agent` beside the run, unless
    /// `-D LOCAL_AGENT=0` or the run's events are not the real poll loop.
    /// Without one (or once it is gone) they are spawned here.
    func startLocalAgent(parameters: [String: String]) {
        guard let poll = events as? PollEvents, !parameterSaysOff(parameters["LOCAL_AGENT"]) else { return }
        switch LocalAgent.start(executable: ownExecutable(), reaper: reaper, queue: queue) {
        case .success(let agent):
            localAgent = agent
            let fd = agent.fd
            poll.watch(fd) { [weak agent] in agent?.readAvailable() ?? true }
            agent.onFailure = { [weak self, weak poll] why in
                poll?.unwatch(fd)
                guard let self, self.shutdownSignal == nil, !self.finished else { return }
                self.reporter.event(.message("warning: \(why); local tasks are spawned by bulkbuild itself from now on"),
                                    at: self.now())
            }
        case .failure(let e):
            reporter.event(.message("warning: \(e); local tasks are spawned by bulkbuild itself"), at: now())
        }
    }

    /// A host joins the run; it gets slots once its init has passed.
    func addHost(_ host: BuildHost) {
        host.model.beginInit()
        host.seen = host.model.status
        hosts.append(host)
    }

    func startInit(_ host: BuildHost) {
        host.model.beginInit()
        host.seen = host.model.status
        HostInit.run(on: host.runner, logDir: logs.root, startupScript: config.startupScript,
                     readLog: { [files] in files.read($0) }) { [weak self] result in
            self?.initEnded(host, result)
        }
    }

    func initEnded(_ host: BuildHost, _ result: Result<HostFacts, HostInitError>) {
        let t = now()
        defer { host.seen = host.model.status }
        switch result {
        case .failure(let e) where e.lost:
            host.model.markDown(e.reason)
            hostsLog.write("\(pid)@\(FileIO.stamp(t)): \(host.name) init lost: \(e.reason)\n")
        case .failure(let e):
            host.model.markFailed(e.reason)
            hostsLog.write("\(pid)@\(FileIO.stamp(t)): \(host.name) init failed: \(e.reason)\n")
            reporter.event(.hostDown(host: host.name, reason: "init failed: \(e.reason)"), at: t)
        case .success(let facts):
            if let (refName, ref) = referenceFacts, refName != host.name,
               let why = facts.signatureMismatch(with: ref, referenceName: refName) {
                host.model.markFailed(why)
                writing(t) {
                    try files.append("\(host.name): \(why)\n  \(host.name): \(facts.signature)\n  \(refName): \(ref.signature)\n",
                                      to: logs.signatureLog)
                }
                reporter.event(.hostDown(host: host.name, reason: why), at: t)
                return
            }
            if referenceFacts == nil { referenceFacts = (host.name, facts) }
            // -M: no job before its memory file system is there.
            mountMemory(host) { [weak self] in self?.hostReady(host, facts) }
            return
        }
        reportSoon()
    }

    func hostReady(_ host: BuildHost, _ facts: HostFacts) {
        let t = now()
        defer { host.seen = host.model.status }
        if host.slots <= 0 { host.slots = max(1, facts.cpus) }
        host.model.markUp(facts: facts)
        let mode = (host.runner as? RemoteRunner)?.dispatchMode.map { "\($0)" } ?? "local"
        hostsLog.write("\(pid)@\(FileIO.stamp(t)): \(host.name) up: user \(facts.user), \(facts.cpus) cpus, \(host.slots) jobs, tasks by \(mode)\n")
        if !host.isLocal { reporter.event(.hostUp(host: host.name), at: t) }
        reportSoon()
    }

    /// A remote host's connection came or went: its model has already
    /// taken the runner's event; this acts on the change from what the
    /// coordinator saw before (`seen`).
    func remoteStatusChanged(_ model: HostPool.Host) {
        guard let host = hosts.first(where: { $0.model === model }) else { return }
        let t = now()
        let before = host.seen
        defer { host.seen = host.model.status }
        switch model.status {
        case .up:
            hostsLog.write("\(pid)@\(FileIO.stamp(t)): \(host.name) came up\n")
            reporter.event(.hostUp(host: host.name), at: t)
        case .down:
            let why = model.reason ?? "connection lost"
            if let err = (model.runner as? RemoteRunner)?.lastConnectError,
               [.hostKeyUnknown, .hostKeyChanged, .auth].contains(err.kind), before == .starting {
                // Retrying will not help until a person acts: give up on
                // this host for the run and say how to fix it.
                model.markFailed(err.description)
                hostsLog.write("\(pid)@\(FileIO.stamp(t)): \(host.name) refused: \(err.description)\n")
                reporter.event(.hostDown(host: host.name, reason: err.description), at: t)
                reportSoon()
                return
            }
            hostsLog.write("\(pid)@\(FileIO.stamp(t)): \(host.name) went down: \(why)\n")
            host.files?.connectionLost()
            reporter.event(.hostDown(host: host.name, reason: why), at: t)
        case .starting:
            // Connected, init not passed yet (first connection, or the host
            // came back after failing to connect or during init).
            if before == .down { hostsLog.write("\(pid)@\(FileIO.stamp(t)): \(host.name) came up\n") }
            if before == .starting || before == .down { startInit(host) }
        case .failed:
            break
        }
        reportSoon()
    }

    /// The run is over: every ssh host thread closes its session before the
    /// process exits. Bounded: a hung connection delays the exit by at most
    /// `within` seconds.
    func endHostSessions(within: Double) {
        RemoteRunner.shutDown(hosts.compactMap { $0.runner as? RemoteRunner }, within: within)
    }
}

/// This program's own file, for the helpers it starts (`supervise`).
func ownExecutable() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    return n > 0 ? textOfCBuffer(buf) : CommandLine.arguments[0]
}
