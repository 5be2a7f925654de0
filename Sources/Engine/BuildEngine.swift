import HeapModule

/// dpb's engine as a pure state machine. It is told what the listing found
/// and how jobs ended, answers which path a slot should build next, and
/// returns every state change for engine.log. It does no I/O and has no
/// clock: callers pass the time.
public final class BuildEngine {
    /// Why a path will not be built.
    public enum Skip: Equatable, Sendable {
        /// IGNORE in the port, or a dependency that is ignored that way.
        case ignored(String)
        /// The port or the listing is broken: an error for the exit status.
        case broken(String)
    }

    enum State: Equatable {
        case unlisted, toBuild, queued, setAside, running, built, installable
        case skipped(Skip), error, locked
    }

    struct Node {
        var path: FullPkgPath
        var record: PortRecord?
        var state: State = .unlisted
        var wanted = false
        var aliasOf: Int?
        var buildDeps: [Int] = []
        var runDeps: [Int] = []
        var buildDependents: [Int] = []
        var runDependents: [Int] = []
        /// Build dependencies not installable yet.
        var missingBuild = 0
        /// Run dependencies not installable yet.
        var missingRun = 0
        var listingAttempts = 0
        var listingInFlight = false
        var priority: Double = 0
        init(path: FullPkgPath) { self.path = path }
    }

    struct QueueEntry: Comparable {
        var priority: Double
        var dependents: Int
        var name: String
        var id: Int
        static func < (a: QueueEntry, b: QueueEntry) -> Bool {
            if a.priority != b.priority { return a.priority < b.priority }
            if a.dependents != b.dependents { return a.dependents < b.dependents }
            return a.name < b.name
        }
    }

    var nodes: [Node] = []
    var index: [FullPkgPath: Int] = [:]
    var queue = Heap<QueueEntry>()
    /// Bare pkgpaths with a job running, and paths set aside behind them.
    var busy: [PkgPath: [Int]] = [:]
    var prioritiesDirty = true
    var changes: [StateChange] = []
    var needListing: [Int] = []
    /// The whole tree was asked for: every listed path is wanted.
    public let wantsEverything: Bool
    /// How the queue is ordered; weights come from the caller.
    public var ordering: QueueOrdering
    /// Seconds a path is expected to take; missing paths use `defaultWeight`.
    public var weights: [String: Double] = [:] { didSet { prioritiesDirty = true; estimateCache = nil } }
    public var defaultWeight: Double = 1 { didSet { prioritiesDirty = true } }
    var loggedOnce = Set<String>()
    /// The caller runs (and rate-limits) priority passes itself.
    public var priorityPassesByCaller = false
    /// Host each path should preferably be restarted on (affinity files).
    public var affinity: [FullPkgPath: String] = [:]

    public init(wantsEverything: Bool = false, ordering: QueueOrdering = .criticalPath) {
        self.wantsEverything = wantsEverything
        self.ordering = ordering
    }

    // MARK: - Names

    func id(for path: FullPkgPath) -> Int {
        if let i = index[path] { return resolve(i) }
        nodes.append(Node(path: path))
        let i = nodes.count - 1
        index[path] = i
        return i
    }

    func resolve(_ i: Int) -> Int {
        var j = i
        while let a = nodes[j].aliasOf { j = a }
        return j
    }

    func log(_ i: Int, _ state: PortState, _ extra: String = "") {
        changes.append(StateChange(subject: nodes[i].path.canonical, state: state, extra: extra))
    }

    /// State changes since the last call.
    public func takeChanges() -> [StateChange] {
        defer { changes.removeAll(keepingCapacity: true) }
        return changes
    }

    // MARK: - What to list

    /// Asks for paths to be built (the command line's path list).
    public func request(_ paths: [FullPkgPath]) {
        for p in paths { markWanted(id(for: p)) }
    }

