import XCTest
@testable import Engine

/// Mistakes of a ports tree that the engine must name rather than hide:
/// two directories making one package file.
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

}
