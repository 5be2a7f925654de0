import XCTest
@testable import Engine

final class ListingTests: XCTestCase {
    private func interpret(_ lines: [String], requested: [String] = []) -> ListingResult {
        let out = DumpVarsOutput.parse(Substring(lines.joined(separator: "\n") + "\n"))
        return ListingResult.interpret(out, requested: requested.map(fp))
    }

    private func record(_ r: ListingResult, _ path: String, file: StaticString = #filePath,
                        line: UInt = #line) -> PortRecord? {
        let found = r.records.first { $0.path == fp(path) }
        if found == nil { XCTFail("no record for \(path)", file: file, line: line) }
        return found
    }

    private func names(_ deps: [Dependency]?) -> [String] { (deps ?? []).map(\.path.canonical) }

    private func equivalences(_ r: ListingResult) -> [String] {
        r.equivalences.map { "\($0.0.canonical) -> \($0.1.canonical)" }
    }

    /// A two-subpackage port whose -main needs its own -lib.
    private let multi = [
        "===> x/y",
        "x/y,-main.FULLPKGNAME=y-1.0",
        "x/y,-main.MULTI_PACKAGES=-main -lib",
        "x/y,-main.BUILD_DEPENDS=devel/gmake",
        "x/y,-main.LIB_DEPENDS=x/y,-lib devel/libA",
        "x/y,-main.RUN_DEPENDS=misc/runA devel/libA",
        "x/y,-lib.FULLPKGNAME=y-lib-1.0",
        "x/y,-lib.MULTI_PACKAGES=-main -lib",
        "x/y,-lib.LIB_DEPENDS=devel/libB",
    ]

    func testBuildDependsAreSharedBySubpackagesMinusTheUnitItself() {
        let r = interpret(multi)
        XCTAssertEqual(r.records.map(\.path.canonical), ["x/y,-main", "x/y,-lib"])
        for path in ["x/y,-main", "x/y,-lib"] {
            XCTAssertEqual(names(record(r, path)?.buildDepends), ["devel/gmake", "devel/libA", "devel/libB"], path)
        }
        XCTAssertTrue(r.broken.isEmpty)
        XCTAssertTrue(r.records.allSatisfy { $0.broken == nil })
    }

    func testRunDependsAreLibPlusRunOfThatSubpackage() {
        let r = interpret(multi)
        XCTAssertEqual(names(record(r, "x/y,-main")?.runDepends), ["x/y,-lib", "devel/libA", "misc/runA"])
        XCTAssertEqual(names(record(r, "x/y,-lib")?.runDepends), ["devel/libB"])
    }

    func testFlavorsOfOneDirectoryAreSeparateUnits() {
        let r = interpret([
            "===> x/y",
            "x/y,a.FULLPKGNAME=y-a-1",
            "x/y,a.BUILD_DEPENDS=dep/a",
            "x/y,b.FULLPKGNAME=y-b-1",
            "x/y,b.BUILD_DEPENDS=dep/b x/y,a",
        ])
        XCTAssertEqual(names(record(r, "x/y,a")?.buildDepends), ["dep/a"])
        XCTAssertEqual(names(record(r, "x/y,b")?.buildDepends), ["dep/b", "x/y,a"])
    }

    func testSelfRunDependencyIsDropped() {
        let r = interpret(["===> x/y", "x/y.FULLPKGNAME=y-1", "x/y.RUN_DEPENDS=x/y other/z"])
        XCTAssertEqual(names(record(r, "x/y")?.runDepends), ["other/z"])
    }

    func testStageDependencyKeepsItsStage() {
        let r = interpret(["===> x/y", "x/y.FULLPKGNAME=y-1", "x/y.BUILD_DEPENDS=src-*:x/src:patch"])
        XCTAssertEqual(record(r, "x/y")?.buildDepends, [Dependency(path: fp("x/src"), stage: "patch")])
    }

