import XCTest
@testable import Engine

/// What the engine keeps up to date as it goes (counts, lists of failed
/// and locked paths, weights, the ETA's remaining work and critical path)
/// against what a walk of the whole graph finds.
final class IncrementalTests: XCTestCase {
    typealias Graph = SimulationTests.Graph

    /// The counts, the lists and idleness agree with `summary()`.
    func assertCountsMatchSummary(_ e: BuildEngine, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let s = e.summary()
        XCTAssertEqual(e.counts.counts, s.counts, what, file: file, line: line)
        XCTAssertEqual(e.counts.unlisted, s.unlisted, what, file: file, line: line)
        XCTAssertEqual(e.counts.ignoredOnly, s.ignoredOnly, what, file: file, line: line)
        XCTAssertEqual(e.counts.builtByThisRun, s.builtByThisRun, what, file: file, line: line)
        XCTAssertEqual(e.failedPaths, s.failedPaths, what, file: file, line: line)
        XCTAssertEqual(e.lockedPaths, s.lockedPaths, what, file: file, line: line)
        let busy = e.nodes.contains { n in
            guard n.wanted && n.aliasOf == nil else { return false }
            switch n.state {
            case .queued, .setAside, .running, .unlisted: return true
            default: return false
            }
        }
        XCTAssertEqual(e.isIdle, !busy, what, file: file, line: line)
        // The flat dependents kept for priority passes since the last
        // check (which made them) still are the graph's.
        XCTAssertEqual(e.dependentLists, DependentLists(e.nodes), "kept dependents, \(what)", file: file, line: line)
    }

    /// Listing in batches with an alias, an ignored port, a broken one,
    /// subpackages; then builds, failures, locks, a lost job and a hot-fix.
    func testCountsFollowEveryKindOfChange() {
        let ports = [
            port("a/base"), port("a/lib", build: ["a/base"]),
            port("a/app", build: ["a/lib"], run: ["a/base"]),
            port("a/ign", ignore: "not here"), port("a/user", build: ["a/ign"]),
            port("a/bad", broken: "no FULLPKGNAME"), port("a/x", build: ["a/bad"]),
            port("m/multi,-main", build: ["a/base"]), port("m/multi,-lib", build: ["a/base"]),
            port("f/fail"), port("f/after", build: ["f/fail"]),
            port("l/locked"), port("l/after", build: ["l/locked"]),
            port("n/lost"), port("s/twice,a"), port("s/twice,b"),
        ]
        let h = Harness(ports, aliases: ["a/old": "a/lib", "m/multi": "m/multi,-main"])
        h.engine.request(["a/app", "a/user", "a/x", "a/old", "m/multi", "f/after", "l/after",
                          "n/lost", "s/twice,a", "s/twice,b", "z/missing"].map(fp))
        assertCountsMatchSummary(h.engine, "requested, nothing listed")
        while true {
            let asked = h.engine.takePathsToList(limit: 2)
            if asked.isEmpty { break }
            h.engine.listed(h.tree.answer(asked), requested: asked)
            assertCountsMatchSummary(h.engine, "after listing \(asked)")
        }
        XCTAssertGreaterThan(h.engine.counts.counts.ignored, 0)
        XCTAssertGreaterThan(h.engine.counts.ignoredOnly, 0)
        h.run("a/base"); assertCountsMatchSummary(h.engine, "built a/base")
        h.run("f/fail", .failed); assertCountsMatchSummary(h.engine, "f/fail failed")
        XCTAssertEqual(h.engine.failedPaths, ["f/fail"])
        XCTAssertNotNil(h.engine.nextJob(accepting: { $0.path == fp("l/locked") }))
        h.engine.lockHeld(fp("l/locked")); assertCountsMatchSummary(h.engine, "l/locked locked")
        XCTAssertEqual(h.engine.lockedPaths, ["l/locked"])
        h.start("s/twice,a")
        XCTAssertNil(h.engine.nextJob(accepting: { $0.path == fp("s/twice,b") }), "same pkgpath: set aside")
        XCTAssertEqual(h.engine.counts.setAside, 1)
        assertCountsMatchSummary(h.engine, "s/twice,b set aside")
        h.engine.finished(fp("s/twice,a"), .built(alsoBuilt: []))
        assertCountsMatchSummary(h.engine, "s/twice,b requeued")
        h.start("n/lost")
        h.engine.finished(fp("n/lost"), .notFinished); assertCountsMatchSummary(h.engine, "n/lost requeued")
        h.engine.lockGone(fp("l/locked"), packageExists: true); assertCountsMatchSummary(h.engine, "lock gone")
        h.engine.lockGone(fp("f/fail"), packageExists: false); assertCountsMatchSummary(h.engine, "hot-fix")
        XCTAssertEqual(h.engine.failedPaths, [])
        h.listAll(); assertCountsMatchSummary(h.engine, "relisted")
        h.buildEverything(); assertCountsMatchSummary(h.engine, "the end")
        XCTAssertTrue(h.engine.isIdle)
    }

