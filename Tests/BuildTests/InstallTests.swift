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

    /// The stop file during the first install, or a signal: the install
    /// running ends, nothing more is installed, the summary names each path
    /// left, and the run fails (it used to install everything, exit 0).
    func testAStopDuringTheInstallsInstallsNothingMoreAndSaysWhat() throws {
        for how in ["stop file", "disk", "signal"] {
            let h = try Harness()
            let paths = ["devel/a", "devel/b", "devel/c"]
            for p in paths { h.tree.add(FakePort(pkgpath: p, seconds: 5, phaseSeconds: ["install": 10])) }
            h.config.wholeTree = false
            h.config.request.paths = try paths.map(FullPkgPath.init)
            h.config.install = try paths.map(FullPkgPath.init)
            try h.prepare()
            var armed = false
            func look() {
                if !armed, h.tree.phases.contains(where: { $0.phase == "install" }) {
                    armed = true
                    switch how {
                    case "stop file": try? h.files.replace(h.logs.stopFile, with: "")
                    case "disk": h.coordinator.storageFailed("test: the disk failed", h.world.now)
                    default: h.world.signal(SIGTERM, after: 1)
                    }
                }
                if !armed { h.world.after(0.5, look) }
            }
            h.world.after(1, look)
            let status = try h.run()
            XCTAssertEqual(status, how == "signal" ? 128 + SIGTERM : 1, how)
            XCTAssertEqual(h.tree.phases.filter { $0.phase == "install" }.map { $0.path }, ["devel/a"], how)
            let report = h.coordinator.installReport ?? []
            XCTAssertEqual(report.filter { $0.contains("the run was stopped") }.count, 2, "\(how): \(report)")
        }
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
