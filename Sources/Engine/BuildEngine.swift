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
        /// Its job ended well, its package file is not visible yet (H).
        case waitingPackage
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
        /// Its distfiles are being fetched by fetch jobs: not buildable yet.
        var awaitingDistfiles = false
        var priority: Double = 0
        /// History in seconds (NaN: none), `file*scale` factor, interned category.
        var history: Double = .nan
        var scale: Double = 1
        var category: Int32 = 0
        /// A subpackage after the first of its build: its time is counted once, on the first.
        var sharesBuild = false
        /// -R: its package exists; once its dependencies are settled, its
        /// signature says whether it is kept or rebuilt.
        var checkSignature = false
        /// Built by a job of this run (the summary's "built").
        var builtThisRun = false
        /// Its package was made during this run, by a job of it or by
        /// another process (-R rebuilds what was built against it).
        var newPackage = false
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
    /// The dependents as flat arrays for the priority passes, kept while
    /// the graph stays the same (nil once an edge or an alias changed).
    var dependentListsKept: DependentLists?
    var changes: [StateChange] = []
    var needListing: [Int] = []
    /// Listed paths of each build unit (pkgpath and flavors, no subpackage).
    var unitSiblings: [FullPkgPath: [Int]] = [:]
    /// Nodes whose canonical name is not their bare pkgpath (flavors,
    /// subpackages), by that pkgpath: a weight given for it reaches them.
    var variants: [String: [Int]] = [:]
    var book = WeightBook()
    var tally = Tally()
    /// Wanted paths in E and in L, for the report's lists.
    var errorNodes = Set<Int>()
    var lockedNodes = Set<Int>()
    var remainingTrack = RemainingTrack()
    /// The whole tree was asked for: every listed path is wanted.
    public let wantsEverything: Bool
    /// How the queue is ordered; weights come from the caller.
    public var ordering: QueueOrdering
    var loggedOnce = Set<String>()
    /// The caller runs (and rate-limits) priority passes itself.
    public var priorityPassesByCaller = false
    /// Host each path should preferably be restarted on (affinity files).
    public var affinity: [FullPkgPath: String] = [:]
    /// Fetch jobs fetch distfiles: a path with distfiles waits for them.
    public var holdsForDistfiles = false
    /// Records whose distfiles are now wanted, for the caller's fetcher.
    var distfileRequests: [PortRecord] = []
    /// Work not started yet, in seconds at speed factor 1: summed at each
    /// critical-path pass, less what started since (for the squiggle rule).
    var pendingWork = 0.0
    /// -R: what each existing package was built from; nil without -R.
    public var rebuildCheck: RebuildCheck?
    var rebuildDecisions: [RebuildDecision] = []
    /// FULLPKGNAME -> the node that makes that package file: a second port
    /// of another directory with the same name would overwrite it.
    var packageMakers: [String: Int] = [:]
    /// The graph changed since cycles were last looked for.
    var cycleCheckDue = false

    public init(wantsEverything: Bool = false, ordering: QueueOrdering = .criticalPath) {
        self.wantsEverything = wantsEverything
        self.ordering = ordering
    }

    // MARK: - Names

    func id(for path: FullPkgPath) -> Int {
        if let i = index[path] { return resolve(i) }
        var node = Node(path: path)
        node.history = book.history(path)
        node.scale = book.scale(path)
        node.category = book.category(of: path.pkgpath.value)
        nodes.append(node)
        let i = nodes.count - 1
        index[path] = i
        if path.canonical != path.pkgpath.value { variants[path.pkgpath.value, default: []].append(i) }
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

    // MARK: - Readiness

    func becameReadyForBuild(_ i: Int) {
        guard nodes[i].state == .toBuild, nodes[i].missingBuild <= 0, !nodes[i].awaitingDistfiles else { return }
        if nodes[i].checkSignature {
            nodes[i].checkSignature = false
            if !needsRebuild(i) {
                setState(i, .built)
                log(i, .built)
                becameReadyToInstall(i)
                return
            }
            if holdsForDistfiles, let r = nodes[i].record, !r.fetch.files.isEmpty {
                nodes[i].awaitingDistfiles = true
                distfileRequests.append(r)
                return
            }
        }
        setState(i, .queued)
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
            setState(i, .installable)
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
            var pending = 0.0
            let own = allWeights()
            BuildEngine.eachNode(nodes) { i, node in
                if isPending(node) { pending += own[i] }
            }
            pendingWork = pending
            let chains = longestChains { own[$0] }
            for i in 0..<count { nodes[i].priority = chains.value[i] }
        case .dpb:
            let full = dpbWeights()
            for i in 0..<count { nodes[i].priority = full[i] }
        }
        // Made in one go (heapified), not entry by entry.
        var entries: [QueueEntry] = []
        BuildEngine.eachNode(nodes) { i, node in
            guard node.pointee.state == .queued && node.pointee.aliasOf == nil else { return }
            entries.append(QueueEntry(priority: node.pointee.priority, dependents: node.pointee.buildDependents.count,
                                      name: node.pointee.path.canonical, id: i))
        }
        queue = Heap(entries)
    }

    /// The graph changed since the last priority pass.
    public var needsPriorityPass: Bool { prioritiesDirty }

    /// Current priority of a path (for tests and the display).
    public func priority(of path: FullPkgPath) -> Double { nodes[id(for: path)].priority }

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
public struct SplitMix: RandomNumberGenerator, Equatable, Sendable {
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
