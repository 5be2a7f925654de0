import XCTest
@testable import Engine

/// Queue order and the engine at scale.
final class SchedulingTests: XCTestCase {
    /// A chain c/1 <- c/2 <- ... <- c/5 (each needs the previous one to
    /// build) and a wide port w/w that six leaves need.
    private func chainAndWide(_ ordering: QueueOrdering) -> Harness {
        var ports = [port("c/1")]
        for k in 2...5 { ports.append(port("c/\(k)", build: ["c/\(k - 1)"])) }
        ports.append(port("w/w"))
        for k in 1...6 { ports.append(port("w/l\(k)", build: ["w/w"])) }
        let h = Harness(ports, engine: BuildEngine(ordering: ordering))
        h.request(ports.map(\.path.canonical))
        h.engine.recomputePriorities()
        return h
    }

    func testCriticalPathPutsTheLongChainsHeadFirst() {
        let h = chainAndWide(.criticalPath)
        XCTAssertEqual(h.engine.priority(of: fp("c/1")), 5)
        XCTAssertEqual(h.engine.priority(of: fp("c/3")), 3)
        XCTAssertEqual(h.engine.priority(of: fp("w/w")), 2)
        XCTAssertEqual(h.engine.priority(of: fp("w/l1")), 1)
        XCTAssertEqual(Array(h.buildEverything().prefix(3)), ["c/1", "c/2", "c/3"])
    }

    func testDpbOrderSumsTheWeightsOfDependents() {
        let h = chainAndWide(.dpb)
        XCTAssertEqual(h.engine.priority(of: fp("c/1")), 5)
        XCTAssertEqual(h.engine.priority(of: fp("w/w")), 7)
        XCTAssertEqual(h.buildEverything().first, "w/w", "dpb takes the heaviest full weight first")
    }

    func testWeightsFromHistoryChangeTheOrder() {
        let h = chainAndWide(.criticalPath)
        h.engine.weights = ["w/w": 10, "c/1": 1, "c/2": 1, "c/3": 1, "c/4": 1, "c/5": 1]
        h.engine.recomputePriorities()
        XCTAssertEqual(h.engine.priority(of: fp("w/w")), 11, "10 plus a leaf at the median weight 1")
        XCTAssertEqual(h.engine.priority(of: fp("c/1")), 5)
        XCTAssertEqual(h.engine.nextJob()?.path, fp("w/w"))
    }

    func testScalesMultiplyWeights() {
        let h = chainAndWide(.criticalPath)
        h.engine.scales = ["w/w": 10]
        h.engine.recomputePriorities()
        XCTAssertEqual(h.engine.priority(of: fp("w/w")), 11)
        XCTAssertEqual(h.engine.nextJob()?.path, fp("w/w"))
    }

    func testDefaultWeightAppliesWithoutAnyHistory() {
        let h = chainAndWide(.criticalPath)
        h.engine.defaultWeight = 2
        h.engine.recomputePriorities()
        XCTAssertEqual(h.engine.priority(of: fp("c/1")), 10)
        XCTAssertEqual(h.engine.priority(of: fp("w/w")), 4)
    }

    func testUnknownPathsGetTheMedianOfTheirCategoryOrOfAll() {
        let engine = BuildEngine()
        engine.weights = ["a/x": 1, "a/y": 5, "a/z": 9, "b/k": 100, "b/l,f": 200]
        XCTAssertEqual(engine.weight(of: fp("a/x")), 1)
        XCTAssertEqual(engine.weight(of: fp("b/l,f")), 200)
        XCTAssertEqual(engine.weight(of: fp("a/x,flavor")), 1, "a flavor falls back to its pkgpath")
        XCTAssertEqual(engine.weight(of: fp("a/new")), 5, "category a has three known paths")
        XCTAssertEqual(engine.weight(of: fp("b/new")), 9, "category b has too few: median of all")
        XCTAssertTrue(engine.hasHistory(fp("a/y")))
        XCTAssertFalse(engine.hasHistory(fp("a/new")))
    }

    func testTiesGoToThePathWithMoreDependentsThenTheLargerName() {
        let h = Harness([port("t/a"), port("t/b"), port("t/d1", build: ["t/a"]), port("t/d2", build: ["t/a"]),
                         port("t/e", build: ["t/b"]), port("t/r", run: ["t/b"])])
        h.request(["t/d1", "t/d2", "t/e", "t/r"])
        // t/a and t/b weigh 2; t/a has two build dependents, t/b one (run
        // dependents do not count); the rest weigh 1 and go by name.
        XCTAssertEqual(h.buildEverything(), ["t/a", "t/b", "t/r", "t/e", "t/d2", "t/d1"])
    }