    func markWanted(_ start: Int) {
        var stack = [resolve(start)]
        while let i = stack.popLast() {
            if nodes[i].wanted { continue }
            nodes[i].wanted = true
            if nodes[i].record == nil, case .unlisted = nodes[i].state, !nodes[i].listingInFlight {
                needListing.append(i)
            }
            stack.append(contentsOf: nodes[i].buildDeps)
            stack.append(contentsOf: nodes[i].runDeps)
            // Other subpackages of the same build come along with it.
            if let unit = unitSiblings[nodes[i].path.withoutSubpackage] {
                stack.append(contentsOf: unit)
            }
        }
    }

    var unitSiblings: [FullPkgPath: [Int]] = [:]

    /// Wanted paths that still have to be listed (at most `limit`), now
    /// counted as being listed.
    public func takePathsToList(limit: Int) -> [FullPkgPath] {
        var out: [FullPkgPath] = []
        var keep: [Int] = []
        for i in needListing {
            let j = resolve(i)
            guard nodes[j].record == nil || nodes[j].state == .unlisted, !nodes[j].listingInFlight,
                  nodes[j].aliasOf == nil else { continue }
            if out.count < limit {
                nodes[j].listingInFlight = true
                nodes[j].listingAttempts += 1
                out.append(nodes[j].path)
            } else {
                keep.append(j)
            }
        }
        needListing = keep
        return out
    }

    /// Paths waiting to be listed (not counting those being listed now).
    public var listingBacklog: Int { needListing.count }

    /// Feeds one listing batch. `requested` is what that batch asked for;
    /// requested paths the tree did not answer are tried once more alone,
    /// then marked broken.
    public func listed(_ result: ListingResult, requested: [FullPkgPath]) {
        for (alias, target) in result.equivalences { makeAlias(alias, of: target) }
        var answered = Set<Int>()
        for record in result.records { apply(record); answered.insert(id(for: record.path)) }
        for (path, reason, _) in result.broken {
            let i = id(for: path)
            nodes[i].listingInFlight = false
            skip(i, .broken(reason))
        }
        for path in result.nonexistent {
            let i = id(for: path)
            nodes[i].listingInFlight = false
            skip(i, .broken("non existent"))
        }
        for path in requested {
            let i = id(for: path)
            nodes[i].listingInFlight = false
            guard !answered.contains(i), nodes[i].state == .unlisted else { continue }
            if nodes[i].listingAttempts >= 2 {
                skip(i, .broken("tried and didn't get it"))
            } else if nodes[i].wanted {
                needListing.append(i)
            }
        }
        prioritiesDirty = true
    }

    func makeAlias(_ alias: FullPkgPath, of target: FullPkgPath) {
        let t = id(for: target)
        guard let a0 = index[alias] else { index[alias] = t; return }
        let a = resolve(a0)
        guard a != t, nodes[a].record == nil else { return }
        nodes[a].aliasOf = t
        nodes[a].listingInFlight = false
        let wasWanted = nodes[a].wanted
        for d in nodes[a].buildDependents {
            nodes[d].buildDeps.removeAll { $0 == a }
            if !nodes[d].buildDeps.contains(t) {
                nodes[d].buildDeps.append(t)
                nodes[t].buildDependents.append(d)
                if isInstallable(t) { nodes[d].missingBuild -= 1; becameReadyForBuild(d) }
            } else {
                nodes[d].missingBuild -= 1
                becameReadyForBuild(d)
            }
        }
        for d in nodes[a].runDependents {
            nodes[d].runDeps.removeAll { $0 == a }
            if !nodes[d].runDeps.contains(t) {
                nodes[d].runDeps.append(t)
                nodes[t].runDependents.append(d)
                if isInstallable(t) { nodes[d].missingRun -= 1; becameReadyToInstall(d) }
            } else {
                nodes[d].missingRun -= 1
                becameReadyToInstall(d)
            }
        }
        nodes[a].buildDependents = []
        nodes[a].runDependents = []
        if wasWanted { markWanted(t) }
        if case .skipped(let why) = nodes[t].state { propagateSkip(from: t, why) }
    }

