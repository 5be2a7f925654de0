import XCTest
@testable import Engine

/// Every transition of the engine and the engine.log line it writes.
final class BuildEngineTests: XCTestCase {
    func testListingBuildingAndInstallingWriteTQJBI() {
        let h = Harness([port("a/app", build: ["a/lib"]), port("a/lib")])
        h.engine.request([fp("a/app")])
        XCTAssertFalse(h.engine.isIdle, "a wanted path not listed yet is work to do")
        h.listAll()
        XCTAssertEqual(h.rounds, [["a/app"], ["a/lib"]])
        XCTAssertEqual(h.log(), ["T a/app", "T a/lib", "Q a/lib"])
        XCTAssertEqual(h.state("a/app"), .toBuild)
        XCTAssertEqual(h.state("a/lib"), .queued)

        let job = h.engine.nextJob()
        XCTAssertEqual(job?.path, fp("a/lib"))
        h.engine.started(fp("a/lib"), host: "builder1")
        XCTAssertEqual(h.log(), ["J a/lib builder1"])
        XCTAssertEqual(h.state("a/lib"), .running)
        XCTAssertNil(h.engine.nextJob(), "a/app must wait for a/lib")
        XCTAssertFalse(h.engine.isIdle)

        h.engine.finished(fp("a/lib"), .built(alsoBuilt: []))
        XCTAssertEqual(h.log(), ["B a/lib", "I a/lib # lib-1.0", "Q a/app"])
        h.run("a/app", host: "builder2")
        XCTAssertEqual(h.log(), ["J a/app builder2", "B a/app", "I a/app # app-1.0"])
        XCTAssertTrue(h.engine.isIdle)
        XCTAssertEqual(h.engine.summary().counts.installable, 2)
        XCTAssertEqual(h.engine.summary().counts.total, 2)
    }

    func testTakeChangesEmptiesTheLog() {
        let h = Harness([port("a/b")])
        h.request(["a/b"])
        XCTAssertEqual(h.log().count, 2)
        XCTAssertEqual(h.log(), [])
    }

    func testBuildableOnlyWhenEveryBuildDependencyIsInstallable() {
        let h = Harness([port("x/app", build: ["x/lib1", "x/lib2"]), port("x/lib1"),
                         port("x/lib2", run: ["x/rt"]), port("x/rt")])
        h.request(["x/app"])
        _ = h.log()
        h.run("x/lib1")
        XCTAssertEqual(h.log(), ["J x/lib1 h1", "B x/lib1", "I x/lib1 # lib1-1.0"])
        h.run("x/lib2")
        XCTAssertEqual(h.log(), ["J x/lib2 h1", "B x/lib2"], "built, but its run dependency is not installable")
        XCTAssertEqual(h.state("x/app"), .toBuild)
        XCTAssertEqual(h.next(), "x/rt")
        h.engine.started(fp("x/rt"), host: "h1")
        h.engine.finished(fp("x/rt"), .built(alsoBuilt: []))
        XCTAssertEqual(h.log(), ["J x/rt h1", "B x/rt", "I x/rt # rt-1.0", "I x/lib2 # lib2-1.0", "Q x/app"])
    }

    func testInstallableFollowsRunDependencyChains() {
        let h = Harness([port("r/x", run: ["r/y"]), port("r/y", run: ["r/z"]), port("r/z")])
        h.request(["r/x"])
        XCTAssertEqual(h.log(), ["T r/x", "Q r/x", "T r/y", "Q r/y", "T r/z", "Q r/z"],
                       "run dependencies do not hold back the build")
        h.run("r/x")
        h.run("r/y")
        XCTAssertEqual(h.log(), ["J r/x h1", "B r/x", "J r/y h1", "B r/y"])
        h.run("r/z")
        XCTAssertEqual(h.log(), ["J r/z h1", "B r/z", "I r/z # z-1.0", "I r/y # y-1.0", "I r/x # x-1.0"])
    }

    func testPrebuiltPackageIsBuiltThenInstallableWithoutAJob() {
        let h = Harness([port("p/user", build: ["p/pre"]), port("p/pre", exists: true)])
        h.request(["p/user"])
        XCTAssertEqual(h.log(), ["T p/user", "B p/pre", "I p/pre # pre-1.0", "Q p/user"])
        XCTAssertEqual(h.buildEverything(), ["p/user"])
    }

