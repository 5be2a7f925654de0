import Engine

// (e) parallel ports in the simulator's model: every port spends 30% of
// its one-core time before its build and 15% after it on one core; one in
// ten is `parallel`, its build 10% serial and 90% divided by its cores.
// The rule (extra cores in the build only, idle ones lent in the tail)
// against dpb's way (the cores held from start to end, nothing lent),
// each judged against the tight bound of the same model.

/// The model's timings of `g`, the graph with its parallel ports marked,
/// and the weights history would hold (each port's time with k cores).
func parallelModel(_ g: Graph, seed: UInt64, slots: Int) -> (Graph, [String: Simulator.PortTiming], [String: Double]) {
    var rng = Rng(g: SplitMix(seed: seed ^ 0x9a7a11e1))
    var out = g
    var timings: [String: Simulator.PortTiming] = [:]
    var history: [String: Double] = [:]
    for k in out.records.indices {
        let path = out.records[k].path.canonical
        let w = g.weights[path] ?? 1
        let parallel = rng.below(10) == 0
        if parallel { out.records[k].properties.append("parallel") }
        let build = 0.55 * w
        let t = Simulator.PortTiming(before: 0.3 * w, serial: parallel ? 0.1 * build : build,
                                     scalable: parallel ? 0.9 * build : 0, after: 0.15 * w)
        timings[path] = t
        history[path] = t.time(cores: Simulator.defaultCores(out.records[k], slots: slots))
    }
    out.weights = history
    return (out, timings, history)
}

func printParallelPorts(_ graph: Graph, ports: Int, seed: UInt64) {
    let graphs = [("benchmark graph", graph), ("random DAG", randomRecursiveDAG(ports: ports, seed: seed)),
                  ("DAG, window 50, sigma 1", randomRecursiveDAG(ports: ports, seed: seed, window: 50, sigma: 1))]
    for (name, base) in graphs { printParallelTable(name, base, seed: seed) }
}

/// Section (e) on one graph: the rule against dpb's whole-job cores.
func printParallelTable(_ name: String, _ base: Graph, seed: UInt64) {
    let hostSets: [(String, [Simulator.SimHost])] = [
        ("1 x 2", [Simulator.SimHost(name: "h0", slots: 2)]),
        ("1 x 8", [Simulator.SimHost(name: "h0", slots: 8)]),
        ("4 x 8, h0 sf 2", (0..<4).map { Simulator.SimHost(name: "h\($0)", speedFactor: $0 == 0 ? 2 : 1, slots: 8) }),
    ]
    print("\nparallel ports (1 in 10, build 90% scalable, 45% of each port single-core), \(name):")
    print("  " + pad("hosts", 16) + lpad("tight h", 10) + lpad("dpb h", 10) + lpad("/tight", 8)
          + lpad("rule h", 10) + lpad("/tight", 8) + lpad("util %", 8))
    for (title, hosts) in hostSets {
        let (g, timings, _) = parallelModel(base, seed: seed, slots: hosts[0].slots)
        // dpb: the extra cores from the job's start to its end, nothing lent.
        var whole: [String: Simulator.PortTiming] = [:]
        for (p, t) in timings {
            whole[p] = Simulator.PortTiming(serial: t.before + t.serial + t.after, scalable: t.scalable)
        }
        var dpb = Simulator(hosts: hosts)
        dpb.timings = whole
        dpb.lendsIdleSlots = false
        let old = dpb.run(listedEngine(g, .criticalPath))
        var rule = Simulator(hosts: hosts)
        rule.timings = timings
        let r = rule.run(listedEngine(g, .criticalPath))
        print("  " + pad(title, 16) + lpad(f(r.tightLowerBound / 3600, 3), 10)
              + lpad(f(old.makespan / 3600, 3), 10) + lpad(f(old.makespan / r.tightLowerBound, 4), 8)
              + lpad(f(r.makespan / 3600, 3), 10) + lpad(f(r.makespan / r.tightLowerBound, 4), 8)
              + lpad(f(r.utilisation * 100, 1), 8))
        if r.built != g.records.count { print("  (built \(r.built) of \(g.records.count))") }
    }
}