    func apply(_ record: PortRecord) {
        let i = id(for: record.path)
        nodes[i].listingInFlight = false
        if nodes[i].record != nil && nodes[i].state != .unlisted {
            // Listed again only because some batch printed it too: what we
            // know (and its progress) stands. A hot-fix relist comes in
            // while the path is unlisted.
            if wantsEverything { nodes[i].wanted = true }
            return
        }
        let relisting = nodes[i].record != nil
        if relisting { detachDependencies(i) }
        nodes[i].record = record
        if !relisting { unitSiblings[record.path.withoutSubpackage, default: []].append(i) }
        if wantsEverything { nodes[i].wanted = true }
        // A sibling subpackage of something wanted is wanted too.
        if !nodes[i].wanted, let sibs = unitSiblings[record.path.withoutSubpackage],
           sibs.contains(where: { nodes[$0].wanted }) {
            nodes[i].wanted = true
        }
        var buildDeps: [Int] = []
        var runDeps: [Int] = []
        for dep in record.buildDepends {
            let d = id(for: dep.path)
            if d != i, !buildDeps.contains(d) { buildDeps.append(d) }
        }
        for dep in record.runDepends {
            let d = id(for: dep.path)
            if d != i, !runDeps.contains(d) { runDeps.append(d) }
        }
        nodes[i].buildDeps = buildDeps
        nodes[i].runDeps = runDeps
        nodes[i].missingBuild = 0
        nodes[i].missingRun = 0
        for d in buildDeps {
            nodes[d].buildDependents.append(i)
            if !isInstallable(d) { nodes[i].missingBuild += 1 }
        }
        for d in runDeps {
            nodes[d].runDependents.append(i)
            if !isInstallable(d) { nodes[i].missingRun += 1 }
        }
        if nodes[i].wanted {
            nodes[i].wanted = false
            markWanted(i)
        }
        if let broken = record.broken {
            skip(i, .broken(broken)); return
        }
        if let ignore = record.ignore {
            skip(i, .ignored(ignore)); return
        }
        if let blocker = (buildDeps + runDeps).first(where: { skipReason($0) != nil }),
           let why = skipReason(blocker) {
            skip(i, because(blocker, why)); return
        }
        if record.packageExists {
            nodes[i].state = .built
            log(i, .built)
            becameReadyToInstall(i)
            return
        }
        nodes[i].state = .toBuild
        log(i, .toBuild)
        becameReadyForBuild(i)
    }

    func detachDependencies(_ i: Int) {
        for d in nodes[i].buildDeps { nodes[d].buildDependents.removeAll { $0 == i } }
        for d in nodes[i].runDeps { nodes[d].runDependents.removeAll { $0 == i } }
        nodes[i].buildDeps = []
        nodes[i].runDeps = []
    }

    func isInstallable(_ i: Int) -> Bool { nodes[i].state == .installable }

    func skipReason(_ i: Int) -> Skip? {
        if case .skipped(let s) = nodes[i].state { return s }
        return nil
    }

    func because(_ blocker: Int, _ why: Skip) -> Skip {
        let text = "because of \(nodes[blocker].path.canonical)"
        switch why {
        case .ignored: return .ignored(text)
        case .broken: return .broken(text)
        }
    }

    func skip(_ i: Int, _ why: Skip) {
        if case .skipped = nodes[i].state { return }
        switch nodes[i].state {
        case .built, .installable, .running: return
        default: break
        }
        nodes[i].state = .skipped(why)
        switch why {
        case .ignored(let t), .broken(let t): log(i, .ignored, BuildEngine.shorten(t))
        }
        propagateSkip(from: i, why)
    }

