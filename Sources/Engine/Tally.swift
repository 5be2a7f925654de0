/// Counts of wanted paths by state, kept up to date at every state change,
/// so that a report costs what changed, not a walk of the graph. Every
/// change of a node's state, `wanted` or alias goes through `tracked`.
public struct Tally: Equatable, Sendable {
    public var counts = RunSnapshot.Counts()
    /// Wanted paths not listed yet (counted in `toBuild` too).
    public var unlisted = 0
    /// Set aside behind a running job of the same pkgpath (counted in `queued` too).
    public var setAside = 0
    /// Ignored by IGNORE, not broken (counted in `ignored` too).
    public var ignoredOnly = 0
    /// Built by a job of this run (counted in `built` or `installable`
    /// too; the others' packages were there already).
    public var builtByThisRun = 0
    public init() {}
}

extension BuildEngine {
    /// The run's counts now, without a walk of the graph.
    public var counts: Tally { tally }

    /// Paths that failed to build, in the order the graph knows them.
    public var failedPaths: [String] { errorNodes.sorted().map { nodes[$0].path.canonical } }

    /// Paths locked by another process, in the order the graph knows them.
    public var lockedPaths: [String] { lockedNodes.sorted().map { nodes[$0].path.canonical } }

    func setState(_ i: Int, _ s: State) { tracked(i) { $0.state = s } }

    func setWanted(_ i: Int, _ w: Bool) {
        guard nodes[i].wanted != w else { return }
        tracked(i) { $0.wanted = w }
    }

    /// Applies `change` to a node, moving its contribution to the counts
    /// and to the remaining work from what it was to what it is now.
    func tracked(_ i: Int, _ change: (inout Node) -> Void) {
        let was = pendingKind(i)
        account(i, -1)
        change(&nodes[i])
        account(i, 1)
        let now = pendingKind(i)
        if was != now { pendingChanged(i, from: was, to: now) }
    }

    func account(_ i: Int, _ k: Int) {
        guard nodes[i].wanted, nodes[i].aliasOf == nil else { return }
        tally.counts.total += k
        switch nodes[i].state {
        case .unlisted: tally.counts.toBuild += k; tally.unlisted += k
        case .toBuild: tally.counts.toBuild += k
        case .queued: tally.counts.queued += k
        case .setAside: tally.counts.queued += k; tally.setAside += k
        case .running: tally.counts.running += k
        case .built:
            tally.counts.built += k
            if nodes[i].builtThisRun { tally.builtByThisRun += k }
        case .installable:
            tally.counts.installable += k
            if nodes[i].builtThisRun { tally.builtByThisRun += k }
        case .skipped(let why):
            tally.counts.ignored += k
            if case .ignored = why { tally.ignoredOnly += k }
        case .error:
            tally.counts.errors += k
            if k > 0 { errorNodes.insert(i) } else { errorNodes.remove(i) }
        case .waitingPackage: tally.counts.waitingPackage += k
        case .locked:
            tally.counts.locked += k
            if k > 0 { lockedNodes.insert(i) } else { lockedNodes.remove(i) }
        }
    }
}
