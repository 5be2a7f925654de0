import Engine

// (d) makespan against both lower bounds, critical-path order only, on
// one host of 3, 8 and 32 identical slots and on hosts where one is twice
// as fast as the others: the targets of the scheduling rules.

/// The host sets of section (d), with a title each.
func boundHostSets() -> [(String, [Simulator.SimHost])] {
    var sets: [(String, [Simulator.SimHost])] = []
    for slots in [3, 8, 32] { sets.append(("1 x \(slots)", [Simulator.SimHost(name: "h0", slots: slots)])) }
    sets.append(("2 x 4, h0 sf 2", (0..<2).map { Simulator.SimHost(name: "h\($0)", speedFactor: $0 == 0 ? 2 : 1, slots: 4) }))
    sets.append(("4 x 8, h0 sf 2", (0..<4).map { Simulator.SimHost(name: "h\($0)", speedFactor: $0 == 0 ? 2 : 1, slots: 8) }))
    return sets
}

func printBounds(_ graph: Graph) {
    print("\nmakespan against both bounds (critical path order):")
    print("  " + pad("hosts", 16) + lpad("makespan h", 12) + lpad("simple h", 10) + lpad("tight h", 10)
          + lpad("/simple", 9) + lpad("/tight", 9) + lpad("util %", 8))
    for (title, hosts) in boundHostSets() {
        let r = Simulator(hosts: hosts).run(listedEngine(graph, .criticalPath))
        print("  " + pad(title, 16) + lpad(f(r.makespan / 3600, 3), 12) + lpad(f(r.lowerBound / 3600, 3), 10)
              + lpad(f(r.tightLowerBound / 3600, 3), 10) + lpad(f(r.makespan / r.lowerBound, 4), 9)
              + lpad(f(r.makespan / r.tightLowerBound, 4), 9) + lpad(f(r.utilisation * 100, 1), 8))
        if r.built != graph.records.count { print("  (built \(r.built) of \(graph.records.count))") }
    }
}