    func propagateSkip(from start: Int, _ why: Skip) {
        var work = [start]
        while let j = work.popLast() {
            guard let reason = skipReason(j) else { continue }
            for d in nodes[j].buildDependents + nodes[j].runDependents {
                guard nodes[d].record != nil else { continue }
                switch nodes[d].state {
                case .skipped, .built, .installable, .running, .error: continue
                default: break
                }
                nodes[d].state = .skipped(because(j, reason))
                log(d, .ignored, "because of \(nodes[j].path.canonical)")
                work.append(d)
            }
        }
    }

    /// dpb cuts long reasons at 58 characters; `because of DEP` is kept
    /// whole so the dependency can be found.
    static func shorten(_ text: String) -> String {
        if text.hasPrefix("because of ") { return text }
        return text.count > 58 ? String(text.prefix(58)) + "..." : text
    }

    // MARK: - Readiness

    func becameReadyForBuild(_ i: Int) {
        guard nodes[i].state == .toBuild, nodes[i].missingBuild <= 0 else { return }
        nodes[i].state = .queued
        log(i, .queued)
        enqueue(i)
    }

    func enqueue(_ i: Int) {
        queue.insert(QueueEntry(priority: nodes[i].priority, dependents: nodes[i].buildDependents.count,
                                name: nodes[i].path.canonical, id: i))
    }

    func becameReadyToInstall(_ start: Int) {
        var work = [start]
        while let i = work.popLast() {
            guard nodes[i].state == .built, nodes[i].missingRun <= 0 else { continue }
            nodes[i].state = .installable
            log(i, .installable, "# " + (nodes[i].record?.pkgname ?? ""))
            for d in nodes[i].buildDependents {
                nodes[d].missingBuild -= 1
                becameReadyForBuild(d)
            }
            for d in nodes[i].runDependents {
                nodes[d].missingRun -= 1
                work.append(d)
            }
        }
    }

    // MARK: - Scheduling

    /// The next path a slot should build, or nil. Paths whose bare pkgpath
    /// is already building are set aside (^). The caller must follow up
    /// with `started` or `lockHeld`.
    public func nextJob(accepting: (PortRecord) -> Bool = { _ in true }) -> PortRecord? {
        take(fromLightEnd: false, accepting: accepting)
    }

    /// Takes the best queued path that `accepting` allows, from the heavy
    /// end of the queue or (for squiggles) from the light end.
    /// How many queued paths one slot looks at before giving up, so a host
    /// that fits nothing does not walk the whole queue.
    public static let maxLook = 256

    func take(fromLightEnd: Bool, maxLook: Int = Int.max, accepting: (PortRecord) -> Bool) -> PortRecord? {
        if prioritiesDirty && !priorityPassesByCaller { recomputePriorities() }
        var refused: [QueueEntry] = []
        defer { for e in refused { queue.insert(e) } }
        while refused.count < maxLook, let top = fromLightEnd ? queue.popMin() : queue.popMax() {
            let i = top.id
            guard nodes[i].state == .queued, nodes[i].aliasOf == nil else { continue }
            guard let record = nodes[i].record else { continue }
            if nodes[i].wanted == false { refused.append(top); continue }
            let bare = nodes[i].path.pkgpath
            if busy[bare] != nil {
                busy[bare]!.append(i)
                nodes[i].state = .setAside
                log(i, .setAside)
                continue
            }
            if !accepting(record) { refused.append(top); continue }
            return record
        }
        return nil
    }

    /// Paths that are waiting in the queue (Q), for heuristics that want
    /// to look ahead without taking.
    public var queuedCount: Int { nodes.reduce(0) { $0 + ($1.state == .queued && $1.wanted ? 1 : 0) } }

    /// A job for `path` started on `host`.
    public func started(_ path: FullPkgPath, host: String) {
        let i = id(for: path)
        nodes[i].state = .running
        busy[nodes[i].path.pkgpath, default: []] = busy[nodes[i].path.pkgpath] ?? []
        log(i, .running, host)
    }

