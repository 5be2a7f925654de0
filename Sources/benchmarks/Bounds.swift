import Engine

// (d) makespan against both lower bounds, critical-path order only, on
// one host of 3, 8 and 32 identical slots and on hosts where one is twice
// as fast as the others, with squiggles as before (always from the light
// end) and by the squiggle rule; on the benchmark's graph and on random
// recursive DAGs of the same size, some with dependencies only on recent
// ports, whose many long chains are what a squiggle can delay.

/// The host sets of section (d), with a title each; `more` adds sets
/// between the work-bound and the chain-bound cases (for --graph), and
/// `crossover` (work over critical path, in slots) one host of that many
/// slots and hosts of 8 that add up to it, one of them twice as fast.
func boundHostSets(more: Bool = false, crossover: Int = 0) -> [(String, [Simulator.SimHost])] {
    var sets: [(String, [Simulator.SimHost])] = []
    for slots in more ? [3, 8, 16, 24, 32] : [3, 8, 32] {
        sets.append(("1 x \(slots)", [Simulator.SimHost(name: "h0", slots: slots)]))
    }
    for (hosts, slots) in more ? [(3, 3), (2, 4), (4, 4), (4, 8), (2, 16)] : [(2, 4), (4, 8)] {
        sets.append(("\(hosts) x \(slots), h0 sf 2", (0..<hosts).map {
            Simulator.SimHost(name: "h\($0)", speedFactor: $0 == 0 ? 2 : 1, slots: slots)
        }))
    }
    if more && crossover > 32 {
        sets.append(("1 x \(crossover)", [Simulator.SimHost(name: "h0", slots: crossover)]))
        let hosts = max(2, crossover / 8)
        sets.append(("\(hosts) x 8, h0 sf 2", (0..<hosts).map {
            Simulator.SimHost(name: "h\($0)", speedFactor: $0 == 0 ? 2 : 1, slots: 8)
        }))
    }
    return sets
}

/// Each port depends on 1 to 4 earlier ones, picked uniformly among all
/// of them or (window > 0) among the last `window`, which makes chains
/// long; one in four is a run dependency; log-normal weights, median 60 s.
func randomRecursiveDAG(ports: Int, seed: UInt64, window: Int = 0, sigma: Double = 1.3) -> Graph {
    var rng = Rng(g: SplitMix(seed: seed))
    var g = Graph()
    for k in 0..<ports {
        var deps = Set<Int>()
        for _ in 0..<(k > 0 ? 1 + rng.below(4) : 0) {
            deps.insert(window > 0 ? k - 1 - rng.below(min(k, window)) : rng.below(k))
        }
        var build: [Dependency] = [], run: [Dependency] = []
        for d in deps.sorted() {
            let path = "dag/p\(d)"
            if rng.below(4) == 0 { run.append(dependency(path)) } else { build.append(dependency(path)) }
            g.dependents[path, default: 0] += 1
        }
        g.edges += deps.count
        let path = "dag/p\(k)"
        guard let fp = try? FullPkgPath(path) else { fatalError("bad generated path \(path)") }
        g.records.append(PortRecord(path: fp, pkgname: "p\(k)-1.0", buildDepends: build, runDepends: run))
        g.weights[path] = rng.logNormal(median: 60, sigma: sigma)
    }
    return g
}

func printBounds(_ graph: Graph, ports: Int, seed: UInt64) {
    let graphs = [("benchmark graph", graph),
                  ("random DAG", randomRecursiveDAG(ports: ports, seed: seed)),
                  ("DAG, window 50, sigma 1", randomRecursiveDAG(ports: ports, seed: seed, window: 50, sigma: 1)),
                  ("DAG, window 300, sigma 2", randomRecursiveDAG(ports: ports, seed: seed, window: 300, sigma: 2))]
    for (name, g) in graphs { printBoundsTable(name, g) }
}

/// Section (d) on one graph: every host set, squiggles before and by the rule.
func printBoundsTable(_ name: String, _ g: Graph, moreHosts: Bool = false) {
    let cp = listedEngine(g, .criticalPath).makespanBounds(capacity: 1, fastestSpeed: 1).criticalPath
    let work = g.weights.values.reduce(0, +)
    print("\nmakespan against both bounds, critical path order, \(name) (\(g.records.count) ports, "
          + "cp \(f(cp / 3600, 2)) h, work \(f(work / 3600, 1)) h):")
    print("  " + pad("hosts", 16) + lpad("simple h", 10) + lpad("tight h", 10) + lpad("before h", 10)
          + lpad("/tight", 8) + lpad("rule h", 10) + lpad("/tight", 8) + lpad("util %", 8))
    for (title, hosts) in boundHostSets(more: moreHosts, crossover: Int((work / max(cp, 1)).rounded())) {
        var before = Simulator(hosts: hosts)
        before.squiggleRule = false
        let old = before.run(listedEngine(g, .criticalPath))
        let r = Simulator(hosts: hosts).run(listedEngine(g, .criticalPath))
        print("  " + pad(title, 16) + lpad(f(r.lowerBound / 3600, 3), 10) + lpad(f(r.tightLowerBound / 3600, 3), 10)
              + lpad(f(old.makespan / 3600, 3), 10) + lpad(f(old.makespan / old.tightLowerBound, 4), 8)
              + lpad(f(r.makespan / 3600, 3), 10) + lpad(f(r.makespan / r.tightLowerBound, 4), 8)
              + lpad(f(r.utilisation * 100, 1), 8))
        if r.built != g.records.count { print("  (built \(r.built) of \(g.records.count))") }
    }
}
