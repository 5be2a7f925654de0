// The bundled demo tree (ports/), built by the real bulkbuild binary with
// real make, compilers and packages, in a private copy of the tree.
import Foundation
import XCTest

/// A copy of the repository's ports/ in a temp dir, without anything a
/// previous build left there.
final class DemoTreeCopy {
    let root: String
    let portsDir: String
    var logdir: String { root + "/logs" }

    init() throws {
        root = try makeTempDir(prefix: "bulkbuild-demo")
        portsDir = root + "/ports"
        let source = DemoTreeCopy.repositoryRoot() + "/ports"
        let cp = try runProcess(["cp", "-R", source, portsDir])
        guard cp.succeeded else { throw SpawnError(description: "cp failed: \(cp.output)") }
        for generated in [".work", "packages", "distfiles", "logs", "mk.conf"] {
            removeTree(portsDir + "/" + generated)
        }
    }

    deinit {
        if ProcessInfo.processInfo.environment["BULKBUILD_KEEP_TMP"] == nil { removeTree(root) }
    }

    static func repositoryRoot() -> String {
        // This file is Tests/EndToEndTests/DemoTreeTests.swift.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    func bulkbuild(_ extra: [String], timeout: TimeInterval = 400) throws -> RunResult {
        try runProcess([try Products.bulkbuild(), "-D", "PORTSDIR=\(portsDir)", "-L", logdir] + extra, timeout: timeout)
    }

    func startBulkbuild(_ extra: [String]) throws -> ChildProcess {
        let p = ChildProcess([try Products.bulkbuild(), "-D", "PORTSDIR=\(portsDir)", "-L", logdir] + extra,
                             stdoutPath: root + "/run.out", stderrPath: root + "/run.err")
        try p.start()
        return p
    }

    func make(_ target: String, subdir: String) throws -> RunResult {
        try runProcess(["make", "-C", portsDir, "-s", target], setEnv: ["SUBDIR": subdir, "PHASE": target],
                       mergeOutput: true, timeout: 300)
    }

    var localbase: String {
        let out = (try? runProcess(["make", "-C", portsDir, "-s", "print-data"]))?.stdout ?? ""
        return out.split(separator: "\n").first { $0.hasPrefix("LOCALBASE=") }
            .map { String($0.dropFirst("LOCALBASE=".count)) } ?? ""
    }

    func engineLines(_ letter: String) -> [String] {
        (readFile(logdir + "/engine.log") ?? "").split(separator: "\n").map(String.init)
            .filter { $0.contains(": \(letter): ") }
    }
}

final class DemoTreeTests: XCTestCase {
    func testDemoTreeBuildsFromScratchProgramsRunAndASecondRunBuildsNothing() throws {
        let demo = try DemoTreeCopy()
        let r = try demo.bulkbuild(["-j", "2"])
        XCTAssertEqual(r.exitCode, 0, r.output)
        XCTAssertTrue(r.stdout.contains("everything asked for was built or is ignored"), r.stdout)
        let packages = listPackageFiles(demo.portsDir + "/packages")
        XCTAssertGreaterThanOrEqual(demo.engineLines("B").count, 25)
        XCTAssertTrue(demo.engineLines("!").contains { $0.contains("sysutils/winonly") }, "the ignored port")
        _ = packages

        // Programs print what their dependencies produce: hello goes
        // through libbanner -> libgreet (patched) -> libfmt.
        let install = try demo.make("install", subdir: "misc/hello")
        XCTAssertTrue(install.succeeded, install.output)
        let hello = try runProcess([demo.localbase + "/bin/hello", "you"])
        XCTAssertEqual(hello.exitCode, 0, hello.output)
        XCTAssertTrue(hello.stdout.contains("Hello, YOU!"), hello.stdout)
        XCTAssertTrue(hello.stdout.contains("libfmt 1.2"), hello.stdout)
        XCTAssertFalse(hello.stdout.contains("Hallo"), "the patch of libgreet was not applied")

        // The parallel port was given several cores.
        let bigLog = readFile(demo.logdir + "/paths/devel/bigproj.log") ?? ""
        XCTAssertTrue(bigLog.contains(">>> Running build in devel/bigproj"), bigLog)

        // A second run finds every package and starts nothing.
        let jobsBefore = demo.engineLines("J").count
        let again = try demo.bulkbuild(["-j", "2"])
        XCTAssertEqual(again.exitCode, 0, again.output)
        XCTAssertEqual(demo.engineLines("J").count, jobsBefore, "a second run built something")
    }

    func testBrokenDemoPortFailsThenAHotFixFinishesTheTree() throws {
        let demo = try DemoTreeCopy()
        let makefile = demo.portsDir + "/devel/libfmt/Makefile"
        let original = readFile(makefile) ?? ""
        // Break the compiler for this port only.
        try writeFile(makefile, original.replacingOccurrences(
            of: "include ../../infrastructure/mk/port.mk",
            with: "MAKE_FLAGS += CC=false\ninclude ../../infrastructure/mk/port.mk"))
        let p = try demo.startBulkbuild(["-j", "2", "-q", "misc/hello", "math/calc"])
        let lock = demo.logdir + "/locks/devel.libfmt"
        XCTAssertTrue(waitUntil(timeout: 200) { (readFile(lock) ?? "").contains("status=") },
                      "libfmt did not fail: " + p.stdout + p.stderr)
        XCTAssertTrue(demo.engineLines("E").contains { $0.contains(" devel/libfmt ") })
        // Its dependents never started.
        for dependent in ["devel/libgreet", "devel/libbanner", "misc/hello"] {
            XCTAssertFalse(demo.engineLines("J").contains { $0.contains(" \(dependent) ") }, dependent)
        }
        XCTAssertTrue(p.isRunning, "-q must keep waiting for a fix")
        try writeFile(makefile, original)
        XCTAssertEqual(unlink(lock), 0)
        let status = p.wait(timeout: 300)
        XCTAssertEqual(status?.exitCode, 0, p.stdout + p.stderr)
        XCTAssertTrue(demo.engineLines("J").contains { $0.contains(" misc/hello ") })
        let install = try demo.make("install", subdir: "misc/hello")
        XCTAssertTrue(install.succeeded, install.output)
        XCTAssertTrue(try runProcess([demo.localbase + "/bin/hello"]).stdout.contains("libfmt 1.2"))
    }
}