    /// The path's package turned up before its job started (another
    /// process built it): B without J.
    public func foundBuilt(_ path: FullPkgPath, alsoBuilt: [FullPkgPath]) {
        finished(path, .built(alsoBuilt: alsoBuilt))
    }

    /// Another process holds the path's lock: L until the lock goes away.
    public func lockHeld(_ path: FullPkgPath) {
        let i = id(for: path)
        nodes[i].state = .locked
        log(i, .locked)
    }

    public enum JobResult: Equatable, Sendable {
        /// Built; `alsoBuilt` are other paths of the same directory whose
        /// package files now exist.
        case built(alsoBuilt: [FullPkgPath])
        case failed
        /// The job did not finish (host lost): requeue.
        case notFinished
    }

    public func finished(_ path: FullPkgPath, _ result: JobResult) {
        let i = id(for: path)
        switch result {
        case .built(let others):
            nodes[i].state = .built
            log(i, .built)
            for o in others {
                let j = id(for: o)
                switch nodes[j].state {
                case .toBuild, .queued, .setAside, .locked, .unlisted:
                    nodes[j].state = .built
                    log(j, .built)
                    becameReadyToInstall(j)
                default: break
                }
            }
            becameReadyToInstall(i)
        case .failed:
            nodes[i].state = .error
            log(i, .error)
        case .notFinished:
            nodes[i].state = .queued
            log(i, .notFinished)
            enqueue(i)
        }
        release(nodes[i].path.pkgpath)
    }

    func release(_ bare: PkgPath) {
        guard let waiting = busy.removeValue(forKey: bare) else { return }
        for j in waiting where nodes[j].state == .setAside {
            nodes[j].state = .queued
            log(j, .requeued)
            enqueue(j)
        }
    }

    /// The lock of a path in L or E went away. An error is listed again
    /// (its port may have been fixed: hot-fix); a locked path is requeued,
    /// or counted built when its package now exists.
    public func lockGone(_ path: FullPkgPath, packageExists: Bool) {
        let i = id(for: path)
        switch nodes[i].state {
        case .locked:
            if packageExists {
                nodes[i].state = .built
                log(i, .built)
                becameReadyToInstall(i)
            } else {
                nodes[i].state = .toBuild
                becameReadyForBuild(i)
            }
        case .error:
            nodes[i].state = .unlisted
            nodes[i].listingAttempts = 0
            log(i, .toBuild, "hot-fix")
            needListing.append(i)
        default: break
        }
    }

    // MARK: - Priorities

    /// Recomputes queue priorities: the longest chain of weights from each
    /// path to the end of the build. Linear in nodes plus edges.
    public func recomputePriorities() {
        prioritiesDirty = false
        let count = nodes.count
        switch ordering {
        case .random(var rng):
            for i in 0..<count { nodes[i].priority = Double(rng.next() % 1_000_000) }
            ordering = .random(rng)
        case .criticalPath:
            let chains = longestChains(own: weight)
            for i in 0..<count { nodes[i].priority = chains.value[i] }
        case .dpb:
            let full = dpbWeights()
            for i in 0..<count { nodes[i].priority = full[i] }
        }
        var fresh = Heap<QueueEntry>()
        for i in 0..<count where nodes[i].state == .queued && nodes[i].aliasOf == nil {
            fresh.insert(QueueEntry(priority: nodes[i].priority, dependents: nodes[i].buildDependents.count,
                                    name: nodes[i].path.canonical, id: i))
        }
        queue = fresh
    }

    func weight(_ i: Int) -> Double {
        let p = nodes[i].path
        if let w = weights[p.canonical] ?? weights[p.pkgpath.value] { return w * scale(i) }
        return estimate(i) * scale(i)
    }

    func scale(_ i: Int) -> Double {
        scales[nodes[i].path.canonical] ?? scales[nodes[i].path.pkgpath.value] ?? 1
    }