    func testPrebuiltPackageWaitsForItsRunDependencies() {
        let h = Harness([port("p/pre", run: ["p/rt"], exists: true), port("p/rt")])
        h.request(["p/pre"])
        XCTAssertEqual(h.log(), ["B p/pre", "T p/rt", "Q p/rt"])
        XCTAssertEqual(h.state("p/pre"), .built)
        XCTAssertEqual(h.buildEverything(), ["p/rt"])
        XCTAssertEqual(h.log(), ["J p/rt h1", "B p/rt", "I p/rt # rt-1.0", "I p/pre # pre-1.0"])
    }

    func testFoundBuiltBeforeStartIsBWithoutJ() {
        let h = Harness([port("f/a"), port("f/b", build: ["f/a"])])
        h.request(["f/b"])
        _ = h.log()
        let job = h.engine.nextJob()
        XCTAssertEqual(job?.path, fp("f/a"))
        h.engine.foundBuilt(fp("f/a"), alsoBuilt: [])
        XCTAssertEqual(h.log(), ["B f/a", "I f/a # a-1.0", "Q f/b"])
        // Another process built it: not this run's (the summary's "already built").
        XCTAssertEqual(h.engine.counts.builtByThisRun, 0)
        h.run("f/b")
        XCTAssertEqual(h.engine.counts.builtByThisRun, 1)
        XCTAssertEqual(h.engine.summary().builtByThisRun, 1)
    }

    // MARK: ignored and broken

    func testIgnoredPortPropagatesToEveryDependent() {
        let h = Harness([port("c/ign", ignore: "not here"), port("c/mid", build: ["c/ign"]),
                         port("c/top", run: ["c/mid"]), port("c/other", build: ["c/top"])])
        h.request(["c/other"])
        // c/top has only a run dependency: it was buildable until c/ign was listed.
        XCTAssertEqual(h.log(), ["T c/other", "T c/top", "Q c/top", "T c/mid", "! c/ign not here",
                                 "! c/mid because of c/ign", "! c/top because of c/mid",
                                 "! c/other because of c/top"])
        XCTAssertNil(h.engine.nextJob())
        XCTAssertTrue(h.engine.isIdle)
        let s = h.engine.summary()
        XCTAssertEqual(s.counts.ignored, 4)
        XCTAssertEqual(s.ignoredOnly, 4)
        XCTAssertTrue(s.brokenPaths.isEmpty)
    }

    func testIgnoredPortListedFirstMakesDependentsIgnoredWhenListed() {
        let h = Harness([port("c/ign", ignore: "not here"), port("c/mid", build: ["c/ign"]),
                         port("c/top", run: ["c/mid"])])
        h.request(["c/ign", "c/mid", "c/top"])
        XCTAssertEqual(h.rounds.count, 1)
        XCTAssertEqual(h.log(), ["! c/ign not here", "! c/mid because of c/ign", "! c/top because of c/mid"])
    }

    func testIgnoredDependencyDoesNotTouchFinishedPaths() {
        // A path already built keeps its state when a run dependency
        // listed later turns out ignored.
        let h = Harness([port("k/built", run: ["k/late"]), port("k/late", ignore: "nope")])
        h.engine.request([fp("k/built")])
        let first = h.engine.takePathsToList(limit: 1)
        XCTAssertEqual(first, [fp("k/built")])
        h.engine.listed(h.tree.answer(first), requested: first)
        h.run("k/built")
        h.listAll()
        XCTAssertEqual(h.log(), ["T k/built", "Q k/built", "J k/built h1", "B k/built", "! k/late nope"])
        XCTAssertEqual(h.state("k/built"), .built)
    }

    func testIgnoreTextIsCutAt58Characters() {
        let exact = String(repeating: "x", count: 58)
        let long = String(repeating: "y", count: 58) + "TAIL"
        let h = Harness([port("i/exact", ignore: exact), port("i/long", ignore: long)])
        h.request(["i/exact", "i/long"])
        XCTAssertEqual(h.log(), ["! i/exact " + exact, "! i/long " + String(repeating: "y", count: 58) + "..."])
    }

