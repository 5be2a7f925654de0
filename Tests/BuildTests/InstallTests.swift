// -I: the paths asked for are built with what they need, then installed
// on this machine by the tree's `install` target, after every build.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class InstallTests: XCTestCase {
    func testInstallsRunAfterTheBuildsAndTheSummarySaysWhatWasInstalled() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5))
        h.tree.add(FakePort(pkgpath: "www/app", deps: ["devel/lib"], seconds: 5))
        h.tree.add(FakePort(pkgpath: "misc/tool", seconds: 50))
        h.tree.add(FakePort(pkgpath: "misc/unasked", seconds: 5))
        let app = try FullPkgPath("www/app"), tool = try FullPkgPath("misc/tool")
        h.config.wholeTree = false
        h.config.request.paths = [app, tool]
        h.config.install = [app, tool]
        XCTAssertEqual(try h.run(), 0)
        XCTAssertEqual(h.tree.phasesOf("www/app").last, "install")
        XCTAssertEqual(h.tree.phasesOf("misc/tool").last, "install")
        XCTAssertFalse(h.tree.phasesOf("devel/lib").contains("install"), "only what -I names is installed")
        XCTAssertTrue(h.tree.phasesOf("misc/unasked").isEmpty)
        let lastPackage = h.tree.phases.filter { $0.phase != "install" }.map { $0.at }.max() ?? .infinity
        let installs = h.tree.phases.filter { $0.phase == "install" }
        XCTAssertEqual(installs.map { $0.path }, ["www/app", "misc/tool"], "in the order asked")
        XCTAssertTrue(installs.allSatisfy { $0.at >= lastPackage })
        XCTAssertEqual(h.coordinator.installReport ?? [], ["installed: app-1.0 (www/app)", "installed: tool-1.0 (misc/tool)"])
        XCTAssertTrue((h.files.read(h.logs.installLog) ?? "").contains(">>> Running install in www/app"))
    }

    func testAFailedInstallOrAnUnbuiltPathMakesTheRunFail() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/broken", seconds: 5, failIn: "build"))
        h.tree.add(FakePort(pkgpath: "www/app", seconds: 5, failIn: "install"))
        let broken = try FullPkgPath("devel/broken"), app = try FullPkgPath("www/app")
        h.config.wholeTree = false
        h.config.request.paths = [broken, app]
        h.config.install = [broken, app]
        XCTAssertEqual(try h.run(), 1)
        let report = h.coordinator.installReport ?? []
        XCTAssertEqual(report.first, "not installed: devel/broken (not built)")
        XCTAssertTrue(report.last?.hasPrefix("not installed: www/app (install ended with exit 1") ?? false, "\(report)")
    }

    func testAFailedInstallAloneMakesTheRunFail() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "www/app", seconds: 5, failIn: "install"))
        let app = try FullPkgPath("www/app")
        h.config.wholeTree = false
        h.config.request.paths = [app]
        h.config.install = [app]
        XCTAssertEqual(try h.run(), 1)
        XCTAssertTrue(h.tree.packageExists("www/app"))
    }
}
