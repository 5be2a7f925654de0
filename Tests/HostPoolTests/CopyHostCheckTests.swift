import Foundation
import XCTest
@testable import HostPool

/// `hosts test` for a copy host: the check script run here with /bin/sh,
/// and the report it leads to.
final class CopyHostCheckTests: XCTestCase {
    func runScript(_ args: [String]) throws -> [String: String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", CopyHostNeeds.script, "check"] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return parseFactLines(String(decoding: data, as: UTF8.self))
    }

    func testWritableCreatableAndImpossiblePlacesAreTold() throws {
        let dir = NSTemporaryDirectory() + "copycheck-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/ports", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Read-only even for root (a non-root user cannot write / either).
        try XCTSkipIf(access("/proc/sys", W_OK) == 0, "/proc/sys is writable here")
        let facts = try runScript([dir + "/ports", "sh", dir + "/new/packages", "/proc/sys/distfiles"])
        XCTAssertFalse((facts["make"] ?? "").isEmpty)
        XCTAssertEqual(facts["portsdir_state"], "writable")
        XCTAssertEqual(facts["repository_state"], "will be created (in \(dir))")
        XCTAssertEqual(facts["distdir_state"], "missing, and /proc/sys is not writable")
        XCTAssertNotNil(facts["portsdir_free"].flatMap { Int($0) })

        let needs = CopyHostNeeds(repository: dir + "/new/packages", distdir: "/proc/sys/distfiles", treeKiB: 10)
        var r = HostReport(name: "c1", local: false)
        needs.report(facts, mode: .agent, portsDir: dir + "/ports", into: &r)
        XCTAssertEqual(r.problem, "DISTDIR /proc/sys/distfiles missing, and /proc/sys is not writable", r.text)
        XCTAssertTrue(r.text.contains("agent") && r.text.contains("running"), r.text)
    }

    func testWithoutTheAgentOrRoomForTheTreeTheHostIsUnusable() {
        let ok = ["make": "/usr/bin/make", "portsdir_state": "writable", "portsdir_free": "100",
                  "repository_state": "writable", "distdir_state": "will be created (in /x)"]
        var r = HostReport(name: "c1", local: false)
        CopyHostNeeds(repository: "/r", distdir: "/d", treeKiB: 50).report(ok, mode: .channels, portsDir: "/p", into: &r)
        XCTAssertEqual(r.problem, "copy=1 needs the bulkbuild agent on the host: the same bulkbuild, at the same path as here")
        var small = HostReport(name: "c1", local: false)
        CopyHostNeeds(repository: "/r", distdir: "/d", treeKiB: 5000).report(ok, mode: .agent, portsDir: "/p", into: &small)
        XCTAssertEqual(small.problem, "PORTSDIR /p: 0.10 MiB free there, the tree takes 4.88 MiB")
        var fine = HostReport(name: "c1", local: false)
        CopyHostNeeds(repository: "/r", distdir: "/d", treeKiB: 50).report(ok, mode: .agent, portsDir: "/p", into: &fine)
        XCTAssertNil(fine.problem, fine.text)
    }
}