    func testBrokenRecordIsIgnoredWithItsReasonAndCountsAsBroken() {
        let h = Harness([port("b/bad", broken: "no FULLPKGNAME"), port("b/user", build: ["b/bad"])])
        h.request(["b/user"])
        XCTAssertEqual(h.log(), ["T b/user", "! b/bad no FULLPKGNAME", "! b/user because of b/bad"])
        let s = h.engine.summary()
        XCTAssertEqual(Set(s.brokenPaths.map { "\($0.0): \($0.1)" }),
                       ["b/bad: no FULLPKGNAME", "b/user: because of b/bad"])
        XCTAssertEqual(s.ignoredOnly, 0)
    }

    func testExitingWithAnErrorAndNonExistentFromTheListing() {
        let engine = BuildEngine()
        engine.request([fp("x/bad"), fp("x/none")])
        let asked = engine.takePathsToList(limit: 10)
        var result = ListingResult()
        result.broken = [(fp("x/bad"), "exiting with an error", ["===> Exiting x/bad with an error"])]
        result.nonexistent = [fp("x/none")]
        engine.listed(result, requested: asked)
        XCTAssertEqual(engine.takeChanges().map(render),
                       ["! x/bad exiting with an error", "! x/none non existent"])
        XCTAssertEqual(engine.takePathsToList(limit: 10), [])
        XCTAssertTrue(engine.isIdle)
    }

    func testPathNotAnsweredTwiceIsBroken() {
        let h = Harness([port("m/app", build: ["m/gone"])])
        h.request(["m/app"])
        XCTAssertEqual(h.rounds, [["m/app"], ["m/gone"], ["m/gone"]])
        XCTAssertEqual(h.log(), ["T m/app", "! m/gone tried and didn't get it", "! m/app because of m/gone"])
        XCTAssertTrue(h.engine.isIdle)
        XCTAssertEqual(Set(h.engine.summary().brokenPaths.map(\.0)), ["m/app", "m/gone"])
    }

    func testFirstUnansweredListingIsRetriedAlone() {
        let engine = BuildEngine()
        engine.request([fp("r/a"), fp("r/b")])
        let asked = engine.takePathsToList(limit: 10)
        XCTAssertEqual(asked, [fp("r/a"), fp("r/b")])
        var only = ListingResult()
        only.records = [port("r/a")]
        engine.listed(only, requested: asked)
        XCTAssertEqual(engine.takePathsToList(limit: 10), [fp("r/b")])
        XCTAssertEqual(engine.takeChanges().map(render), ["T r/a", "Q r/a"])
    }

    // MARK: failures, locks, hot-fixes

    func testFailedPortsDependentsNeverBecomeQueued() {
        let h = Harness([port("e/lib"), port("e/app", build: ["e/lib"]), port("e/top", build: ["e/app"])])
        h.request(["e/top"])
        _ = h.log()
        h.run("e/lib", .failed)
        XCTAssertEqual(h.log(), ["J e/lib h1", "E e/lib"])
        XCTAssertNil(h.engine.nextJob())
        XCTAssertTrue(h.engine.isIdle)
        XCTAssertEqual(h.state("e/app"), .toBuild)
        let s = h.engine.summary()
        XCTAssertEqual(s.failedPaths, ["e/lib"])
        XCTAssertEqual(Set(s.blockedPaths), ["e/app", "e/top"])
        XCTAssertEqual(s.counts.errors, 1)
        XCTAssertEqual(s.counts.toBuild, 2)
    }

    func testNotFinishedIsRequeuedWithN() {
        let h = Harness([port("n/a")])
        h.request(["n/a"])
        _ = h.log()
        h.run("n/a", .notFinished, host: "down")
        XCTAssertEqual(h.log(), ["J n/a down", "N n/a"])
        XCTAssertEqual(h.state("n/a"), .queued)
        XCTAssertEqual(h.next(), "n/a")
    }

    func testLockHeldThenGoneRequeues() {
        let h = Harness([port("l/k")])
        h.request(["l/k"])
        _ = h.log()
        XCTAssertEqual(h.engine.nextJob()?.path, fp("l/k"))
        h.engine.lockHeld(fp("l/k"))
        XCTAssertEqual(h.log(), ["L l/k"])
        XCTAssertEqual(h.state("l/k"), .locked)
        XCTAssertNil(h.engine.nextJob())
        XCTAssertTrue(h.engine.isIdle)
        XCTAssertEqual(h.engine.summary().lockedPaths, ["l/k"])
        XCTAssertEqual(h.engine.summary().counts.locked, 1)
        h.engine.lockGone(fp("l/k"), packageExists: false)
        XCTAssertEqual(h.log(), ["Q l/k"])
        XCTAssertEqual(h.next(), "l/k")
    }

