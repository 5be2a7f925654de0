extension BuildEngine {
    /// For every node, the longest chain of `own` weights from it to the
    /// end of the build, and the next node on that chain (-1 at the end).
    /// A build dependent waits for the node to be installable; a run
    /// dependent's own build does not wait, but everything after it does,
    /// so it contributes its chain minus its own weight. Linear.
    func longestChains(own: (Int) -> Double) -> (value: [Double], next: [Int]) {
        let count = nodes.count
        let graph = dependentLists
        let start = graph.start, runFrom = graph.runFrom, edges = graph.edges, isAlias = graph.isAlias
        var value = [Double](repeating: -1, count: count)
        var next = [Int](repeating: -1, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var ownCache = [Double](repeating: 0, count: count)
        // A walk on flat arrays through index loops: a priority pass runs
        // after each batch of listings and each moved estimate, and a debug
        // build copies a whole node at each `nodes[i]` and iterates arrays
        // through generic calls.
        var stack: [(n: Int, k: Int)] = []
        var root = 0
        while root < count {
            defer { root += 1 }
            guard value[root] < 0 && !isAlias[root] else { continue }
            stack.append((root, start[root]))
            onStack[root] = true
            while let (n, k) = stack.last {
                if k < start[n + 1] {
                    stack[stack.count - 1].k = k + 1
                    let d = edges[k]
                    // A cycle is cut where it closes.
                    if value[d] < 0 && !onStack[d] { onStack[d] = true; stack.append((d, start[d])) }
                    continue
                }
                stack.removeLast()
                onStack[n] = false
                var best = 0.0
                var e = start[n]
                while e < runFrom[n] {
                    let d = edges[e]
                    if value[d] > best { best = value[d]; next[n] = d }
                    e += 1
                }
                while e < start[n + 1] {
                    let d = edges[e]
                    if value[d] - ownCache[d] > best { best = value[d] - ownCache[d]; next[n] = d }
                    e += 1
                }
                ownCache[n] = own(n)
                value[n] = ownCache[n] + best
            }
        }
        for i in 0..<count where value[i] < 0 { value[i] = 0 }
        return (value, next)
    }

    /// dpb's full weight: a node's own weight plus the weight of every node
    /// that depends on it, directly or not, each counted once. Exact up to
    /// `exactLimit` nodes (a walk per node); beyond that each node's full
    /// weight is shared among the paths it depends on, which keeps the
    /// total right without the quadratic walk (see bulkbuild(1)).
    func dpbWeights(exactLimit: Int = 5000) -> [Double] {
        let count = nodes.count
        let w = (0..<count).map { nodes[$0].aliasOf == nil ? weight($0) : 0 }
        func dependents(_ n: Int) -> [Int] { nodes[n].buildDependents + nodes[n].runDependents }
        if count <= exactLimit {
            var out = [Double](repeating: 0, count: count)
            var mark = [Int](repeating: -1, count: count)
            for n in 0..<count where nodes[n].aliasOf == nil {
                var sum = 0.0
                var stack = [n]
                mark[n] = n
                while let m = stack.popLast() {
                    sum += w[m]
                    for d in dependents(m) where mark[d] != n { mark[d] = n; stack.append(d) }
                }
                out[n] = sum
            }
            return out
        }
        // Share each node's total among the paths it depends on.
        let order = longestChains(own: { _ in 1 }).value
        let sorted = (0..<count).sorted { order[$0] < order[$1] }
        var out = w
        for n in sorted {
            for d in dependents(n) {
                let parents = max(1, nodes[d].buildDeps.count + nodes[d].runDeps.count)
                out[n] += out[d] / Double(parents)
            }
        }
        return out
    }
}

/// Every node's dependents in two flat arrays: node n's build dependents
/// are `edges[start[n]..<runFrom[n]]`, its run dependents
/// `edges[runFrom[n]..<start[n + 1]]`.
struct DependentLists: Equatable {
    var start: [Int]
    var runFrom: [Int]
    var edges: [Int] = []
    var isAlias: [Bool]

    init(_ nodes: [BuildEngine.Node]) {
        let count = nodes.count
        start = [Int](repeating: 0, count: count + 1)
        runFrom = [Int](repeating: 0, count: count)
        isAlias = [Bool](repeating: false, count: count)
        BuildEngine.eachNode(nodes) { i, node in
            start[i] = edges.count
            edges.append(contentsOf: node.pointee.buildDependents)
            runFrom[i] = edges.count
            edges.append(contentsOf: node.pointee.runDependents)
            isAlias[i] = node.pointee.aliasOf != nil
        }
        start[count] = edges.count
    }
}

extension BuildEngine {
    /// The graph's dependents, made again only after it changed (a node
    /// added, an edge or an alias made or undone).
    var dependentLists: DependentLists {
        if let kept = dependentListsKept, kept.isAlias.count == nodes.count { return kept }
        let made = DependentLists(nodes)
        dependentListsKept = made
        return made
    }

    /// Calls `body` with each node in place: a field read through the
    /// pointer reads that field only, where `nodes[i].field` (or a buffer's
    /// subscript) copies the whole node in a debug build.
    static func eachNode(_ nodes: [Node], _ body: (Int, UnsafePointer<Node>) -> Void) {
        nodes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            for i in 0..<buf.count { body(i, base + i) }
        }
    }
}
