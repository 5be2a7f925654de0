extension BuildEngine {
    /// Subpackages after the first of a multi-package port are built by
    /// the same job: their time is counted once, on the first.
    func builtWithSibling(_ i: Int) -> Bool {
        guard nodes[i].path.subpackage != nil,
              let first = unitSiblings[nodes[i].path.withoutSubpackage]?.first else { return false }
        return first != i
    }

    /// What is left of the build, in seconds at speed factor 1: the longest
    /// chain of weights through unfinished paths, and their total weight.
    /// Running paths count only what remains of them (`elapsed` is how long
    /// each has run, already scaled to speed factor 1). Linear in the graph.
    public func remaining(elapsed: [FullPkgPath: Double]) -> (criticalPath: Double, work: Double) {
        var work = 0.0
        let chains = longestChains { i in
            let w = self.left(i, elapsed: elapsed)
            work += w
            return w
        }
        return (chains.value.max() ?? 0, work)
    }

    /// Weight still to be done for a node: all of it when it has not
    /// started, what remains when it runs, nothing when it is finished.
    func left(_ i: Int, elapsed: [FullPkgPath: Double]) -> Double {
        guard nodes[i].wanted, nodes[i].aliasOf == nil, !builtWithSibling(i) else { return 0 }
        switch nodes[i].state {
        case .unlisted, .toBuild, .queued, .setAside, .locked: return weight(i)
        case .running: return max(0, weight(i) - (elapsed[nodes[i].path] ?? 0))
        default: return 0
        }
    }

    /// The chain of unfinished paths along the critical path, heaviest
    /// first: what holds the end of the build back.
    public func criticalChain() -> [FullPkgPath] {
        let chains = longestChains { self.left($0, elapsed: [:]) }
        guard var i = chains.value.indices.max(by: { chains.value[$0] < chains.value[$1] }),
              chains.value[i] > 0 else { return [] }
        var chain: [FullPkgPath] = []
        while i >= 0 {
            if left(i, elapsed: [:]) > 0 { chain.append(nodes[i].path) }
            i = chains.next[i]
        }
        return chain
    }
}