    /// The dependents kept between priority passes follow changes that add
    /// no node: a hot-fixed port relisted with other dependencies, and a
    /// path already in the graph (unlisted: the tree did not answer for it)
    /// that turns out to be an alias.
    func testKeptDependentsFollowAGraphThatChangesWithoutNewNodes() {
        let h = Harness([port("a/base"), port("a/lib", build: ["a/base"]), port("a/other"),
                         port("a/app", build: ["a/lib"]), port("a/user", build: ["a/old"])])
        h.request(["a/app", "a/other", "a/user"])
        func check(_ what: String, line: UInt = #line) {
            XCTAssertEqual(h.engine.dependentLists, DependentLists(h.engine.nodes), what, line: line)
            h.engine.recomputePriorities()
            let fresh = h.engine.longestChains { h.engine.weight($0) }.value
            h.engine.dependentListsKept = nil
            XCTAssertEqual(fresh, h.engine.longestChains { h.engine.weight($0) }.value, what, line: line)
        }
        check("listed")
        let nodes = h.engine.nodes.count
        h.run("a/base")
        h.run("a/lib")
        h.run("a/app", .failed)
        _ = h.engine.dependentLists
        h.tree.records[fp("a/app")] = port("a/app", build: ["a/other"])
        h.engine.lockGone(fp("a/app"), packageExists: false)
        h.listAll()
        XCTAssertEqual(h.engine.nodes.count, nodes, "the relisting added no node")
        check("a/app relisted with another dependency")
        _ = h.engine.dependentLists
        h.tree.aliases[fp("a/old")] = fp("a/other")
        h.engine.listed(h.tree.answer([fp("a/old")]), requested: [fp("a/old")])
        XCTAssertEqual(h.engine.nodes.count, nodes, "the alias added no node")
        check("a/old an alias of a/other")
    }

    func testTheWholeTreeCountsEveryListedPath() {
        let e = BuildEngine(wantsEverything: true)
        let g = SimulationTests.randomDAG(seed: 4, count: 60)
        e.listAll(g.records)
        assertCountsMatchSummary(e, "listed")
        XCTAssertEqual(e.counts.counts.total, 60)
        XCTAssertEqual(e.queuedCount, e.summary().counts.queued)
    }

    /// One measurement at a time gives every node the weight that replacing
    /// the whole table gives: history, pkgpath fallback for flavors, the
    /// medians of category and of all, a measurement replacing another.
    func testSetWeightAgreesWithReplacingTheTable() {
        let ports = [port("a/x"), port("a/y"), port("a/z"), port("a/new"), port("b/k"),
                     port("b/l,f"), port("b/l,g"), port("c/only")]
        let one = Harness(ports), all = Harness(ports)
        for h in [one, all] { h.request(ports.map(\.path.canonical)) }
        var table: [String: Double] = ["a/x": 1, "a/y": 5, "b/k": 100]
        one.engine.weights = table
        all.engine.weights = table
        for (name, w) in [("a/z", 9.0), ("b/l", 40), ("a/y", 7), ("b/l,g", 3), ("c/other", 2), ("a/x", 1)] {
            one.engine.setWeight(w, for: name)
            table[name] = w
            all.engine.weights = table
            for p in ports {
                XCTAssertEqual(one.engine.weight(of: p.path), all.engine.weight(of: p.path),
                               "\(p.path) after \(name)=\(w)")
                XCTAssertEqual(one.engine.hasHistory(p.path), all.engine.hasHistory(p.path))
            }
        }
        XCTAssertEqual(one.engine.weight(of: fp("b/l,f")), 40, "falls back to the bare pkgpath")
        XCTAssertEqual(one.engine.weight(of: fp("a/new")), 7, "median of a/x a/y a/z = 1 7 9")
        XCTAssertEqual(one.engine.weights, table)
    }