    func testLockGoneWithPackageMakesItBuilt() {
        let h = Harness([port("l/k"), port("l/user", build: ["l/k"])])
        h.request(["l/user"])
        _ = h.log()
        _ = h.engine.nextJob()
        h.engine.lockHeld(fp("l/k"))
        h.engine.lockGone(fp("l/k"), packageExists: true)
        XCTAssertEqual(h.log(), ["L l/k", "B l/k", "I l/k # k-1.0", "Q l/user"])
        XCTAssertEqual(h.buildEverything(), ["l/user"])
    }

    func testLockGoneOnAPathNeitherLockedNorFailedChangesNothing() {
        let h = Harness([port("l/ok")])
        h.request(["l/ok"])
        h.run("l/ok")
        _ = h.log()
        h.engine.lockGone(fp("l/ok"), packageExists: false)
        XCTAssertEqual(h.log(), [])
        XCTAssertEqual(h.state("l/ok"), .installable)
    }

    func testHotFixRelistsAFailedPortAndBuildsItAgain() {
        let h = Harness([port("h/fix"), port("h/dep", build: ["h/fix"])])
        h.request(["h/dep"])
        h.run("h/fix", .failed)
        _ = h.log()
        h.engine.lockGone(fp("h/fix"), packageExists: false)
        XCTAssertEqual(h.log(), ["T h/fix hot-fix"])
        XCTAssertFalse(h.engine.isIdle)
        // The fixed Makefile now needs something new.
        h.tree.records[fp("h/fix")] = port("h/fix", build: ["h/new"])
        h.tree.records[fp("h/new")] = port("h/new")
        let asked = h.engine.takePathsToList(limit: 10)
        XCTAssertEqual(asked, [fp("h/fix")])
        h.engine.listed(h.tree.answer(asked), requested: asked)
        h.listAll()
        XCTAssertEqual(h.log(), ["T h/fix", "T h/new", "Q h/new"])
        XCTAssertEqual(h.buildEverything(), ["h/new", "h/fix", "h/dep"])
        XCTAssertTrue(h.engine.isIdle)
        XCTAssertEqual(h.engine.summary().counts.installable, 3)
        XCTAssertEqual(h.engine.summary().counts.errors, 0)
    }

    func testTheGoneLockOfAnEarlierRunsFailureRelistsLikeAHotFix() {
        let h = Harness([port("h/fix"), port("h/dep", build: ["h/fix"])])
        h.request(["h/dep"])
        _ = h.engine.nextJob()
        h.engine.lockHeld(fp("h/fix"))
        _ = h.log()
        h.engine.lockGone(fp("h/fix"), packageExists: false, failed: true)
        XCTAssertEqual(h.log(), ["T h/fix hot-fix"], "the same line as the hot-fix of this run's failure")
        XCTAssertEqual(h.engine.takePathsToList(limit: 10), [fp("h/fix")])
    }

    // MARK: one job per directory

    func testFlavorSiblingsAreSetAsideAndComeBackWhenTheJobEnds() {
        for result in [BuildEngine.JobResult.built(alsoBuilt: []), .failed, .notFinished] {
            let h = Harness([port("f/x,a", pkgname: "x-a-1"), port("f/x,b", pkgname: "x-b-1"), port("o/ther")])
            h.request(["f/x,a", "f/x,b", "o/ther"])
            _ = h.log()
            h.start("f/x,b")
            XCTAssertEqual(h.engine.nextJob()?.path, fp("o/ther"), "another directory is fine")
            h.engine.started(fp("o/ther"), host: "h2")
            XCTAssertNil(h.engine.nextJob(), "f/x,a must wait for f/x,b")
            XCTAssertEqual(h.log(), ["J f/x,b h1", "J o/ther h2", "^ f/x,a"])
            XCTAssertEqual(h.state("f/x,a"), .setAside)
            XCTAssertEqual(h.engine.summary().counts.queued, 1, "set aside counts as queued")
            h.engine.finished(fp("f/x,b"), result)
            XCTAssertEqual(h.log().last, "V f/x,a", "\(result)")
            XCTAssertEqual(h.state("f/x,a"), .queued)
            XCTAssertEqual(h.engine.nextJob(accepting: { $0.path == fp("f/x,a") })?.path, fp("f/x,a"), "\(result)")
        }
    }