    /// `file*scale` factors from the command line, by path.
    public var scales: [String: Double] = [:] { didSet { prioritiesDirty = true } }

    /// A path without history: the median of known paths in its category
    /// when there are at least three, else the median of all known paths,
    /// else `defaultWeight`.
    func estimate(_ i: Int) -> Double {
        if estimateCache == nil { buildEstimates() }
        let category = String(nodes[i].path.pkgpath.value.prefix { $0 != "/" })
        return estimateCache?.byCategory[category] ?? estimateCache?.overall ?? defaultWeight
    }

    var estimateCache: (byCategory: [String: Double], overall: Double?)?

    func buildEstimates() {
        var perCategory: [String: [Double]] = [:]
        var all: [Double] = []
        for (path, w) in weights {
            let category = String(path.prefix { $0 != "/" })
            perCategory[category, default: []].append(w)
            all.append(w)
        }
        func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
        var byCategory: [String: Double] = [:]
        for (c, xs) in perCategory where xs.count >= 3 { byCategory[c] = median(xs) }
        estimateCache = (byCategory, all.isEmpty ? nil : median(all))
    }

    /// Expected seconds of a path at speed factor 1 (history or estimate).
    public func weight(of path: FullPkgPath) -> Double { weight(id(for: path)) }

    /// Whether the weight of a path comes from history.
    public func hasHistory(_ path: FullPkgPath) -> Bool {
        weights[path.canonical] != nil || weights[path.pkgpath.value] != nil
    }

    /// The graph changed since the last priority pass.
    public var needsPriorityPass: Bool { prioritiesDirty }

    /// Current priority of a path (for tests and the display).
    public func priority(of path: FullPkgPath) -> Double { nodes[id(for: path)].priority }

    // MARK: - Reading the state

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
        let i = id(for: path)
        var seen = Set<Int>()
        var stack = nodes[i].buildDeps
        var names: [String] = []
        while let d = stack.popLast() {
            guard seen.insert(d).inserted else { continue }
            if let n = nodes[d].record?.pkgname, !n.isEmpty { names.append(n) }
            stack.append(contentsOf: nodes[d].runDeps)
        }
        return names.sorted()
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
        public static func == (a: Summary, b: Summary) -> Bool {
            a.counts == b.counts && a.failedPaths == b.failedPaths && a.lockedPaths == b.lockedPaths
                && a.blockedPaths == b.blockedPaths && a.unlisted == b.unlisted
                && a.brokenPaths.map { $0.0 } == b.brokenPaths.map { $0.0 }
        }
    }

    /// Counts of wanted paths by dpb's letters, and what went wrong. Linear.
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
            case .built: s.counts.built += 1
            case .installable: s.counts.installable += 1
            case .skipped(let why):
                s.counts.ignored += 1
                if case .broken(let t) = why { s.brokenPaths.append((n.path.canonical, t)) }
                else { s.ignoredOnly += 1 }
            case .error: s.counts.errors += 1; s.failedPaths.append(n.path.canonical)
            case .locked: s.counts.locked += 1; s.lockedPaths.append(n.path.canonical)
            }
        }
        return s
    }

    /// Nothing left that could make progress without outside help.
    public var isIdle: Bool {
        !nodes.contains { n in
            guard n.wanted && n.aliasOf == nil else { return false }
            switch n.state {
            case .queued, .setAside, .running: return true
            case .unlisted: return true
            default: return false
            }
        }
    }
}

/// How the build queue is ordered.
public enum QueueOrdering: Equatable, Sendable {
    /// Longest chain of weights to the end of the build first.
    case criticalPath
    /// dpb's order: own weight plus the weights of everything that
    /// depends on the path.
    case dpb
    /// `-r`: random, to shake out missing dependencies.
    case random(SplitMix)
}

/// A small seeded generator so random order is reproducible in tests.
public struct SplitMix: Equatable, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