    func testIgnoreAndProperties() {
        let r = interpret([
            "===> x/ign", "x/ign.FULLPKGNAME=ign-1", "x/ign.IGNORE=\"is only for i386\"",
            "===> x/ok", "x/ok.FULLPKGNAME=ok-1", "x/ok.IGNORE=",
            "x/ok.DPB_PROPERTIES=parallel tag:big nojunk",
            "x/ok.DISTFILES=a.tgz b.tgz", "x/ok.DIST_SUBDIR=ok",
        ])
        XCTAssertEqual(record(r, "x/ign")?.ignore, "is only for i386")
        XCTAssertNil(record(r, "x/ign")?.broken)
        let ok = record(r, "x/ok")
        XCTAssertNil(ok?.ignore)
        XCTAssertEqual(ok?.properties, ["parallel", "tag:big", "nojunk"])
        XCTAssertEqual(ok?.tags, ["big"])
        XCTAssertEqual(ok?.has(property: "nojunk"), true)
        XCTAssertEqual(ok?.has(property: "lonesome"), false)
        XCTAssertEqual(ok?.distfiles, ["ok/a.tgz", "ok/b.tgz"])
        XCTAssertEqual(ok?.packageExists, false)
    }

    func testMissingOrEmptyFullPkgNameIsBroken() {
        let r = interpret(["===> x/a", "x/a.COMMENT=no name", "===> x/b", "x/b.FULLPKGNAME="])
        XCTAssertEqual(record(r, "x/a")?.broken, "no FULLPKGNAME")
        XCTAssertEqual(record(r, "x/b")?.broken, "no FULLPKGNAME")
    }

    func testBadBuildDependencyBreaksTheWholeUnit() {
        var lines = multi
        lines[3] = "x/y,-main.BUILD_DEPENDS=devel/gmake>=4"
        let r = interpret(lines)
        for path in ["x/y,-main", "x/y,-lib"] {
            let broken = record(r, path)?.broken ?? ""
            XCTAssertTrue(broken.contains("bad dependency 'devel/gmake>=4'"), "\(path): \(broken)")
        }
    }

    func testBadRunDependencyBreaksOnlyThatSubpackage() {
        var lines = multi
        lines[5] = "x/y,-main.RUN_DEPENDS=misc/runA:install"
        let r = interpret(lines)
        XCTAssertTrue((record(r, "x/y,-main")?.broken ?? "").contains("misc/runA:install"))
        XCTAssertNil(record(r, "x/y,-lib")?.broken)
    }

    func testMalformedVariableLineBreaksThePort() {
        let r = interpret(["===> x/y", "x/y.FULLPKGNAME=y-1", "x/y.bad=1"])
        XCTAssertEqual(record(r, "x/y")?.broken, "malformed line 'x/y.bad=1'")
    }

    func testDuplicateDependenciesAreListedOnce() {
        let r = interpret(["===> x/y", "x/y.FULLPKGNAME=y-1", "x/y.BUILD_DEPENDS=a/b c-*:a/b",
                           "x/y.LIB_DEPENDS=a/b"])
        XCTAssertEqual(names(record(r, "x/y")?.buildDepends), ["a/b"])
        XCTAssertEqual(names(record(r, "x/y")?.runDepends), ["a/b"])
    }

    func testExitingWithAnErrorAndNonExistent() {
        let r = interpret([
            "===> x/bad", "x/bad.FULLPKGNAME=bad-1", "===> Exiting x/bad with an error",
            ">> Broken dependency: x/gone non existent",
            ">> Broken dependency: not a path non existent",
        ])
        XCTAssertTrue(r.records.isEmpty)
        XCTAssertEqual(r.broken.map(\.path.canonical), ["x/bad"])
        XCTAssertEqual(r.broken.first?.reason, "exiting with an error")
        XCTAssertEqual(r.broken.first?.raw.last, "===> Exiting x/bad with an error")
        XCTAssertEqual(r.nonexistent, [fp("x/gone")])
        XCTAssertTrue(r.varsLogLines.contains(">> Broken dependency: x/gone non existent"))
        XCTAssertEqual(r.varsLogLines.first, "===> x/bad")
    }

