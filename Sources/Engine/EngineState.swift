import HeapModule

/// What the engine can tell about paths and the run as a whole.
extension BuildEngine {
    /// The letter a path shows now, following aliases.
    public func state(of path: FullPkgPath) -> PortState? {
        guard let i0 = index[path] else { return nil }
        return letter(nodes[resolve(i0)].state)
    }

    func letter(_ s: State) -> PortState {
        switch s {
        case .unlisted, .toBuild: return .toBuild
        case .queued: return .queued
        case .setAside: return .setAside
        case .running: return .running
        case .built: return .built
        case .installable: return .installable
        case .skipped: return .ignored
        case .error: return .error
        case .locked: return .locked
        case .waitingPackage: return .waitingPackage
        }
    }

    public func record(for path: FullPkgPath) -> PortRecord? {
        guard let i = index[path] else { return nil }
        return nodes[resolve(i)].record
    }

    /// The canonical listed path a name stands for.
    public func canonical(_ path: FullPkgPath) -> FullPkgPath {
        guard let i = index[path] else { return path }
        return nodes[resolve(i)].path
    }

    /// Other listed paths built by the same job (same pkgpath and flavors).
    public func unitMembers(of path: FullPkgPath) -> [PortRecord] {
        (unitSiblings[path.withoutSubpackage] ?? []).compactMap { nodes[$0].record }
    }

    /// Package names a job needs installed: its build dependencies and,
    /// recursively, their run dependencies.
    public func neededPackages(for path: FullPkgPath) -> [String] {
        neededNodes(id(for: path)).compactMap { nodes[$0].record?.pkgname }.filter { !$0.isEmpty }.sorted()
    }

    func neededNodes(_ i: Int) -> [Int] {
        var seen = Set<Int>()
        var stack = nodes[i].buildDeps
        var found: [Int] = []
        while let d = stack.popLast() {
            guard seen.insert(d).inserted else { continue }
            found.append(d)
            stack.append(contentsOf: nodes[d].runDeps)
        }
        return found
    }

    public struct Summary: Equatable, Sendable {
        public var counts = RunSnapshot.Counts()
        /// Failed builds, broken ports and what is not built because of them.
        public var failedPaths: [String] = []
        public var brokenPaths: [(String, String)] = []
        public var lockedPaths: [String] = []
        /// Wanted, listed, never reachable (behind an error or a cycle).
        public var blockedPaths: [String] = []
        public var unlisted = 0
        public var ignoredOnly = 0
        /// Of the built and installable paths, those a job of this run
        /// built (the others' packages were there already).
        public var builtByThisRun = 0
        public static func == (a: Summary, b: Summary) -> Bool {
            a.counts == b.counts && a.failedPaths == b.failedPaths && a.lockedPaths == b.lockedPaths
                && a.blockedPaths == b.blockedPaths && a.unlisted == b.unlisted
                && a.brokenPaths.map { $0.0 } == b.brokenPaths.map { $0.0 }
        }
    }

    /// Counts of wanted paths by dpb's letters, and what went wrong, with
    /// the names: linear, for the end of the run (`counts` is the cheap one).
    public func summary() -> Summary {
        var s = Summary()
        for n in nodes where n.wanted && n.aliasOf == nil {
            s.counts.total += 1
            switch n.state {
            case .unlisted: s.counts.toBuild += 1; s.unlisted += 1
            case .toBuild:
                s.counts.toBuild += 1
                s.blockedPaths.append(n.path.canonical)
            case .queued, .setAside: s.counts.queued += 1
            case .running: s.counts.running += 1
            case .built: s.counts.built += 1; if n.builtThisRun { s.builtByThisRun += 1 }
            case .installable: s.counts.installable += 1; if n.builtThisRun { s.builtByThisRun += 1 }
            case .skipped(let why):
                s.counts.ignored += 1
                if case .broken(let t) = why { s.brokenPaths.append((n.path.canonical, t)) }
                else { s.ignoredOnly += 1 }
            case .error: s.counts.errors += 1; s.failedPaths.append(n.path.canonical)
            case .locked: s.counts.locked += 1; s.lockedPaths.append(n.path.canonical)
            case .waitingPackage: s.counts.waitingPackage += 1
            }
        }
        return s
    }

    /// Nothing left that could make progress without outside help.
    public var isIdle: Bool {
        tally.counts.queued + tally.counts.running + tally.counts.waitingPackage + tally.unlisted == 0
    }
}

extension BuildEngine {
    /// For dependencies.log: each listed path that something depends on
    /// (build or run), with how many listed ports do, most first.
    public func dependencyCounts() -> [(path: String, count: Int)] {
        var out: [(path: String, count: Int)] = []
        for n in nodes where n.record != nil && n.aliasOf == nil {
            let users = Set(n.buildDependents + n.runDependents)
            if !users.isEmpty { out.append((n.path.canonical, users.count)) }
        }
        return out.sorted { $0.count != $1.count ? $0.count > $1.count : $0.path < $1.path }
    }
}