    /// A run dependency of a build dependency holds back everything above
    /// it, so it lies on the same chain: l/rt must come before the wide
    /// but short w/w.
    func testCriticalPathFollowsRunDependenciesOfBuildDependencies() throws {
        var ports = [port("l/rt"), port("y/y", run: ["l/rt"]), port("z/1", build: ["y/y"])]
        for k in 2...5 { ports.append(port("z/\(k)", build: ["z/\(k - 1)"])) }
        ports.append(port("w/w"))
        for k in 1...3 { ports.append(port("w/l\(k)", build: ["w/w"])) }
        let h = Harness(ports)
        h.request(ports.map(\.path.canonical))
        h.engine.recomputePriorities()
        XCTAssertGreaterThanOrEqual(h.engine.priority(of: fp("l/rt")), 6)
        XCTAssertEqual(Array(h.buildEverything().prefix(2)), ["y/y", "l/rt"])
    }

    /// dpb-behaviour.md: the full weight adds the weight of every path
    /// that depends on it, each once.
    func testDpbFullWeightCountsADiamondOnce() throws {
        let h = Harness([port("d/a"), port("d/b", build: ["d/a"]), port("d/c", build: ["d/a"]),
                         port("d/d", build: ["d/b", "d/c"])], engine: BuildEngine(ordering: .dpb))
        h.request(["d/d"])
        h.engine.recomputePriorities()
        XCTAssertEqual(h.engine.priority(of: fp("d/b")), 2)
        XCTAssertEqual(h.engine.priority(of: fp("d/a")), 4)
    }

    private func randomOrder(seed: UInt64) -> [String] {
        let ports = (0..<20).map { port("r/p\($0)") }
        let h = Harness(ports, engine: BuildEngine(ordering: .random(SplitMix(seed: seed))))
        h.request(ports.map(\.path.canonical))
        return h.buildEverything()
    }

    func testRandomOrderIsDeterministicPerSeed() {
        let a = randomOrder(seed: 42)
        XCTAssertEqual(a.count, 20)
        XCTAssertEqual(Set(a).count, 20)
        XCTAssertEqual(randomOrder(seed: 42), a)
        XCTAssertNotEqual(randomOrder(seed: 43), a)
        XCTAssertNotEqual(a, a.sorted(by: >), "not the name order of an unweighted queue")
    }

    func testSplitMixMatchesTheReferenceSequence() {
        var g = SplitMix(seed: 0)
        XCTAssertEqual(g.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(g.next(), 0x6E78_9E6A_A1B9_65F4)
    }

    /// A reason that is a dependency's name reads the same whichever of
    /// the two was listed first.
    func testBecauseOfTextDoesNotDependOnListingOrder() throws {
        let dep = "verylongcategoryname/an-extremely-long-port-name-for-testing"
        let ports = [port(dep, ignore: "no"), port("u/user", build: [dep])]
        let late = Harness(ports)
        late.request(["u/user"])
        let early = Harness(ports)
        early.request([dep, "u/user"])
        XCTAssertEqual(late.log().last, "! u/user because of \(dep)")
        XCTAssertEqual(early.log().last, "! u/user because of \(dep)")
    }

    // MARK: scale

    func testThirtyThousandNodeDAGBuildsToCompletionInLinearChanges() {
        let n = 30_000
        var rng = SplitMix(seed: 7)
        var records: [PortRecord] = []
        records.reserveCapacity(n)
        var edges = 0
        for k in 0..<n {
            var build: [Dependency] = []
            var run: [Dependency] = []
            var chosen = Set<Int>()
            while chosen.count < min(k, 3) { chosen.insert(Int(rng.next() % UInt64(k))) }
            for d in chosen.sorted() {
                let dependency = Dependency(path: fp("s/p\(d)"), stage: nil)
                if rng.next() % 4 == 0 { run.append(dependency) } else { build.append(dependency) }
                edges += 1
            }
            records.append(PortRecord(path: fp("s/p\(k)"), pkgname: "p\(k)-1.0",
                                      buildDepends: build, runDepends: run))
        }
        XCTAssertEqual(edges, 3 * n - 6)

        let engine = BuildEngine()
        engine.request(records.map(\.path))
        let asked = engine.takePathsToList(limit: Int.max)
        XCTAssertEqual(asked.count, n)
        var listing = ListingResult()
        listing.records = records
        engine.listed(listing, requested: asked)
        XCTAssertEqual(engine.takePathsToList(limit: Int.max), [])
        var changes = engine.takeChanges().count

        var installable = Set<FullPkgPath>()
        var jobs = 0
        var violations = 0
        while let job = engine.nextJob() {
            if !job.buildDepends.allSatisfy({ installable.contains($0.path) }) { violations += 1 }
            engine.started(job.path, host: "h\(jobs % 4)")
            engine.finished(job.path, .built(alsoBuilt: []))
            jobs += 1
            for c in engine.takeChanges() {
                changes += 1
                if c.state == .installable { installable.insert(fp(c.subject)) }
            }
        }
        XCTAssertEqual(violations, 0, "a job started before its build dependencies were installable")
        XCTAssertEqual(jobs, n)
        XCTAssertEqual(installable.count, n)
        XCTAssertEqual(changes, 5 * n, "T Q J B I once per path")
        let s = engine.summary()
        XCTAssertEqual(s.counts.installable, n)
        XCTAssertEqual(s.counts.total, n)
        XCTAssertTrue(engine.isIdle)
    }
}
