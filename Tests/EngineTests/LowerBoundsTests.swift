import XCTest
@testable import Engine

/// The two makespan bounds on graphs small enough to schedule by hand.
final class LowerBoundsTests: XCTestCase {
    typealias Graph = SimulationTests.Graph

    func bounds(_ g: Graph, capacity: Double, fastest: Double = 1) -> MakespanBounds {
        SimulationTests.engine(g).makespanBounds(capacity: capacity, fastestSpeed: fastest)
    }

    /// Four ports of 10 s that one port of 10 s needs, on 2 slots: the
    /// simple bound is max(20, 50 / 2) = 25, but the four must all be done
    /// 10 s before the end, so the end is at least 10 + 40 / 2 = 30, which
    /// a schedule reaches.
    func testWorkBeforeAChainMustEndThatChainEarly() {
        var g = Graph()
        for k in 0..<4 { g.add("fan/a\(k)", 10) }
        g.add("fan/z", 10, build: (0..<4).map { "fan/a\($0)" })
        let b = bounds(g, capacity: 2)
        XCTAssertEqual(b.criticalPath, 20)
        XCTAssertEqual(b.work, 50)
        XCTAssertEqual(b.simple, 25)
        XCTAssertEqual(b.tight, 30)
        let r = SimulationTests.simulate(g, .criticalPath, hosts: [Simulator.SimHost(name: "h", slots: 2)])
        XCTAssertEqual(r.lowerBound, 25)
        XCTAssertEqual(r.tightLowerBound, 30)
        XCTAssertEqual(r.makespan, 30, "the bound is reached")
    }

    /// The mirror image: one port that four others need to build cannot
    /// let them start before it ends.
    func testWorkAfterAPortCannotStartBeforeIt() {
        var g = Graph()
        g.add("fan/a", 10)
        for k in 0..<4 { g.add("fan/z\(k)", 10, build: ["fan/a"]) }
        let b = bounds(g, capacity: 2)
        XCTAssertEqual(b.simple, 25)
        XCTAssertEqual(b.tight, 30, "10 + 40 / 2")
    }

    /// Independent work: both bounds are work / capacity, or the longest
    /// port when it is longer.
    func testIndependentPortsGiveTheSimpleBound() {
        var g = Graph()
        for (k, w) in [7.0, 3, 5, 9].enumerated() { g.add("i/p\(k)", w) }
        XCTAssertEqual(bounds(g, capacity: 2).tight, 12)
        XCTAssertEqual(bounds(g, capacity: 2).simple, 12)
        XCTAssertEqual(bounds(g, capacity: 4).tight, 9, "the longest port")
    }

    /// With one host at sf 2 and one at sf 1, capacity is 3 and chains go
    /// at speed 2: four ports of 12 s before one of 12 s give
    /// 12 / 2 + 48 / 3 = 22 against a simple max(24 / 2, 60 / 3) = 20.
    func testSpeedFactorsScaleChainsAndCapacity() {
        var g = Graph()
        for k in 0..<4 { g.add("sf/a\(k)", 12) }
        g.add("sf/z", 12, build: (0..<4).map { "sf/a\($0)" })
        let b = bounds(g, capacity: 3, fastest: 2)
        XCTAssertEqual(b.criticalPath, 12)
        XCTAssertEqual(b.simple, 20)
        XCTAssertEqual(b.tight, 22)
        let hosts = [Simulator.SimHost(name: "f", speedFactor: 2, slots: 1), Simulator.SimHost(name: "s", slots: 1)]
        let r = SimulationTests.simulate(g, .criticalPath, hosts: hosts)
        XCTAssertEqual(r.tightLowerBound, 22)
        XCTAssertGreaterThanOrEqual(r.makespan, 22)
    }

    /// A run dependency holds back what build-depends on its dependent:
    /// f needs e installed, and e is installable once r is.
    func testChainsBeforeFollowRunDependencies() {
        var g = Graph()
        g.add("e/r", 10)
        g.add("e/e", 1, run: ["e/r"])
        g.add("e/f", 2, build: ["e/e"])
        let e = SimulationTests.engine(g)
        let w = (0..<e.nodes.count).map { e.left($0, elapsed: [:]) }
        let before = e.longestPrefixes(w)
        func at(_ p: String) -> Double { before[e.id(for: fp(p))] }
        XCTAssertEqual(at("e/r"), 0)
        XCTAssertEqual(at("e/e"), 0, "e's own build does not wait for r")
        XCTAssertEqual(at("e/f"), 10, "f waits for r through e")
        XCTAssertEqual(e.makespanBounds(capacity: 1, fastestSpeed: 1).criticalPath, 12)
    }

    /// Finished paths count nothing and running ones what is left of them.
    func testFinishedAndRunningPathsCountWhatIsLeft() {
        var g = Graph()
        g.add("c/a", 10)
        g.add("c/b", 10, build: ["c/a"])
        g.add("c/x", 4)
        let e = SimulationTests.engine(g)
        e.started(fp("c/a"), host: "h")
        var b = e.makespanBounds(capacity: 2, fastestSpeed: 1, elapsed: [fp("c/a"): 6])
        XCTAssertEqual(b.work, 18)
        XCTAssertEqual(b.criticalPath, 14)
        e.finished(fp("c/a"), .built(alsoBuilt: []))
        b = e.makespanBounds(capacity: 2, fastestSpeed: 1)
        XCTAssertEqual(b.work, 14)
        XCTAssertEqual(b.criticalPath, 10)
    }

    /// No bound for an empty build is larger than zero.
    func testNothingLeftIsZero() {
        let b = MakespanBounds(weights: [], before: [], after: [], capacity: 4, fastestSpeed: 1)
        XCTAssertEqual(b.simple, 0)
        XCTAssertEqual(b.tight, 0)
    }
}
