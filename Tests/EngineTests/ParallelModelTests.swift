import XCTest
@testable import Engine

/// The simulator's parallel-port model: single-core phases around a build
/// of serial + scalable / cores, extra slots held in the build only, idle
/// slots lent in the tail; and the bounds of the same model.
final class ParallelModelTests: XCTestCase {
    typealias G = SimulationTests.Graph

    func run(_ g: G, timings: [String: Simulator.PortTiming], hosts: [Simulator.SimHost],
             weights: [String: Double]? = nil) -> Simulator.Result {
        let e = BuildEngine(ordering: .criticalPath)
        e.weights = weights ?? g.weights
        e.listAll(g.records)
        var sim = Simulator(hosts: hosts)
        sim.timings = timings
        return sim.run(e)
    }

    func testALoneParallelPortBuildsOnEveryIdleSlot() {
        var g = G()
        g.add("devel/big", 100, properties: ["parallel"])
        let t = Simulator.PortTiming(before: 10, serial: 10, scalable: 80, after: 5)
        let r = run(g, timings: ["devel/big": t], hosts: [Simulator.SimHost(name: "a", slots: 4)])
        // k is 2 on 4 slots; the two idle ones are lent: 10 + 10 + 80 / 4 + 5.
        XCTAssertEqual(r.makespan, 45, accuracy: 1e-9)
        XCTAssertEqual(r.tightLowerBound, 45, accuracy: 1e-9)
        XCTAssertEqual(r.work, 105, accuracy: 1e-9)
    }

    func testOtherPortsBuildBesideTheSingleThreadedPhases() {
        var g = G()
        g.add("devel/big", 100, properties: ["parallel"])
        g.add("www/user", 5, build: ["devel/big"])
        var timings = ["devel/big": Simulator.PortTiming(before: 40, serial: 10, scalable: 50, after: 30)]
        for i in 0..<20 {
            g.add("misc/s\(i)", 4)
            timings["misc/s\(i)"] = Simulator.PortTiming(serial: 4)
        }
        let r = run(g, timings: timings, hosts: [Simulator.SimHost(name: "a", slots: 2)])
        // Holding both slots for the whole job would end at 40 + 35 + 30 + 5
        // + 80 / 2 = 150 at best; by the rule the small ports fill the
        // other slot in configure and fake.
        XCTAssertLessThan(r.makespan, 125)
        XCTAssertLessThanOrEqual(r.makespan, 1.05 * r.tightLowerBound, "\(r.makespan) over \(r.tightLowerBound)")
    }

    /// A random DAG where one port in ten is parallel; every port spends
    /// 45% of its time in single-core phases.
    static func parallelDAG(seed: UInt64, count: Int) -> (G, [String: Simulator.PortTiming], [String: Double]) {
        var g = SimulationTests.randomDAG(seed: seed, count: count)
        var timings: [String: Simulator.PortTiming] = [:]
        var history: [String: Double] = [:]
        var rng = SplitMix(seed: seed ^ 0x5eed)
        for k in g.records.indices {
            let path = g.records[k].path.canonical
            let w = g.weights[path] ?? 1
            let parallel = rng.next() % 10 == 0
            if parallel { g.records[k].properties.append("parallel") }
            let build = 0.55 * w
            let t = Simulator.PortTiming(before: 0.3 * w, serial: parallel ? 0.1 * build : build,
                                         scalable: parallel ? 0.9 * build : 0, after: 0.15 * w)
            timings[path] = t
            // What history would have measured: its time with k = 4 cores.
            history[path] = t.time(cores: parallel ? 4 : 1)
        }
        return (g, timings, history)
    }

    func testRandomDAGsWithParallelPortsEndWithinFivePercentOfTheModelsBound() {
        for seed: UInt64 in [1, 2] {
            let (g, timings, history) = Self.parallelDAG(seed: seed, count: 400)
            for hosts in [[Simulator.SimHost(name: "a", slots: 8)],
                          [Simulator.SimHost(name: "a", slots: 4), Simulator.SimHost(name: "b", slots: 4)]] {
                let r = run(g, timings: timings, hosts: hosts, weights: history)
                XCTAssertEqual(r.built, 400)
                XCTAssertLessThanOrEqual(r.makespan, 1.05 * r.tightLowerBound,
                                         "seed \(seed), \(hosts.count) hosts: \(r.makespan) over \(r.tightLowerBound)")
                XCTAssertGreaterThanOrEqual(r.makespan, r.tightLowerBound - 1e-6)
            }
        }
    }
}
