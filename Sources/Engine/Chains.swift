extension BuildEngine {
    /// For every node, the longest chain of `own` weights from it to the
    /// end of the build, and the next node on that chain (-1 at the end).
    /// A build dependent waits for the node to be installable; a run
    /// dependent's own build does not wait, but everything after it does,
    /// so it contributes its chain minus its own weight. Linear.
    func longestChains(own: (Int) -> Double) -> (value: [Double], next: [Int]) {
        let count = nodes.count
        var value = [Double](repeating: -1, count: count)
        var next = [Int](repeating: -1, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var ownCache = [Double](repeating: 0, count: count)
        // Each frame keeps its node's dependents: the node is read once, not
        // at every edge (a debug build copies the whole node at each read).
        func frame(_ n: Int) -> (n: Int, k: Int, b: [Int], r: [Int]) {
            let node = nodes[n]
            return (n, 0, node.buildDependents, node.runDependents)
        }
        for root in 0..<count where value[root] < 0 && nodes[root].aliasOf == nil {
            var stack = [frame(root)]
            onStack[root] = true
            while let (n, k, b, r) = stack.last {
                if k < b.count + r.count {
                    stack[stack.count - 1].k = k + 1
                    let d = k < b.count ? b[k] : r[k - b.count]
                    // A cycle is cut where it closes.
                    if value[d] < 0 && !onStack[d] { onStack[d] = true; stack.append(frame(d)) }
                    continue
                }
                stack.removeLast()
                onStack[n] = false
                var best = 0.0
                for d in b where value[d] > best { best = value[d]; next[n] = d }
                for d in r where value[d] - ownCache[d] > best { best = value[d] - ownCache[d]; next[n] = d }
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
