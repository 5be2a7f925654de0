/// When a squiggle slot may take its port from the light end of the queue.
///
/// A squiggle delays the port at the heavy end until another slot frees.
/// That costs nothing while the port has slack: its chain (at the fastest
/// speed factor) is well within the time the build still needs anyway (the
/// horizon), which is at least the work not started yet over the capacity,
/// and at least the longest chain through a running job (`runningChainLeft`). When the chain comes near
/// the horizon the port is on the critical path, and the squiggle slot
/// takes it like any other slot. So squiggles run while there is plenty of other work and
/// in the tail behind a running critical job, never in front of the longest
/// chain. Only the critical-path order has chains for priorities; dpb's and
/// the random order keep their squiggles.
extension BuildEngine {
    /// The horizon is only a lower bound on the time left, and the delays
    /// a squiggle causes add up along a chain: a port whose chain is at
    /// least half the horizon counts as critical. (At 1, squiggles still
    /// cost up to 3% on the benchmark's windowed DAGs; at 0.5 under 0.1%.)
    static let squiggleSlack = 0.5

    /// nil: this slot is no squiggle. 0: it takes the lightest port. Above
    /// 0: the heavy end is critical, and the squiggle may only take a light
    /// port followed by a chain at least this long (the heavy end's): one
    /// that gates the same critical work, such as a small port the heavy
    /// one's dependent also needs; else the slot takes the heavy end.
    /// Also the heavy end's path, which is no squiggle when it is taken.
    func squiggleFloor(on host: HostView) -> (floor: Double, heaviest: FullPkgPath?)? {
        guard host.squiggle else { return nil }
        guard ordering == .criticalPath, host.capacity > 0 else { return (0, nil) }
        if prioritiesDirty && !priorityPassesByCaller { recomputePriorities() }
        guard let top = heaviestQueued() else { return (0, nil) }
        let speed = max(host.maxSpeedFactor, 1e-9)
        let horizon = max(max(0, pendingWork) / host.capacity, host.runningChainLeft)
        if nodes[top].priority / speed < BuildEngine.squiggleSlack * horizon { return (0, nil) }
        return (max(nodes[top].priority - weight(top), Double.leastNonzeroMagnitude), nodes[top].path)
    }

    /// The chain that follows a path, in seconds at speed factor 1: its
    /// priority without its own weight (critical-path order only).
    public func chainAfter(_ path: FullPkgPath) -> Double {
        let i = id(for: path)
        return ordering == .criticalPath ? max(0, nodes[i].priority - weight(i)) : 0
    }

    /// The queued node at the heavy end; entries of nodes that left the
    /// queue are dropped on the way, as `take` would.
    func heaviestQueued() -> Int? {
        while let top = queue.max {
            let i = top.id
            if nodes[i].state == .queued && nodes[i].aliasOf == nil && nodes[i].record != nil { return i }
            _ = queue.removeMax()
        }
        return nil
    }

    /// Not started and still to build: what `pendingWork` counts.
    func isPending(_ i: Int) -> Bool {
        guard nodes[i].wanted, nodes[i].aliasOf == nil, !nodes[i].sharesBuild else { return false }
        switch nodes[i].state {
        case .unlisted, .toBuild, .queued, .setAside, .locked: return true
        default: return false
        }
    }
}
