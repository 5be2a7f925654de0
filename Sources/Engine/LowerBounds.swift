/// Two lower bounds on the makespan of what is left of a build, to judge
/// a schedule (simulate, the benchmark) against.
///
/// - simple: max(critical path on the fastest host, work / capacity).
/// - tight: a port cannot end later than the makespan minus the longest
///   chain that follows it, so for every t the ports whose following chain
///   is at least t must all be done by makespan - t: makespan >= t + (their
///   work) / capacity. The mirror image holds from the start: the ports
///   whose preceding chain is at least t cannot start before t. The tight
///   bound is the largest of these over every t, and the simple bound.
///
/// Work and capacity are in seconds at speed factor 1 (capacity is the sum
/// of slots times speed factor); chains are walked at the fastest speed
/// factor, the quickest any host can run them.
public struct MakespanBounds: Sendable, Equatable {
    /// The longest chain, in seconds on the fastest host.
    public var criticalPath: Double
    /// Total work, in seconds at speed factor 1.
    public var work: Double
    public var simple: Double
    public var tight: Double

    /// Bounds from per-port weights and the chains before and after each
    /// port (each excluding the port's own weight), all at speed factor 1.
    /// `durations` (default: the weights) are the ports' shortest times,
    /// for the chains: a parallel port is quicker than its work.
    public init(weights: [Double], before: [Double], after: [Double], capacity: Double, fastestSpeed: Double,
                durations: [Double]? = nil) {
        let capacity = max(capacity, 1e-9)
        let speed = max(fastestSpeed, 1e-9)
        var path = 0.0
        var work = 0.0
        for (k, w) in weights.enumerated() where w > 0 {
            work += w
            path = max(path, before[k] + (durations?[k] ?? w) + after[k])
        }
        criticalPath = path / speed
        self.work = work
        simple = max(criticalPath, work / capacity)
        tight = max(simple,
                    Self.sweep(weights: weights, chains: after, capacity: capacity, speed: speed),
                    Self.sweep(weights: weights, chains: before, capacity: capacity, speed: speed))
    }

    /// max over t of t / speed + (weight of the ports whose chain is at
    /// least t) / capacity; only the ports' own chains can be the largest.
    static func sweep(weights: [Double], chains: [Double], capacity: Double, speed: Double) -> Double {
        let order = weights.indices.filter { weights[$0] > 0 }.sorted { chains[$0] > chains[$1] }
        var best = 0.0
        var sum = 0.0
        for (k, i) in order.enumerated() {
            sum += weights[i]
            // Ports with an equal chain all count at that t.
            if k + 1 < order.count && chains[order[k + 1]] == chains[i] { continue }
            best = max(best, chains[i] / speed + sum / capacity)
        }
        return best
    }
}

extension BuildEngine {
    /// Both bounds for what is left of the build on hosts of total
    /// `capacity` (slots times speed factor) whose fastest speed factor is
    /// `fastestSpeed`; running paths count what remains of them.
    public func makespanBounds(capacity: Double, fastestSpeed: Double,
                               elapsed: [FullPkgPath: Double] = [:]) -> MakespanBounds {
        let w = (0..<nodes.count).map { left($0, elapsed: elapsed) }
        let after = longestChains { w[$0] }.value.enumerated().map { max(0, $0.element - w[$0.offset]) }
        return MakespanBounds(weights: w, before: longestPrefixes(w), after: after,
                              capacity: capacity, fastestSpeed: fastestSpeed)
    }

    /// Both bounds under the parallel-port model of `Simulator`: the work
    /// of a path is `work(path)` (all of it on one core) and its chains
    /// use `shortest(path)` (its build on every core it can get).
    public func makespanBounds(capacity: Double, fastestSpeed: Double,
                               work: (FullPkgPath) -> Double, shortest: (FullPkgPath) -> Double) -> MakespanBounds {
        let base = (0..<nodes.count).map { left($0, elapsed: [:]) }
        let w = (0..<nodes.count).map { base[$0] > 0 ? work(nodes[$0].path) : 0 }
        let d = (0..<nodes.count).map { base[$0] > 0 ? shortest(nodes[$0].path) : 0 }
        let after = longestChains { d[$0] }.value.enumerated().map { max(0, $0.element - d[$0.offset]) }
        return MakespanBounds(weights: w, before: longestPrefixes(d), after: after,
                              capacity: capacity, fastestSpeed: fastestSpeed, durations: d)
    }

    /// For every node, the longest chain of `w` that must end before its
    /// build can start: a build dependency must be installable, which
    /// takes its own build and its run dependencies' installability.
    /// Linear; a cycle is cut where it closes.
    func longestPrefixes(_ w: [Double]) -> [Double] {
        let count = nodes.count
        var start = [Double](repeating: -1, count: count)
        // When each node is installable: built, and its run dependencies too.
        var ready = [Double](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        for root in 0..<count where start[root] < 0 && nodes[root].aliasOf == nil {
            var stack: [(Int, Int)] = [(root, 0)]
            onStack[root] = true
            while let (n, k) = stack.last {
                let b = nodes[n].buildDeps
                let r = nodes[n].runDeps
                if k < b.count + r.count {
                    stack[stack.count - 1].1 = k + 1
                    let d = resolve(k < b.count ? b[k] : r[k - b.count])
                    if start[d] < 0 && !onStack[d] { onStack[d] = true; stack.append((d, 0)) }
                    continue
                }
                stack.removeLast()
                onStack[n] = false
                var s = 0.0
                for d in b { s = max(s, ready[resolve(d)]) }
                start[n] = s
                var installable = s + w[n]
                for d in r { installable = max(installable, ready[resolve(d)]) }
                ready[n] = installable
            }
        }
        return start.map { max(0, $0) }
    }
}
