/// Dependency cycles: ports that wait on each other can never be built.
/// Found once nothing else can move, they are marked broken with the
/// cycle's names, so the run says why rather than leaving them in T.
let cycleReasonPrefix = "dependency cycle: "

extension BuildEngine {
    /// Every cycle among wanted paths that still wait (to build, or built
    /// and waiting on run dependencies), each as its names in order with
    /// the first again at the end. Their members become broken (`!` with
    /// the cycle) and so do the paths behind them. Call it when the engine
    /// is idle: a cycle is then all that keeps these paths waiting. Does
    /// nothing when the graph has not changed since the last call.
    public func breakCycles() -> [[String]] {
        guard cycleCheckDue else { return [] }
        cycleCheckDue = false
        var found: [[String]] = []
        for component in waitingComponents() {
            let cycle = cycleThrough(component)
            let reason = BuildEngine.cycleReason(cycle.map { nodes[$0].path.canonical })
            for i in component.sorted(by: { nodes[$0].path.canonical < nodes[$1].path.canonical }) {
                setState(i, .skipped(.broken(reason)))
                log(i, .ignored, reason)
            }
            for i in component { propagateSkip(from: i, .broken(reason)) }
            found.append(cycle.map { nodes[$0].path.canonical })
        }
        return found
    }

    /// `a -> b -> a`; a long cycle is cut after a few names, with its length.
    public static func cycleReason(_ names: [String]) -> String {
        let shown = 8
        if names.count <= shown + 1 { return cycleReasonPrefix + names.joined(separator: " -> ") }
        return cycleReasonPrefix + names.prefix(shown).joined(separator: " -> ")
            + " -> ... -> \(names[0]) (\(names.count - 1) ports)"
    }

    func waitsForever(_ i: Int) -> Bool {
        guard nodes[i].wanted, nodes[i].aliasOf == nil, nodes[i].record != nil else { return false }
        return nodes[i].state == .toBuild || nodes[i].state == .built
    }

    func waitEdges(_ i: Int) -> [Int] {
        (nodes[i].buildDeps + nodes[i].runDeps).filter(waitsForever)
    }

    /// Strongly connected components of more than one waiting path
    /// (Tarjan's, without recursion: a cycle may be thousands long).
    func waitingComponents() -> [[Int]] {
        let count = nodes.count
        var order = [Int](repeating: -1, count: count)
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var next = 0
        var out: [[Int]] = []
        for root in 0..<count where order[root] < 0 && waitsForever(root) {
            var work: [(node: Int, edges: [Int], k: Int)] = []
            func open(_ n: Int) {
                order[n] = next; low[n] = next; next += 1
                stack.append(n); onStack[n] = true
                work.append((n, waitEdges(n), 0))
            }
            open(root)
            while let top = work.last {
                let n = top.node
                if top.k < top.edges.count {
                    work[work.count - 1].k += 1
                    let d = top.edges[top.k]
                    if order[d] < 0 { open(d) } else if onStack[d] { low[n] = min(low[n], order[d]) }
                    continue
                }
                work.removeLast()
                if let parent = work.last { low[parent.node] = min(low[parent.node], low[n]) }
                guard low[n] == order[n] else { continue }
                var component: [Int] = []
                while let m = stack.popLast() {
                    onStack[m] = false
                    component.append(m)
                    if m == n { break }
                }
                if component.count > 1 { out.append(component) }
            }
        }
        return out
    }

    /// One cycle inside a component: the shortest way from its first name
    /// (in sort order) back to itself.
    func cycleThrough(_ component: [Int]) -> [Int] {
        let members = Set(component)
        guard let start = component.min(by: { nodes[$0].path.canonical < nodes[$1].path.canonical }) else { return [] }
        var cameFrom: [Int: Int] = [:]
        var frontier = [start]
        while !frontier.isEmpty {
            var further: [Int] = []
            for n in frontier {
                for d in waitEdges(n) where members.contains(d) {
                    if d == start {
                        var path = [start]
                        var m = n
                        while m != start { path.append(m); m = cameFrom[m] ?? start }
                        return [start] + path.dropFirst().reversed() + [start]
                    }
                    if cameFrom[d] == nil { cameFrom[d] = n; further.append(d) }
                }
            }
            frontier = further
        }
        return [start, start]
    }
}
