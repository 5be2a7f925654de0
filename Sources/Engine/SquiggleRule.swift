/// When a squiggle slot may take its port from the light end of the queue.
///
/// A squiggle delays the port at the heavy end until another slot frees.
/// That costs nothing while the port has slack: its chain (at the fastest
/// speed factor) is well within the time the build still needs anyway (the
/// horizon), which is at least the work not started yet over the capacity,
/// and at least the longest chain through a running job (`runningChainLeft`).
/// When the chain comes near the horizon the port is on the critical path,
/// and the squiggle slot takes it like any other slot. So squiggles run
/// while there is plenty of other work and in the tail behind a running
/// critical job, never in front of the longest chain. Only the
/// critical-path order has chains for priorities; dpb's and the random
/// order keep their squiggles.
///
/// A light port followed by a chain as long as the heavy port's is no
/// exception: the heavy port's own build is on that critical chain too,
/// and waiting for the next free slot delays it all the same (on a random
/// 300-port DAG with a host twice as fast, such squiggles ended 7% over
/// the tight bound, where taking the heavy port ends at it).
extension BuildEngine {
    /// The horizon is only a lower bound on the time left, and the delays
    /// a squiggle causes add up along a chain: a port whose chain is at
    /// least half the horizon counts as critical. (At 1, squiggles still
    /// cost up to 3% on the benchmark's windowed DAGs; at 0.5 under 0.1%.)
    static let squiggleSlack = 0.5

    /// Whether this free slot of `host` takes from the light end: it is the
    /// host's squiggle and the port at the heavy end is not critical.
    func squiggleTakesLightEnd(on host: HostView) -> Bool {
        guard host.squiggle else { return false }
        guard ordering == .criticalPath, host.capacity > 0 else { return true }
        if prioritiesDirty && !priorityPassesByCaller { recomputePriorities() }
        guard let top = heaviestQueued() else { return true }
        let speed = max(host.maxSpeedFactor, 1e-9)
        let horizon = max(max(0, pendingWork) / host.capacity, host.runningChainLeft)
        return nodes[top].priority / speed < BuildEngine.squiggleSlack * horizon
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
    func isPending(_ i: Int) -> Bool { isPending(nodes[i]) }

    func isPending(_ node: Node) -> Bool { withUnsafePointer(to: node) { isPending($0) } }

    /// Through a pointer, so that a pass over every node reads four fields
    /// and does not copy each node (see `eachNode`).
    func isPending(_ node: UnsafePointer<Node>) -> Bool {
        guard node.pointee.wanted, node.pointee.aliasOf == nil, !node.pointee.sharesBuild else { return false }
        switch node.pointee.state {
        case .unlisted, .toBuild, .queued, .setAside, .locked: return true
        default: return false
        }
    }
}
