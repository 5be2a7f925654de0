import XCTest
@testable import Engine

/// `pkgpath=value` on the command line against paths without history.
final class GivenWeightsTests: XCTestCase {
    func testOneGivenWeightChangesTheOrderInsteadOfBecomingTheMedian() {
        var ports = [port("c/1")]
        for k in 2...5 { ports.append(port("c/\(k)", build: ["c/\(k - 1)"])) }
        ports.append(port("w/w"))
        let h = Harness(ports, engine: BuildEngine(ordering: .criticalPath))
        h.request(ports.map(\.path.canonical))
        h.engine.givenWeights = ["w/w": 500]
        h.engine.recomputePriorities()
        // The others keep the default weight 1; w/w's 500 beats the chain of 5.
        XCTAssertEqual(h.engine.priority(of: fp("c/1")), 5)
        XCTAssertEqual(h.engine.priority(of: fp("w/w")), 500)
        XCTAssertEqual(h.engine.nextJob()?.path, fp("w/w"))
        XCTAssertTrue(h.engine.hasHistory(fp("w/w")))
        XCTAssertFalse(h.engine.hasHistory(fp("c/1")))
    }

    func testGivenWeightWinsOverHistoryButLeavesTheMediansToHistory() {
        let engine = BuildEngine()
        engine.listAll([port("a/x"), port("a/y"), port("a/z"), port("a/new"), port("b/given")])
        engine.weights = ["a/x": 1, "a/y": 5, "a/z": 9, "b/given": 7]
        engine.givenWeights = ["b/given": 1000, "a/x": 2]
        XCTAssertEqual(engine.weight(of: fp("b/given")), 1000)
        XCTAssertEqual(engine.weight(of: fp("a/x")), 2)
        XCTAssertEqual(engine.weight(of: fp("a/new")), 5, "median of a/x a/y a/z from history")
    }
}
