import HeapModule

extension BuildEngine {
    /// What is left of the build, in seconds at speed factor 1: the longest
    /// chain of weights through unfinished paths, and their total weight.
    /// Running paths count only what remains of them (`elapsed` is how long
    /// each has run, already scaled to speed factor 1). Linear in the graph.
    public func remaining(elapsed: [FullPkgPath: Double]) -> (criticalPath: Double, work: Double) {
        var work = 0.0
        let chains = longestChains { i in
            let w = self.left(i, elapsed: elapsed)
            work += w + self.extraLeft(i)
            return w
        }
        return (chains.value.max() ?? 0, work)
    }

    /// 0: finished or not counted; 1: waiting to be built; 2: running.
    func pendingKind(_ i: Int) -> Int {
        guard nodes[i].wanted, nodes[i].aliasOf == nil, !nodes[i].sharesBuild else { return 0 }
        switch nodes[i].state {
        case .unlisted, .toBuild, .queued, .setAside, .locked: return 1
        case .running: return 2
        default: return 0
        }
    }

    /// Weight still to be done for a node: all of it when it has not
    /// started, what remains when it runs, nothing when it is finished.
    func left(_ i: Int, elapsed: [FullPkgPath: Double]) -> Double {
        switch pendingKind(i) {
        case 1: return weight(i)
        case 2: return max(0, weight(i) - (elapsed[nodes[i].path] ?? 0))
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

    // MARK: - Kept between passes

    /// Weights, history and the graph changed since the last
    /// `refreshRemaining`: only a new pass sees that.
    public var remainingStale: Bool { remainingTrack.stale }

    /// A full pass of `remaining`, whose per-node results are kept so that
    /// `trackedRemaining` can follow jobs as they start and end without
    /// another walk of the graph. Linear in the graph.
    public func refreshRemaining(elapsed: [FullPkgPath: Double]) {
        var own = [Double](repeating: 0, count: nodes.count)
        var extra = [Double](repeating: 0, count: nodes.count)
        var work = 0.0
        let chains = longestChains { i in
            let w = self.left(i, elapsed: elapsed)
            own[i] = w
            extra[i] = self.extraLeft(i)
            work += w + extra[i]
            return w
        }
        var t = RemainingTrack()
        t.own = own
        t.extra = extra
        t.rest = [Double](repeating: 0, count: nodes.count)
        var waiting: [RemainingTrack.Entry] = []
        for i in nodes.indices {
            t.rest[i] = chains.value[i] - own[i]
            switch pendingKind(i) {
            case 1: waiting.append(.init(value: chains.value[i], id: i))
            case 2:
                // Kept whole: what has run is taken off at each query.
                let full = weight(i)
                t.work += full - own[i]
                t.own[i] = full
                t.running.insert(i)
            default: break
            }
        }
        t.work += work
        t.waiting = Heap(waiting)
        t.stale = false
        remainingTrack = t
    }

    /// The last pass's critical path and work, followed since then: paths
    /// that ended no longer count, running paths count what is left of them
    /// now. O(running paths) plus the paths that ended since the last call.
    public func trackedRemaining(elapsed: [FullPkgPath: Double]) -> (criticalPath: Double, work: Double) {
        var work = remainingTrack.work
        var cp = 0.0
        for i in remainingTrack.running {
            let own = remainingTrack.own[i]
            let ran = min(own, elapsed[nodes[i].path] ?? 0)
            work -= ran
            cp = max(cp, own - ran + remainingTrack.rest[i])
        }
        while let top = remainingTrack.waiting.max {
            if top.id < nodes.count && pendingKind(top.id) == 1 { cp = max(cp, top.value); break }
            _ = remainingTrack.waiting.popMax()
        }
        return (cp, max(0, work))
    }

    /// A node started, ended or came back: the kept work and chains follow.
    /// A node that becomes pending after the pass has no kept weight: the
    /// next pass counts it.
    func pendingChanged(_ i: Int, from was: Int, to now: Int) {
        guard i < remainingTrack.own.count, !(was == 0 && remainingTrack.own[i] == 0 && now != 0) else {
            remainingTrack.stale = true
            return
        }
        if was == 2 { remainingTrack.running.remove(i) }
        if now == 2 { remainingTrack.running.insert(i) }
        let kept = remainingTrack.own[i] + remainingTrack.extra[i]
        if was != 0 && now == 0 { remainingTrack.work -= kept }
        if was == 0 && now != 0 { remainingTrack.work += kept }
        if now == 1 {
            remainingTrack.waiting.insert(.init(value: remainingTrack.own[i] + remainingTrack.rest[i], id: i))
        }
    }
}

/// What `refreshRemaining` keeps: each node's own weight and the longest
/// chain after it, the total, the running nodes and a heap of the chains
/// of waiting nodes (entries of nodes no longer waiting are dropped when
/// they reach the top).
struct RemainingTrack {
    struct Entry: Comparable {
        var value: Double
        var id: Int
        static func < (a: Entry, b: Entry) -> Bool { a.value != b.value ? a.value < b.value : a.id < b.id }
    }
    var own: [Double] = []
    var rest: [Double] = []
    /// Each pending node's slot-seconds beyond one (SlotWork.swift): in
    /// the work, not in the chains.
    var extra: [Double] = []
    var work = 0.0
    var running = Set<Int>()
    var waiting = Heap<Entry>()
    var stale = true
}
