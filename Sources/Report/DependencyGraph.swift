import Engine

/// The dependencies between a run's jobs, from depends.log. A port can
/// start once its build dependencies are installable: built, and their run
/// dependencies installable in turn. A dependency on a subpackage made by
/// another path's job counts as that job.
struct DependencyGraph {
    /// Node per path named anywhere; `job` maps a node to its last job.
    var index: [String: Int] = [:]
    var build: [[Int]] = []
    var run: [[Int]] = []
    var jobOf: [Int?] = []

    init(jobs: [RunReport.Job], depends: [String: RunLogs.Depends]) {
        var unitJob: [String: Int] = [:]
        for (k, j) in jobs.enumerated() {
            unitJob[Self.unit(j.path)] = k
        }
        func node(_ p: String) -> Int {
            if let n = index[p] { return n }
            let n = build.count
            index[p] = n
            build.append([]); run.append([])
            jobOf.append(nil)
            return n
        }
        for (k, j) in jobs.enumerated() { jobOf[node(j.path)] = k }
        for (p, d) in depends.sorted(by: { $0.key < $1.key }) {
            let n = node(p)
            build[n] = d.build.map(node)
            run[n] = d.run.map(node)
        }
        // A subpackage without a job of its own was made by its unit's job.
        for (p, n) in index where jobOf[n] == nil {
            jobOf[n] = unitJob[Self.unit(p)]
        }
    }

    static func unit(_ p: String) -> String {
        (try? FullPkgPath(p))?.withoutSubpackage.canonical ?? p
    }

    /// Jobs that had to end before `job` could start.
    func prerequisites(of job: Int, in jobs: [RunReport.Job]) -> [Int] {
        guard let n = index[jobs[job].path] else { return [] }
        var seen = Set<Int>()
        var out: [Int] = []
        var stack = build[n]
        while let d = stack.popLast() {
            guard seen.insert(d).inserted else { continue }
            if let k = jobOf[d], k != job { out.append(k) }
            stack += run[d]
        }
        return out
    }

    /// From the job that ended last, back through what it waited for
    /// last: the prerequisite that ended last before it started, or, when
    /// a job of its host ended later (it waited for a slot), that job.
    /// Each step says which it was: `dependency` or `slot`.
    func criticalPath(jobs: [RunReport.Job]) -> [(job: Int, link: String)] {
        guard var k = jobs.indices.max(by: { (jobs[$0].end, -$0) < (jobs[$1].end, -$1) }) else { return [] }
        var byHost: [String: [Int]] = [:]
        for i in jobs.indices { byHost[jobs[i].host, default: []].append(i) }
        for key in byHost.keys { byHost[key]!.sort { jobs[$0].end < jobs[$1].end } }
        var chain: [(job: Int, link: String)] = []
        var seen: Set<Int> = [k]
        var link = "end"
        while true {
            chain.append((k, link))
            let latest = jobs[k].start + RunReport.slack
            let dep = prerequisites(of: k, in: jobs).filter { jobs[$0].end <= latest && !seen.contains($0) }
                .max(by: { (jobs[$0].end, -$0) < (jobs[$1].end, -$1) })
            // The host's last job to end before this one started.
            var slot: Int?
            if let list = byHost[jobs[k].host] {
                var lo = 0, hi = list.count
                while lo < hi { let mid = (lo + hi) / 2; if jobs[list[mid]].end <= latest { lo = mid + 1 } else { hi = mid } }
                var m = lo - 1
                while m >= 0 && (seen.contains(list[m]) || jobs[list[m]].start >= jobs[k].start) { m -= 1 }
                if m >= 0 { slot = list[m] }
            }
            let next: Int
            if let dep, let slot, jobs[slot].end > jobs[dep].end + RunReport.slack { next = slot; link = "slot" }
            else if let dep { next = dep; link = "dependency" }
            else if let slot { next = slot; link = "slot" }
            else { break }
            seen.insert(next)
            k = next
        }
        return chain.reversed()
    }

    /// Engine's bounds at the jobs' measured wall times (the chain bound
    /// and work / slots; both stay lower bounds whatever the hosts' speed).
    func bounds(jobs: [RunReport.Job], capacity: Double) -> RunReport.Bounds {
        let count = build.count
        var w = [Double](repeating: 0, count: count)
        for (n, k) in jobOf.enumerated() {
            if let k, index[jobs[k].path] == n { w[n] = jobs[k].seconds }
        }
        // before: longest chain before a node's build can start; ready:
        // until it is installable. after: longest chain once it is built.
        var start = [Double](repeating: -1, count: count)
        var ready = [Double](repeating: 0, count: count)
        var state = [UInt8](repeating: 0, count: count)   // 0 new, 1 on the stack, 2 done
        for root in 0..<count where state[root] == 0 {
            var stack: [(Int, Int)] = [(root, 0)]
            state[root] = 1
            while let (n, k) = stack.last {
                let deps = build[n].count + run[n].count
                if k < deps {
                    stack[stack.count - 1].1 = k + 1
                    let d = k < build[n].count ? build[n][k] : run[n][k - build[n].count]
                    if state[d] == 0 { state[d] = 1; stack.append((d, 0)) }
                    continue
                }
                stack.removeLast()
                state[n] = 2
                var s = 0.0
                for d in build[n] { s = max(s, ready[d]) }
                start[n] = s
                var r = s + w[n]
                for d in run[n] { r = max(r, ready[d]) }
                ready[n] = r
            }
        }
        // The mirror image, over the reversed edges in reverse finishing order.
        var users: [[Int]] = Array(repeating: [], count: count)
        var needers: [[Int]] = Array(repeating: [], count: count)
        for n in 0..<count {
            for d in build[n] { users[d].append(n) }
            for d in run[n] { needers[d].append(n) }
        }
        var after = [Double](repeating: -1, count: count)
        for root in 0..<count where after[root] < 0 {
            var stack: [(Int, Int)] = [(root, 0)]
            after[root] = 0
            var onStack: Set<Int> = [root]
            while let (n, k) = stack.last {
                let next = users[n].count + needers[n].count
                if k < next {
                    stack[stack.count - 1].1 = k + 1
                    let u = k < users[n].count ? users[n][k] : needers[n][k - users[n].count]
                    if after[u] < 0 && !onStack.contains(u) { after[u] = 0; onStack.insert(u); stack.append((u, 0)) }
                    continue
                }
                stack.removeLast()
                onStack.remove(n)
                var a = 0.0
                for u in users[n] { a = max(a, w[u] + after[u]) }
                for u in needers[n] { a = max(a, after[u]) }
                after[n] = a
            }
        }
        let b = MakespanBounds(weights: w, before: start.map { max(0, $0) }, after: after.map { max(0, $0) },
                               capacity: max(1, capacity), fastestSpeed: 1)
        let first = jobs.map(\.start).min() ?? 0
        let last = jobs.map(\.end).max() ?? 0
        let span = max(0, last - first)
        return RunReport.Bounds(buildSpan: span, criticalPath: b.criticalPath, work: b.work, capacity: capacity,
                                simple: b.simple, tight: b.tight, ratio: b.tight > 0 ? span / b.tight : 1)
    }
}
