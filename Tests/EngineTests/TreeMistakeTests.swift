import XCTest
@testable import Engine

/// Mistakes of a ports tree that the engine must name rather than hide:
/// two directories making one package file, and ports that wait on each
/// other.
final class TreeMistakeTests: XCTestCase {
    func testASecondDirectoryWithTheSameFullpkgnameIsBrokenNamingTheFirst() {
        let h = Harness([port("cat/d", pkgname: "same-1"), port("cat/e", pkgname: "same-1"),
                         port("cat/user", build: ["cat/e"])])
        h.request(["cat/d"])
        h.request(["cat/e", "cat/user"])
        let log = h.log()
        XCTAssertTrue(log.contains("! cat/e same FULLPKGNAME same-1 as cat/d"), "\(log)")
        XCTAssertTrue(log.contains("! cat/user because of cat/e"), "\(log)")
        XCTAssertEqual(h.state("cat/d"), .queued, "the first one is still built")
        XCTAssertEqual(h.buildEverything(), ["cat/d"], "one package file, built once")
        let s = h.engine.summary()
        XCTAssertEqual(s.brokenPaths.first { $0.0 == "cat/e" }?.1, "same FULLPKGNAME same-1 as cat/d")
    }

    func testALongFullpkgnameReasonIsKeptWholeInEngineLog() {
        let name = "a-package-name-long-enough-to-be-cut-1.2.3p4v0"
        let h = Harness([port("devel/first-directory", pkgname: name), port("devel/second-directory", pkgname: name)])
        h.request(["devel/first-directory", "devel/second-directory"])
        XCTAssertTrue(h.log().contains("! devel/second-directory same FULLPKGNAME \(name) as devel/first-directory"))
    }

    func testPathsOfOneDirectoryMayShareAName() {
        // The default flavor asked for with and without its name.
        let h = Harness([port("x11/gtk", pkgname: "gtk-no_x11-1"), port("x11/gtk,no_x11", pkgname: "gtk-no_x11-1")])
        h.request(["x11/gtk", "x11/gtk,no_x11"])
        XCTAssertFalse(h.log().contains { $0.hasPrefix("!") })
    }

    func testAnIgnoredPortDoesNotKeepItsNameFromTheOneThatBuilds() {
        let h = Harness([port("cat/old", pkgname: "same-1", ignore: "moved"), port("cat/new", pkgname: "same-1")])
        h.request(["cat/old", "cat/new"])
        XCTAssertEqual(h.state("cat/new"), .queued)
    }

    func testABuildCycleIsBrokenNamingItsPortsAndWhatWaitsOnIt() {
        let h = Harness([port("c/a", build: ["c/b"]), port("c/b", build: ["c/c"]), port("c/c", build: ["c/a"]),
                         port("c/user", build: ["c/a"]), port("c/fine")])
        h.request(["c/user", "c/fine"])
        h.buildEverything()
        _ = h.log()
        XCTAssertEqual(h.engine.breakCycles(), [["c/a", "c/b", "c/c", "c/a"]])
        let log = h.log()
        for p in ["c/a", "c/b", "c/c"] {
            XCTAssertTrue(log.contains("! \(p) dependency cycle: c/a -> c/b -> c/c -> c/a"), "\(log)")
        }
        XCTAssertTrue(log.contains("! c/user because of c/a"), "\(log)")
        let s = h.engine.summary()
        XCTAssertEqual(s.blockedPaths, [])
        XCTAssertEqual(Set(s.brokenPaths.map { $0.0 }), ["c/a", "c/b", "c/c", "c/user"])
        XCTAssertEqual(h.engine.breakCycles(), [], "nothing changed: not looked for again")
    }

    func testARunDependencyCycleAmongBuiltPortsIsNamedToo() {
        let h = Harness([port("r/x", run: ["r/y"]), port("r/y", run: ["r/x"]), port("r/app", build: ["r/x"])])
        h.request(["r/app"])
        h.buildEverything()
        XCTAssertEqual(h.state("r/x"), .built)
        XCTAssertEqual(h.engine.breakCycles(), [["r/x", "r/y", "r/x"]])
        XCTAssertEqual(h.state("r/app"), .ignored)
    }

    func testNoCycleNoChange() {
        let h = Harness([port("n/a", build: ["n/b"]), port("n/b")])
        h.request(["n/a"])
        _ = h.log()
        XCTAssertEqual(h.engine.breakCycles(), [])
        XCTAssertEqual(h.log(), [])
    }

    func testALongCycleIsCutInItsReasonWithItsLength() {
        let names = (0..<20).map { "l/p\(String(format: "%02d", $0))" }
        let ports = names.indices.map { port(names[$0], build: [names[($0 + 1) % names.count]]) }
        let h = Harness(ports)
        h.request([names[0]])
        let cycles = h.engine.breakCycles()
        XCTAssertEqual(cycles.first?.count, 21)
        XCTAssertEqual(BuildEngine.cycleReason(cycles[0]),
                       "dependency cycle: " + names.prefix(8).joined(separator: " -> ") + " -> ... -> l/p00 (20 ports)")
    }
}