    func testSubpackagesBuiltByOneJobAreMarkedBuilt() {
        let h = Harness([port("m/p,-main", pkgname: "p-1"), port("m/p,-doc", pkgname: "p-doc-1")])
        h.request(["m/p,-main"])
        XCTAssertEqual(h.log(), ["T m/p,-doc", "Q m/p,-doc", "T m/p,-main", "Q m/p,-main"])
        XCTAssertEqual(h.engine.unitMembers(of: fp("m/p,-main")).map(\.pkgname).sorted(), ["p-1", "p-doc-1"])
        h.start("m/p,-main")
        XCTAssertNil(h.engine.nextJob())
        h.engine.finished(fp("m/p,-main"), .built(alsoBuilt: [fp("m/p,-doc")]))
        XCTAssertEqual(h.log(), ["J m/p,-main h1", "^ m/p,-doc", "B m/p,-main", "B m/p,-doc",
                                 "I m/p,-doc # p-doc-1", "I m/p,-main # p-1"])
        XCTAssertNil(h.engine.nextJob())
        XCTAssertTrue(h.engine.isIdle)
        XCTAssertEqual(h.engine.summary().counts.installable, 2, "the sibling is wanted with its build")
    }

    // MARK: names

    func testAliasListedUnderItsSubpackageForm() {
        let h = Harness([port("x/y,-main", pkgname: "y-1"), port("x/y,-doc", pkgname: "y-doc-1"),
                         port("app/a", build: ["x/y"])],
                        aliases: ["x/y": "x/y,-main"])
        h.request(["app/a"])
        XCTAssertEqual(h.rounds, [["app/a"], ["x/y"]])
        XCTAssertEqual(h.log(), ["T app/a", "T x/y,-doc", "Q x/y,-doc", "T x/y,-main", "Q x/y,-main"])
        XCTAssertEqual(h.engine.canonical(fp("x/y")), fp("x/y,-main"))
        XCTAssertEqual(h.state("x/y"), .queued)
        XCTAssertEqual(h.engine.record(for: fp("x/y"))?.pkgname, "y-1")
        XCTAssertEqual(h.engine.neededPackages(for: fp("app/a")), ["y-1"])
        h.run("x/y,-main", .built(alsoBuilt: [fp("x/y,-doc")]))
        XCTAssertEqual(h.log(), ["J x/y,-main h1", "B x/y,-main", "B x/y,-doc", "I x/y,-doc # y-doc-1",
                                 "I x/y,-main # y-1", "Q app/a"])
        XCTAssertEqual(h.buildEverything(), ["app/a"])
        XCTAssertEqual(h.engine.summary().counts.total, 3, "the alias is not a path of its own")
        XCTAssertTrue(h.engine.isIdle)
    }

    func testRequestedAliasIsBuiltUnderItsListedName() {
        let h = Harness([port("x/y,-main")], aliases: ["x/y": "x/y,-main"])
        h.request(["x/y"])
        XCTAssertEqual(h.log(), ["T x/y,-main", "Q x/y,-main"])
        XCTAssertEqual(h.buildEverything(), ["x/y,-main"])
        XCTAssertEqual(h.engine.summary().counts.installable, 1)
        XCTAssertEqual(h.engine.summary().counts.total, 1)
    }

    /// A dependency on the default flavor (`x/y`) of a path that was
    /// already listed and built (`x/y,a`) must not build it again.
    func testDefaultFlavorOfAnAlreadyBuiltPathIsNotRebuilt() throws {
        let h = Harness([port("x/y,a", pkgname: "y-a-1"), port("p/q", build: ["x/y"])],
                        aliases: ["x/y": "x/y,a"])
        h.request(["x/y,a"])
        h.run("x/y,a")
        _ = h.log()
        h.request(["p/q"])
        XCTAssertEqual(h.log(), ["T p/q", "Q p/q"])
        XCTAssertEqual(h.state("x/y,a"), .installable)
        XCTAssertEqual(h.buildEverything(), ["p/q"])
    }

