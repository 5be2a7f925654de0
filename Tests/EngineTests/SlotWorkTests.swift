import XCTest
@testable import Engine

/// The extra slots of parallel builds count in the work left, not in the
/// chains, and the kept totals follow jobs as a full pass would.
final class SlotWorkTests: XCTestCase {
    func parallelTree() -> Harness {
        var big = port("a/big")
        big.properties = ["parallel"]
        var other = port("a/other", build: ["a/base"])
        other.properties = ["parallel2"]
        let h = Harness([port("a/base"), big, other, port("a/last", build: ["a/big"])])
        h.request(["a/base", "a/big", "a/other", "a/last"])
        h.engine.weights = ["a/base": 10, "a/big": 40, "a/other": 20, "a/last": 10]
        return h
    }

    func testKnownExtraCountsInWorkNotInTheChain() {
        let h = parallelTree()
        let before = h.engine.remaining(elapsed: [:])
        h.engine.parallelExtra = ["a/big": 30]
        let after = h.engine.remaining(elapsed: [:])
        XCTAssertEqual(after.work, before.work + 30, accuracy: 1e-9)
        XCTAssertEqual(after.criticalPath, before.criticalPath, accuracy: 1e-9)
        XCTAssertEqual(after.criticalPath, 50, accuracy: 1e-9)
    }

    func testParallelPortsWithoutKnownExtraCountTheLearnedShare() {
        let h = parallelTree()
        h.engine.parallelExtra = ["a/big": 30]
        h.engine.parallelShare = 0.5
        // a/big keeps its known extra; a/other (parallel2) gets half its weight.
        XCTAssertEqual(h.engine.remaining(elapsed: [:]).work, 80 + 30 + 10, accuracy: 1e-9)
    }

    func testTrackedWorkDropsTheExtraWhenTheJobEnds() {
        let h = parallelTree()
        h.engine.parallelExtra = ["a/big": 30, "a/other": 5]
        h.engine.refreshRemaining(elapsed: [:])
        XCTAssertFalse(h.engine.remainingStale)
        XCTAssertEqual(h.engine.trackedRemaining(elapsed: [:]).work, 115, accuracy: 1e-9)
        h.start("a/big")
        // Running: its own time goes as it runs, its extra stays to its end.
        XCTAssertEqual(h.engine.trackedRemaining(elapsed: [fp("a/big"): 15]).work, 100, accuracy: 1e-9)
        h.engine.finished(fp("a/big"), .built(alsoBuilt: []))
        XCTAssertEqual(h.engine.trackedRemaining(elapsed: [:]).work, 45, accuracy: 1e-9)
        XCTAssertEqual(h.engine.remaining(elapsed: [:]).work, 45, accuracy: 1e-9)
        XCTAssertFalse(h.engine.remainingStale)
    }

    func testChangingTheShareCallsForAFullPass() {
        let h = parallelTree()
        h.engine.refreshRemaining(elapsed: [:])
        h.engine.parallelShare = 0.25
        XCTAssertTrue(h.engine.remainingStale)
        h.engine.refreshRemaining(elapsed: [:])
        h.engine.parallelShare = 0.25
        XCTAssertFalse(h.engine.remainingStale, "the same share again changes nothing")
        XCTAssertEqual(h.engine.trackedRemaining(elapsed: [:]).work, 80 + 0.25 * 60, accuracy: 1e-9)
    }
}