    // MARK: equivalences

    func testBarePathIsTheFirstOfMultiPackagesEvenWhenPrintedLater() {
        let r = interpret([
            "===> lang/ghc",
            "lang/ghc,-doc.FULLPKGNAME=ghc-doc-9",
            "lang/ghc,-doc.MULTI_PACKAGES=-main -doc",
            "lang/ghc,-main.FULLPKGNAME=ghc-9",
            "lang/ghc,-main.MULTI_PACKAGES=-main -doc",
        ], requested: ["lang/ghc"])
        XCTAssertEqual(equivalences(r), ["lang/ghc -> lang/ghc,-main"])
    }

    func testWithoutMultiPackagesTheFirstPrintedSubpackageIsTheDefault() {
        let r = interpret(["===> x/y", "x/y,-doc.FULLPKGNAME=d-1", "x/y,-main.FULLPKGNAME=m-1"])
        XCTAssertEqual(equivalences(r), ["x/y -> x/y,-doc"])
    }

    func testRequestedBarePathMapsToThePrintedDefaultFlavor() {
        let r = interpret(["===> x/y", "x/y,a.FULLPKGNAME=y-a-1", "x/y,b.FULLPKGNAME=y-b-1"],
                          requested: ["x/y"])
        XCTAssertEqual(equivalences(r), ["x/y -> x/y,a"])
    }

    func testRequestedFlavorIsMatchedWhateverItsOrder() {
        let r = interpret(["===> x/y", "x/y,a,b.FULLPKGNAME=y-1"], requested: ["x/y,b,a"])
        XCTAssertEqual(r.records.map(\.path), [fp("x/y,b,a")])
        XCTAssertTrue(r.equivalences.isEmpty, "\(equivalences(r))")
    }

    func testRequestedFlavorWithSubpackagesMapsToDefaultSubpackage() {
        let r = interpret([
            "===> x/y,a",
            "x/y,a,-main.FULLPKGNAME=y-1", "x/y,a,-main.MULTI_PACKAGES=-main -doc",
            "x/y,a,-doc.FULLPKGNAME=y-doc-1",
        ], requested: ["x/y,a"])
        XCTAssertEqual(equivalences(r), ["x/y,a -> x/y,a,-main"])
    }

    func testRequestedSubpackageOfDefaultFlavor() {
        let r = interpret([
            "===> x/y", "x/y,f,-main.FULLPKGNAME=y-1", "x/y,f,-doc.FULLPKGNAME=y-doc-1",
        ], requested: ["x/y,-doc"])
        XCTAssertTrue(equivalences(r).contains("x/y,-doc -> x/y,f,-doc"), "\(equivalences(r))")
        XCTAssertTrue(equivalences(r).contains("x/y,f -> x/y,f,-main"), "\(equivalences(r))")
    }

    func testRequestedFlavorThatWasNotPrintedGetsNoEquivalence() {
        let r = interpret(["===> x/y", "x/y,a.FULLPKGNAME=y-1"], requested: ["x/y,c", "x/gone"])
        XCTAssertTrue(r.equivalences.isEmpty, "\(equivalences(r))")
    }

    func testExplicitNoFlavorMatchesTheUnflavoredPath() {
        let r = interpret(["===> x/y", "x/y.FULLPKGNAME=y-1"], requested: ["x/y,"])
        XCTAssertEqual(equivalences(r), ["x/y, -> x/y"])
    }

    func testNonExistentRequestGetsNoEquivalence() {
        let r = interpret(["===> x/y", "x/y,a.FULLPKGNAME=y-1", ">> Broken dependency: x/y,b non existent"],
                          requested: ["x/y,b"])
        XCTAssertTrue(r.equivalences.isEmpty)
        XCTAssertEqual(r.nonexistent, [fp("x/y,b")])
    }
}