    /// Jobs starting and ending after one full pass: the kept work is exact,
    /// and on build dependencies alone so is the critical path; with run
    /// dependencies it never falls below the exact one.
    func testTrackedRemainingFollowsJobs() {
        for (seed, runDeps) in [(UInt64(3), false), (5, true), (8, true)] {
            var g = SimulationTests.randomDAG(seed: seed, count: 80)
            if !runDeps {
                g.records = g.records.map { r in
                    var r = r; r.buildDepends += r.runDepends; r.runDepends = []; return r
                }
            }
            let e = SimulationTests.engine(g)
            e.refreshRemaining(elapsed: [:])
            XCTAssertFalse(e.remainingStale)
            var running: [FullPkgPath] = []
            var step = 0
            while true {
                while running.count < 4, let r = e.nextJob() {
                    e.started(r.path, host: "h")
                    running.append(r.path)
                }
                let elapsed = Dictionary(uniqueKeysWithValues: running.enumerated().map { ($1, Double($0)) })
                let exact = e.remaining(elapsed: elapsed)
                let kept = e.trackedRemaining(elapsed: elapsed)
                XCTAssertEqual(kept.work, exact.work, accuracy: 1e-6, "seed \(seed) step \(step)")
                if runDeps {
                    XCTAssertGreaterThanOrEqual(kept.criticalPath, exact.criticalPath - 1e-6, "seed \(seed) step \(step)")
                } else {
                    XCTAssertEqual(kept.criticalPath, exact.criticalPath, accuracy: 1e-6, "seed \(seed) step \(step)")
                }
                guard !running.isEmpty else { break }
                let done = running.removeFirst()
                e.finished(done, step % 7 == 3 ? .notFinished : .built(alsoBuilt: []))
                step += 1
            }
            XCTAssertEqual(e.trackedRemaining(elapsed: [:]).work, 0, accuracy: 1e-6)
            XCTAssertEqual(e.trackedRemaining(elapsed: [:]).criticalPath, 0)
        }
    }

    /// A measurement or a new listing makes the kept figures stale until
    /// the next full pass, which agrees with `remaining` again.
    func testWeightsAndListingsMakeTheKeptFiguresStale() {
        let g = SimulationTests.randomDAG(seed: 11, count: 30)
        let e = SimulationTests.engine(g)
        e.refreshRemaining(elapsed: [:])
        e.setWeight(500, for: "g/p29")
        XCTAssertTrue(e.remainingStale)
        e.refreshRemaining(elapsed: [:])
        XCTAssertFalse(e.remainingStale)
        XCTAssertEqual(e.trackedRemaining(elapsed: [:]).work, e.remaining(elapsed: [:]).work, accuracy: 1e-6)
        XCTAssertEqual(e.trackedRemaining(elapsed: [:]).criticalPath, e.remaining(elapsed: [:]).criticalPath)
        e.request([fp("g/extra")])
        var more = ListingResult()
        more.records = [port("g/extra", build: ["g/p0"])]
        e.listed(more, requested: e.takePathsToList(limit: 10))
        XCTAssertTrue(e.remainingStale, "a new path has no kept weight")
    }

    /// A measurement calls for a priority pass only when it moves an
    /// estimate by more than 5%; the ETA's figures go stale either way.
    func testOnlyAMovedEstimateCallsForAPriorityPass() {
        let h = Harness([port("a/x"), port("a/y"), port("a/z"), port("a/w"), port("b/k")])
        h.request(["a/x", "a/y", "a/z", "a/w", "b/k"])
        h.engine.weights = ["a/x": 10, "a/y": 10, "a/z": 10]
        h.engine.recomputePriorities()
        h.engine.refreshRemaining(elapsed: [:])
        h.engine.setWeight(10.2, for: "a/w")
        XCTAssertFalse(h.engine.needsPriorityPass, "the medians stay at 10 and 10.2: within 5%")
        XCTAssertTrue(h.engine.remainingStale)
        h.engine.setWeight(30, for: "a/x")
        h.engine.setWeight(30, for: "a/y")
        XCTAssertTrue(h.engine.needsPriorityPass, "the category's median went from 10.2 to 30")
        XCTAssertEqual(h.engine.weight(of: fp("b/k")), 30, "b has no history: median of all")
    }
}
