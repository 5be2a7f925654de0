import Foundation
import XCTest
@testable import Engine

/// The schedule on a cut of the real Debian graph (Tests/bench/
/// debian-cut-400.graph, written by Tests/bench/debian-graph.py
/// --build-essential --cut 400 --seed 1 from the bookworm binary index)
/// with exact history, in virtual time: the targets of issue 12 as a
/// regression test. The toolchain prefix makes the tight bound the one
/// that counts here (up to 1.2 times the simple one).
final class DebianGraphTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("bench/debian-cut-400.graph")

    func graph() throws -> GraphFile {
        let text = try String(contentsOf: Self.fixture, encoding: .utf8)
        return try GraphFile(parsing: text, file: Self.fixture.path)
    }

    func simulate(_ g: GraphFile, _ hosts: [Simulator.SimHost],
                  _ ordering: QueueOrdering = .criticalPath, squiggleRule: Bool = true) -> Simulator.Result {
        let e = BuildEngine(ordering: ordering)
        e.weights = g.weights
        e.listAll(g.records)
        var sim = Simulator(hosts: hosts)
        sim.squiggleRule = squiggleRule
        return sim.run(e)
    }

    func testTheCutIsTheDerivedGraph() throws {
        let g = try graph()
        XCTAssertEqual(g.records.count, 400)
        XCTAssertGreaterThan(g.edges, 400)
        XCTAssertNotNil(g.weights["debian/glibc"], "a closed cut holds the C library")
        let r = simulate(g, [Simulator.SimHost(name: "h0", slots: 8)])
        XCTAssertGreaterThan(r.tightLowerBound, r.lowerBound * 1.25, "the toolchain prefix holds the start back")
    }

    /// Identical slots: within 0.5% of the tight bound at 3, 8 and 32.
    func testIdenticalSlotsEndWithinHalfAPercentOfTheTightBound() throws {
        let g = try graph()
        for slots in [3, 8, 32] {
            let r = simulate(g, [Simulator.SimHost(name: "h0", slots: slots)])
            XCTAssertEqual(r.built, 400)
            XCTAssertLessThanOrEqual(r.makespan, r.tightLowerBound * 1.005,
                                     "1 x \(slots): \(r.makespan) s against \(r.tightLowerBound) s")
        }
    }

    /// One host twice as fast as the others: within 2% of the tight bound.
    func testOneHostTwiceAsFastEndsWithinTwoPercentOfTheTightBound() throws {
        let g = try graph()
        for (count, slots) in [(3, 3), (2, 4), (4, 4), (4, 8)] {
            let hosts = (0..<count).map { Simulator.SimHost(name: "h\($0)", speedFactor: $0 == 0 ? 2 : 1, slots: slots) }
            let r = simulate(g, hosts)
            XCTAssertEqual(r.built, 400)
            XCTAssertLessThanOrEqual(r.makespan, r.tightLowerBound * 1.02,
                                     "\(count) x \(slots), h0 sf 2: \(r.makespan) s against \(r.tightLowerBound) s")
        }
    }

    /// The margins tell orders apart on this cut: a random order misses them.
    func testARandomOrderMissesTheMargins() throws {
        let g = try graph()
        let one = simulate(g, [Simulator.SimHost(name: "h0", slots: 8)], .random(SplitMix(seed: 1)))
        XCTAssertGreaterThan(one.makespan, one.tightLowerBound * 1.005, "1 x 8, random order")
        let hosts = (0..<4).map { Simulator.SimHost(name: "h\($0)", speedFactor: $0 == 0 ? 2 : 1, slots: 8) }
        let mixed = simulate(g, hosts, .random(SplitMix(seed: 1)))
        XCTAssertGreaterThan(mixed.makespan, mixed.tightLowerBound * 1.02, "4 x 8, h0 sf 2, random order")
    }

    /// Squiggles that always take the lightest port (before the squiggle
    /// rule) miss the margin on 8 slots here: the test sees the rule go.
    func testTheOldSquiggleMissesTheMarginOnEightSlots() throws {
        let r = simulate(try graph(), [Simulator.SimHost(name: "h0", slots: 8)], squiggleRule: false)
        XCTAssertGreaterThan(r.makespan, r.tightLowerBound * 1.005)
    }

    func testABadLineNamesItsFileAndLine() {
        let cases: [(String, Int, String)] = [
            ("a/x 1\nb/y ten a/x\n", 2, "SECONDS a number"),
            ("a/x 1\nb/y 2 c/z\n", 2, "c/z is not a port of the file"),
            ("# only\na/x 1\na/x 2\n", 3, "already given on line 2"),
            ("x 1\n", 1, "invalid pkgpath"),
            ("a/x -3\n", 1, "SECONDS a number >= 0"),
            ("# nothing\n", 1, "no ports"),
        ]
        for (text, line, reason) in cases {
            XCTAssertThrowsError(try GraphFile(parsing: text, file: "g.graph")) { error in
                guard let e = error as? GraphFile.ParseError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.line, line, text)
                XCTAssertTrue(e.description.hasPrefix("g.graph:\(line): "), e.description)
                XCTAssertTrue(e.reason.contains(reason), "\(e.reason) for \(text)")
            }
        }
    }
}