    func testListingARunningPathAgainLeavesItRunning() throws {
        let h = Harness([port("a/b,x"), port("a/b,y")], aliases: ["a/b": "a/b,x"])
        h.request(["a/b,x"])
        h.start("a/b,x")
        _ = h.log()
        h.request(["a/b"])
        XCTAssertEqual(h.log(), [])
        XCTAssertEqual(h.state("a/b,x"), .running)
    }

    // MARK: wanted paths

    func testOnlyWantedPathsAreHandedOut() {
        let engine = BuildEngine()
        var result = ListingResult()
        result.records = [port("u/nwanted")]
        engine.listed(result, requested: [])
        XCTAssertEqual(engine.takeChanges().map(render), ["T u/nwanted", "Q u/nwanted"])
        XCTAssertNil(engine.nextJob())
        XCTAssertEqual(engine.summary().counts.total, 0)
        XCTAssertEqual(engine.queuedCount, 0)
        engine.request([fp("u/nwanted")])
        XCTAssertEqual(engine.takePathsToList(limit: 10), [], "already listed")
        XCTAssertEqual(engine.queuedCount, 1)
        XCTAssertEqual(engine.nextJob()?.path, fp("u/nwanted"))
    }

    func testWantsEverythingWantsEveryListedPath() {
        let engine = BuildEngine(wantsEverything: true)
        var result = ListingResult()
        result.records = [port("w/a"), port("w/b")]
        engine.listed(result, requested: [])
        XCTAssertEqual(engine.summary().counts.queued, 2)
        XCTAssertNotNil(engine.nextJob())
    }

    func testTakePathsToListHonoursTheLimit() {
        let engine = BuildEngine()
        engine.request(["a/1", "a/2", "a/3", "a/4", "a/5"].map(fp))
        XCTAssertEqual(engine.listingBacklog, 5)
        XCTAssertEqual(engine.takePathsToList(limit: 2), [fp("a/1"), fp("a/2")])
        XCTAssertEqual(engine.listingBacklog, 3)
        XCTAssertEqual(engine.takePathsToList(limit: 10), [fp("a/3"), fp("a/4"), fp("a/5")])
        XCTAssertEqual(engine.takePathsToList(limit: 10), [], "paths being listed are not handed out twice")
        engine.request([fp("a/1")])
        XCTAssertEqual(engine.takePathsToList(limit: 10), [])
    }

    func testNeededPackagesAreBuildDepsAndTheirRunDeps() {
        let h = Harness([port("n/app", build: ["n/tool", "n/lib"], run: ["n/rt"]),
                         port("n/tool", run: ["n/perl"]), port("n/perl", run: ["n/tool"]),
                         port("n/lib"), port("n/rt")])
        h.request(["n/app"])
        XCTAssertEqual(h.engine.neededPackages(for: fp("n/app")), ["lib-1.0", "perl-1.0", "tool-1.0"])
    }

    func testSummaryCountsEveryLetter() {
        let h = Harness([port("s/err"), port("s/blocked", build: ["s/err"]), port("s/waits", run: ["s/err"]),
                         port("s/done"), port("s/ign", ignore: "no"), port("s/lock"), port("s/queued"),
                         port("s/running")])
        h.request(["s/err", "s/blocked", "s/waits", "s/done", "s/ign", "s/lock", "s/queued", "s/running"])
        h.run("s/err", .failed)
        h.run("s/waits")
        h.run("s/done")
        XCTAssertNotNil(h.engine.nextJob(accepting: { $0.path == fp("s/lock") }))
        h.engine.lockHeld(fp("s/lock"))
        h.start("s/running")
        let s = h.engine.summary()
        var expected = RunSnapshot.Counts()
        expected.installable = 1; expected.built = 1; expected.queued = 1; expected.toBuild = 1
        expected.ignored = 1; expected.locked = 1; expected.errors = 1; expected.running = 1; expected.total = 8
        XCTAssertEqual(s.counts, expected)
        XCTAssertEqual(s.failedPaths, ["s/err"])
        XCTAssertEqual(s.lockedPaths, ["s/lock"])
        XCTAssertEqual(s.blockedPaths, ["s/blocked"])
        XCTAssertEqual(s.ignoredOnly, 1)
        XCTAssertEqual(s.unlisted, 0)
        XCTAssertFalse(h.engine.isIdle)
    }
}
