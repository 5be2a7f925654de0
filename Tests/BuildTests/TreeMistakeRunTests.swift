// A run on a tree with mistakes the run must name: two directories making
// one package file, ports that wait on each other.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class TreeMistakeRunTests: XCTestCase {
    func testTwoDirectoriesWithOneFullpkgnameBuildItOnceAndTheRunNamesBoth() throws {
        let h = try Harness()
        // Both are named "same-1.0".
        h.tree.add(FakePort(pkgpath: "cat/same", seconds: 5))
        h.tree.add(FakePort(pkgpath: "dog/same", seconds: 5))
        h.tree.add(FakePort(pkgpath: "cat/user", deps: ["dog/same"], seconds: 5))
        XCTAssertEqual(try h.run(), 1, "a broken port fails the run")
        let lines = h.engineLines("!")
        let named = lines.filter { $0.contains("same FULLPKGNAME same-1.0 as ") }
        XCTAssertEqual(named.count, 1, "\(lines)")
        XCTAssertTrue(named[0].contains("cat/same") && named[0].contains("dog/same"), named[0])
        let packaged = h.tree.phases.filter { $0.phase == "package" }.map(\.path)
        XCTAssertEqual(packaged.filter { $0.hasSuffix("/same") }.count, 1, "\(packaged)")
        XCTAssertTrue(h.reporter.events.contains { $0.contains("same FULLPKGNAME same-1.0") }, "\(h.reporter.events)")
    }

    func testACycleIsNamedAndTheRunEnds() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "c/a", deps: ["c/b"], seconds: 5))
        h.tree.add(FakePort(pkgpath: "c/b", deps: ["c/a"], seconds: 5))
        h.tree.add(FakePort(pkgpath: "c/user", deps: ["c/a"], seconds: 5))
        h.tree.add(FakePort(pkgpath: "c/fine", seconds: 5))
        XCTAssertEqual(try h.run(), 1)
        XCTAssertTrue(h.tree.packageExists("c/fine"))
        XCTAssertTrue(h.reporter.events.contains { $0.contains("dependency cycle: c/a -> c/b -> c/a (never built)") },
                      "\(h.reporter.events)")
        let lines = h.engineLines("!")
        XCTAssertEqual(lines.filter { $0.contains("dependency cycle: c/a -> c/b -> c/a") }.count, 2, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasSuffix("c/user because of c/a") }, "\(lines)")
    }
}
