import Engine
import Foundation
import XCTest
@testable import Logs

final class LogDirectoryTests: TempDirTestCase {
    func testFileNames() throws {
        let logs = LogDirectory(root: "/l")
        XCTAssertEqual(logs.engineLog, "/l/engine.log")
        XCTAssertEqual(logs.buildLog, "/l/build.log")
        XCTAssertEqual(logs.statsLog, "/l/stats.log")
        XCTAssertEqual(logs.concurrentLog, "/l/concurrent.log")
        XCTAssertEqual(logs.varsLog, "/l/vars.log")
        XCTAssertEqual(logs.equivLog, "/l/equiv.log")
        XCTAssertEqual(logs.performanceLog, "/l/performance.log")
        XCTAssertEqual(logs.stopFile, "/l/stop")
        XCTAssertEqual(logs.affinityLog, "/l/affinity.log")
        XCTAssertEqual(logs.signatureLog, "/l/signature.log")
        XCTAssertEqual(logs.statusFile, "/l/status.json")
        XCTAssertEqual(logs.affinityDirectory, "/l/affinity")
        XCTAssertEqual(logs.listingDirectory, "/l/listing")
        XCTAssertEqual(logs.initLog(host: "b2"), "/l/init.b2.log")
        XCTAssertEqual(logs.hostStopFiles(host: "b2"), ["/l/stop-b2", "/l/b2-stop"])
        XCTAssertEqual(logs.portLog(try FullPkgPath("devel/gmake")), "/l/paths/devel/gmake.log")
        XCTAssertEqual(logs.portLog(try FullPkgPath("x11/gnome/foo,b,a,-docs")), "/l/paths/x11/gnome/foo,a,b,-docs.log")
        XCTAssertEqual(logs.packageLog("gmake-4.4.1"), "/l/packages/gmake-4.4.1.log")
    }

    func testCreateMakesTheDirectories() throws {
        let logs = LogDirectory(root: path("run"))
        try logs.create()
        try logs.create()
        XCTAssertEqual(listing("run"), ["listing", "packages", "paths", "workdirs"])
    }

    func testPackageLogIsARelativeSymlinkThatResolvesToThePortLog() throws {
        let logs = LogDirectory(root: path("run"))
        try logs.create()
        for (text, pkg) in [("devel/gmake", "gmake-4.4.1"), ("x11/gnome/terminal,-main", "gnome-terminal-3.4")] {
            let p = try FullPkgPath(text)
            let log = try logs.preparePortLog(p, pkgname: pkg)
            XCTAssertEqual(log, logs.portLog(p))
            try FileIO.append("hello \(pkg)\n", to: log)
            let link = logs.packageLog(pkg)
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: link)
            XCTAssertFalse(target.hasPrefix("/"), "\(target) is absolute")
            XCTAssertEqual(target, "../paths/\(p.canonical).log")
            XCTAssertEqual(FileIO.read(link), "hello \(pkg)\n")
        }
    }

    func testPreparingAgainRepointsTheLink() throws {
        let logs = LogDirectory(root: path("run"))
        try logs.create()
        _ = try logs.preparePortLog(try FullPkgPath("a/b,x"), pkgname: "b-1")
        let second = try logs.preparePortLog(try FullPkgPath("a/b,y"), pkgname: "b-1")
        try FileIO.append("y\n", to: second)
        XCTAssertEqual(FileIO.read(logs.packageLog("b-1")), "y\n")
        XCTAssertEqual(listing("run/packages"), ["b-1.log"])
    }

    func testNoPackageNameMakesNoLink() throws {
        let logs = LogDirectory(root: path("run"))
        try logs.create()
        let log = try logs.preparePortLog(try FullPkgPath("a/b"), pkgname: "")
        XCTAssertTrue(FileIO.exists(path("run/paths/a")))
        XCTAssertFalse(FileIO.exists(log), "the log itself is created by its first write")
        XCTAssertEqual(listing("run/packages"), [])
    }
}
