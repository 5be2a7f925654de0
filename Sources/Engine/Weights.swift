/// Expected build times, kept per node so that a pass over the graph reads
/// arrays instead of hashing names: each node holds its own history (or
/// NaN), its `file*scale` factor and its interned category, and the
/// medians that stand in for paths without history are kept in sorted
/// lists, updated one measurement at a time.
struct WeightBook {
    /// Seconds by path (`canonical` or bare pkgpath), as the caller gave them.
    var byName: [String: Double] = [:]
    /// `pkgpath=value` from the command line, by canonical path: they win
    /// over history but stay out of the medians that stand in for paths
    /// without history, so one given value does not become every estimate.
    var given: [String: Double] = [:]
    var scales: [String: Double] = [:]
    var defaultWeight: Double = 1
    /// Extra slot-seconds of parallel builds (SlotWork.swift).
    var extra: [String: Double] = [:]
    var parallelShare = 0.0
    var heldPart = 1.0
    /// Category names, interned: nodes and sorted lists refer to them by number.
    var categoryIDs: [String: Int32] = [:]
    /// Known weights of each category, sorted; and of every category.
    var knownByCategory: [[Double]] = []
    var knownAll: [Double] = []

    mutating func category(of name: String) -> Int32 {
        let c = String(name.prefix { $0 != "/" })
        if let id = categoryIDs[c] { return id }
        let id = Int32(knownByCategory.count)
        categoryIDs[c] = id
        knownByCategory.append([])
        return id
    }

    /// The history of a path, NaN when there is none.
    func history(_ path: FullPkgPath) -> Double {
        given[path.canonical] ?? byName[path.canonical] ?? byName[path.pkgpath.value] ?? .nan
    }

    func scale(_ path: FullPkgPath) -> Double {
        scales[path.canonical] ?? scales[path.pkgpath.value] ?? 1
    }

    /// A path without history: the median of known paths in its category
    /// when there are at least three, else the median of all known paths,
    /// else `defaultWeight`.
    func estimate(_ category: Int32) -> Double {
        let own = knownByCategory[Int(category)]
        return own.count >= 3 ? own[own.count / 2] : overall
    }

    /// The median of all known paths, else `defaultWeight`.
    var overall: Double { knownAll.isEmpty ? defaultWeight : knownAll[knownAll.count / 2] }

    /// Sorted lists from scratch, after the whole table was replaced.
    mutating func rebuildKnown() {
        for c in knownByCategory.indices { knownByCategory[c].removeAll() }
        knownAll.removeAll(keepingCapacity: true)
        for (name, w) in byName {
            let c = Int(category(of: name))
            knownByCategory[c].append(w)
            knownAll.append(w)
        }
        for c in knownByCategory.indices { knownByCategory[c].sort() }
        knownAll.sort()
    }

    /// One measurement: the table and the sorted lists follow, without a
    /// pass over every weight.
    mutating func set(_ w: Double, for name: String) {
        let c = Int(category(of: name))
        if let old = byName.updateValue(w, forKey: name) {
            Self.remove(old, from: &knownByCategory[c])
            Self.remove(old, from: &knownAll)
        }
        Self.insert(w, into: &knownByCategory[c])
        Self.insert(w, into: &knownAll)
    }

    static func position(of x: Double, in sorted: [Double]) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    static func insert(_ x: Double, into sorted: inout [Double]) {
        sorted.insert(x, at: position(of: x, in: sorted))
    }

    static func remove(_ x: Double, from sorted: inout [Double]) {
        let k = position(of: x, in: sorted)
        if k < sorted.count && sorted[k] == x { sorted.remove(at: k) }
    }
}

extension BuildEngine {
    func weight(_ i: Int) -> Double { weight(nodes[i]) }

    /// From a node read once (a debug build copies the whole node at each
    /// `nodes[i].field`, and the priority pass asks for every node).
    func weight(_ node: Node) -> Double {
        (node.history.isNaN ? book.estimate(node.category) : node.history) * node.scale
    }

    /// Every node's `weight(_:)` in one pass, each category's estimate
    /// taken once.
    func allWeights() -> [Double] {
        let estimates = book.knownByCategory.indices.map { book.estimate(Int32($0)) }
        var out = [Double](repeating: 0, count: nodes.count)
        BuildEngine.eachNode(nodes) { i, node in
            let history = node.pointee.history
            out[i] = (history.isNaN ? estimates[Int(node.pointee.category)] : history) * node.pointee.scale
        }
        return out
    }

    /// Seconds a path is expected to take; missing paths use `defaultWeight`.
    /// Replacing the table re-reads it for every node; a single measurement
    /// goes through `setWeight(_:for:)`.
    public var weights: [String: Double] {
        get { book.byName }
        set {
            book.byName = newValue
            book.rebuildKnown()
            historyChanged()
        }
    }

    /// `pkgpath=value` from the command line (see `WeightBook.given`).
    public var givenWeights: [String: Double] {
        get { book.given }
        set {
            book.given = newValue
            historyChanged()
        }
    }

    /// `file*scale` factors from the command line, by path.
    public var scales: [String: Double] {
        get { book.scales }
        set {
            book.scales = newValue
            for i in nodes.indices { nodes[i].scale = book.scale(nodes[i].path) }
            weightsChanged()
        }
    }

    public var defaultWeight: Double {
        get { book.defaultWeight }
        set { book.defaultWeight = newValue; weightsChanged() }
    }

    /// A measured time for one path (`canonical` or bare pkgpath): only the
    /// nodes that read that name change, and the medians move by one entry.
    /// Priorities are taken again only when the measurement moves the
    /// estimate of its category, or the median of all, by more than
    /// `estimateMoveForPass`: the path just built is in the chain of no
    /// queued path (what it needed is installed), so only the estimates
    /// of paths without history can move their order.
    public func setWeight(_ w: Double, for name: String) {
        let category = book.category(of: name)
        let before = (book.estimate(category), book.overall)
        book.set(w, for: name)
        var affected: [Int] = []
        if let p = try? FullPkgPath(name), let i = index[p] { affected.append(i) }
        affected += variants[name] ?? []
        for i in affected { nodes[i].history = book.history(nodes[i].path) }
        remainingTrack.stale = true
        func moved(_ a: Double, _ b: Double) -> Bool { abs(b - a) > BuildEngine.estimateMoveForPass * a }
        if moved(before.0, book.estimate(category)) || moved(before.1, book.overall) { prioritiesDirty = true }
    }

    /// Relative move of an estimate that calls for a new priority pass.
    public static let estimateMoveForPass = 0.05

    /// Every node reads its history again (the table or the given values
    /// were replaced).
    func historyChanged() {
        for i in nodes.indices { nodes[i].history = book.history(nodes[i].path) }
        weightsChanged()
    }

    func weightsChanged() {
        prioritiesDirty = true
        remainingTrack.stale = true
    }

    /// Expected seconds of a path at speed factor 1 (history or estimate).
    public func weight(of path: FullPkgPath) -> Double { weight(id(for: path)) }

    /// Whether the weight of a path comes from history.
    public func hasHistory(_ path: FullPkgPath) -> Bool { !book.history(path).isNaN }
}
