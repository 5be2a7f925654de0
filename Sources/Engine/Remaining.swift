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
        let count = nodes.count
        var value = [Double](repeating: -1, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var work = 0.0
        var longest = 0.0
        func left(_ i: Int) -> Double? {
            guard nodes[i].wanted, nodes[i].aliasOf == nil, !builtWithSibling(i) else { return nil }
            switch nodes[i].state {
            case .unlisted, .toBuild, .queued, .setAside, .locked: return weight(i)
            case .running: return max(0, weight(i) - (elapsed[nodes[i].path] ?? 0))
            default: return nil
            }
        }
        for root in 0..<count where value[root] < 0 {
            var stack: [(Int, Int)] = [(root, 0)]
            onStack[root] = true
            while let (n, k) = stack.last {
                let deps = nodes[n].buildDependents
                if k < deps.count {
                    stack[stack.count - 1].1 = k + 1
                    let d = deps[k]
                    if value[d] < 0 && !onStack[d] { onStack[d] = true; stack.append((d, 0)) }
                    continue
                }
                stack.removeLast()
                onStack[n] = false
                var best = 0.0
                for d in deps where value[d] > best { best = value[d] }
                if let own = left(n) {
                    value[n] = own + best
                    work += own
                } else {
                    value[n] = best
                }
                longest = max(longest, value[n])
            }
        }
        return (longest, work)
    }
}

extension BuildEngine {
    /// The chain of unfinished paths along the critical path, heaviest
    /// first: what holds the end of the build back.
    public func criticalChain() -> [FullPkgPath] {
        let count = nodes.count
        var value = [Double](repeating: -1, count: count)
        var next = [Int](repeating: -1, count: count)
        var onStack = [Bool](repeating: false, count: count)
        func own(_ i: Int) -> Double {
            guard nodes[i].wanted, nodes[i].aliasOf == nil, !builtWithSibling(i) else { return 0 }
            switch nodes[i].state {
            case .unlisted, .toBuild, .queued, .setAside, .locked, .running: return weight(i)
            default: return 0
            }
        }
        for root in 0..<count where value[root] < 0 {
            var stack: [(Int, Int)] = [(root, 0)]
            onStack[root] = true
            while let (n, k) = stack.last {
                let deps = nodes[n].buildDependents
                if k < deps.count {
                    stack[stack.count - 1].1 = k + 1
                    let d = deps[k]
                    if value[d] < 0 && !onStack[d] { onStack[d] = true; stack.append((d, 0)) }
                    continue
                }
                stack.removeLast()
                onStack[n] = false
                var best = 0.0
                for d in deps where value[d] > best { best = value[d]; next[n] = d }
                value[n] = own(n) + best
            }
        }
        guard var i = (0..<count).max(by: { value[$0] < value[$1] }), value[i] > 0 else { return [] }
        var chain: [FullPkgPath] = []
        while i >= 0 {
            if own(i) > 0 { chain.append(nodes[i].path) }
            i = next[i]
        }
        return chain
    }
}
