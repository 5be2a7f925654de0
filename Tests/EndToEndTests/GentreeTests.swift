// Tests of bulkbuild-gentree and the end-to-end support helpers.
import Foundation
import XCTest

final class GentreeTests: XCTestCase {

    // MARK: command line

    func testHelpDocumentsEveryFlag() throws {
        let r = try runProcess([try Products.gentree(), "--help"])
        XCTAssertEqual(r.exitCode, 0)
        for flag in ["--ports", "--seed", "--categories", "--max-deps", "--sleep", "--flavored", "--multi",
                     "--ignored", "--fail", "--garbage", "--missing-dep", "--log-lines", "--no-print-data",
                     "--arch", "--chain", "--scalable", "--phase-share", "--graph", "--time-scale"] {
            XCTAssertTrue(r.stdout.contains(flag), "--help lacks \(flag)")
        }
    }

    func testBadUsageExitsTwo() throws {
        let gen = try Products.gentree()
        let tmp = try makeTempDir(prefix: "gentree-usage")
        defer { removeTree(tmp) }
        let cases: [([String], String)] = [
            ([tmp + "/a", "--bogus"], "unknown option"),
            ([tmp + "/b", "--ports", "zero"], "--ports"),
            ([tmp + "/c", "--ports"], "needs a value"),
            ([tmp + "/d", "--sleep", "3-1"], "--sleep"),
            ([tmp + "/e", "--ports", "5", "--fail", "devel/p0009"], "no port"),
            ([tmp + "/f", "--ports", "5", "--flavored", "4", "--multi", "2"], "exceeds"),
            (["--ports", "5"], "no DIR"),
            ([tmp], "not empty"),
            ([tmp + "/g", "--scalable", "1.5"], "--scalable"),
            ([tmp + "/h", "--phase-share", "-1"], "--phase-share"),
        ]
        try writeFile(tmp + "/occupied", "x")
        for (args, needle) in cases {
            let r = try runProcess([gen] + args)
            XCTAssertEqual(r.exitCode, 2, "\(args): \(r.output)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): expected '\(needle)' in \(r.stderr)")
        }
    }

    func testSameSeedSameTree() throws {
        let flags = ["--ports", "60", "--seed", "7", "--flavored", "4", "--multi", "4", "--ignored", "2"]
        let a = try TreeFixture(flags)
        let b = try TreeFixture(flags)
        let c = try TreeFixture(["--ports", "60", "--seed", "8", "--flavored", "4", "--multi", "4", "--ignored", "2"])
        XCTAssertEqual(readFile(a.treePath("MANIFEST")), readFile(b.treePath("MANIFEST")))
        XCTAssertNotEqual(readFile(a.treePath("MANIFEST")), readFile(c.treePath("MANIFEST")))
        let da = try a.make("dump-vars"), db = try b.make("dump-vars")
        XCTAssertTrue(da.succeeded)
        XCTAssertEqual(da.stdout, db.stdout)
        XCTAssertEqual(a.manifest.ports.count, 60)
        XCTAssertEqual(a.manifest.ports(kind: "flavored").count, 4)
        XCTAssertEqual(a.manifest.ports(kind: "multi").count, 4)
        XCTAssertEqual(a.manifest.ports.filter { $0.ignored }.count, 2)
        // Dependencies only point backwards.
        var seen = Set<String>()
        for p in a.manifest.ports {
            for d in p.deps { XCTAssertTrue(seen.contains(d), "\(p.pkgpath) depends on later \(d)") }
            seen.insert(p.pkgpath)
        }
    }

    func testScalableSplitsOnlyParallelPortsSleepsAndReachesTheBuild() throws {
        let t = try TreeFixture(["--ports", "40", "--seed", "3", "--sleep", "2-4", "--scalable", "0.75",
                                 "--phase-share", "0.5"])
        let parallel = t.manifest.ports.filter { $0.properties.contains("parallel") }
        XCTAssertFalse(parallel.isEmpty)
        for p in t.manifest.ports {
            let want = p.properties.contains("parallel") ? (p.sleep * 0.75 * 100).rounded() / 100 : 0
            XCTAssertEqual(p.scalable, want, accuracy: 0.011, p.pkgpath)
            let data = readFile(t.treePath(p.pkgpath + "/data")) ?? ""
            let psleep = data.split(separator: "\n").first { $0.hasPrefix("@PSLEEP=") }.flatMap { Double($0.dropFirst(8)) }
            XCTAssertEqual(psleep ?? -1, p.sleep * 0.5, accuracy: 0.011, data)
        }
        let p = try XCTUnwrap(parallel.first { $0.kind == "plain" && !$0.ignored })
        let r = try t.make("build", subdir: p.paths[0], args: ["MAKE_JOBS=4"])
        XCTAssertTrue(r.succeeded, r.output)
        XCTAssertTrue(r.stdout.contains("with MAKE_JOBS=4"), r.output)
        // Same options, same tree.
        let u = try TreeFixture(["--ports", "40", "--seed", "3", "--sleep", "2-4", "--scalable", "0.75",
                                 "--phase-share", "0.5"])
        XCTAssertEqual(readFile(t.treePath("MANIFEST")), readFile(u.treePath("MANIFEST")))
    }

    // MARK: print-data and dump-vars

    func testPrintData() throws {
        let t = try TreeFixture(["--ports", "3", "--arch", "testarch"])
        let r = try t.make("print-data")
        XCTAssertTrue(r.succeeded, r.output)
        let lines = Set(r.stdout.split(separator: "\n").map(String.init))
        for (k, v) in [("PACKAGE_REPOSITORY", "/packages"), ("DISTDIR", "/distfiles"),
                       ("LOCALBASE", "/localbase"), ("WRKOBJDIR", "/obj")] {
            XCTAssertTrue(lines.contains { $0.hasPrefix(k + "=/") && $0.hasSuffix(v) }, "\(k) missing in \(lines)")
        }
        XCTAssertTrue(lines.contains("MACHINE_ARCH=testarch"))
        XCTAssertEqual(t.arch, "testarch")

        let none = try TreeFixture(["--ports", "3", "--no-print-data"])
        let n = try none.make("print-data")
        XCTAssertFalse(n.succeeded)
        let unknown = try none.make("frobnicate")
        XCTAssertFalse(unknown.succeeded)
    }

    func testDumpVarsForms() throws {
        let t = try TreeFixture(["--ports", "30", "--flavored", "3", "--multi", "3", "--ignored", "2",
                                 "--garbage", "p0004", "--missing-dep", "p0005", "--max-deps", "3"])
        let m = t.manifest
        let plain = m.ports.first { $0.kind == "plain" && !$0.garbage }!
        let flavored = m.ports(kind: "flavored")[0]
        let multi = m.ports(kind: "multi")[0]

        // A bare plain port.
        var r = try t.make("dump-vars", env: ["SUBDIR": plain.pkgpath])
        XCTAssertTrue(r.succeeded, r.output)
        var lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "===> " + plain.pkgpath)
        XCTAssertTrue(lines.contains("\(plain.pkgpath).FULLPKGNAME=\(plain.packages[0])"))
        for l in lines.dropFirst() { XCTAssertTrue(l.hasPrefix(plain.pkgpath + "."), l) }

        // A flavored port: the bare dir gives the default flavor, `,a` flavor a.
        r = try t.make("dump-vars", env: ["SUBDIR": flavored.pkgpath + " " + flavored.pkgpath + ",a"])
        lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("===> ") },
                       ["===> \(flavored.pkgpath)", "===> \(flavored.pkgpath),a"])
        XCTAssertTrue(lines.contains("\(flavored.pkgpath).FULLPKGNAME=\(flavored.packages[0])"))
        XCTAssertTrue(lines.contains("\(flavored.pkgpath),a.FULLPKGNAME=\(flavored.packages[1])"))
        XCTAssertTrue(lines.contains("\(flavored.pkgpath),a.FLAVOR=a"))
        XCTAssertFalse(lines.contains { $0.hasPrefix(flavored.pkgpath + ",b.") })

        // A multi-package port: both subpackage blocks, listed once per batch.
        r = try t.make("dump-vars", env: ["SUBDIR": multi.pkgpath + ",-lib " + multi.pkgpath])
        lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("===> ") }.count, 1)
        XCTAssertTrue(lines.contains("\(multi.pkgpath),-main.FULLPKGNAME=\(multi.packages[0])"))
        XCTAssertTrue(lines.contains("\(multi.pkgpath),-lib.FULLPKGNAME=\(multi.packages[1])"))
        XCTAssertTrue(lines.contains("\(multi.pkgpath),-main.MULTI_PACKAGES=-main -lib"))

        // Missing directories.
        r = try t.make("dump-vars", env: ["SUBDIR": "devel/doesnotexist devel/nothere,a devel/doesnotexist"])
        XCTAssertEqual(r.stdout, ">> Broken dependency: devel/doesnotexist non existent\n"
                       + ">> Broken dependency: devel/nothere non existent\n")

        // A garbage port ends with the error line.
        let garbage = m.port("x11/p0004")!
        XCTAssertTrue(garbage.garbage)
        r = try t.make("dump-vars", env: ["SUBDIR": "x11/p0004"])
        lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "===> x11/p0004")
        XCTAssertEqual(lines.last, "===> Exiting x11/p0004 with an error")
        XCTAssertTrue(lines.contains { !$0.contains("=") })
        XCTAssertTrue(lines.contains { $0.contains(":<=:") })

        // --missing-dep names devel/doesnotexist in BUILD_DEPENDS.
        r = try t.make("dump-vars", env: ["SUBDIR": "net/p0005"])
        XCTAssertTrue(r.stdout.split(separator: "\n").contains { $0.hasPrefix("net/p0005.BUILD_DEPENDS=") && $0.contains("devel/doesnotexist") })

        // Ignored ports carry IGNORE.
        let ign = m.ports.first { $0.ignored }!
        r = try t.make("dump-vars", env: ["SUBDIR": ign.paths[0]])
        XCTAssertTrue(r.stdout.contains(".IGNORE="))

        // The whole tree: every port dir of INDEX, flavors included.
        r = try t.make("dump-vars")
        let heads = r.stdout.split(separator: "\n").filter { $0.hasPrefix("===> ") && !$0.hasPrefix("===> Exiting") }
        XCTAssertEqual(heads.count, 30 + 3 * 2)
        XCTAssertEqual((readFile(t.treePath("INDEX")) ?? "").split(separator: "\n").count, 30)
    }

    func testDependencyWordsAreWellFormed() throws {
        let t = try TreeFixture(["--ports", "200", "--flavored", "20", "--multi", "20", "--max-deps", "5"])
        let r = try t.make("dump-vars")
        var forms = Set<String>()
        for line in r.stdout.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "="),
                  line[..<eq].hasSuffix("_DEPENDS") else { continue }
            for w in line[line.index(after: eq)...].split(separator: " ") {
                if w.contains(">=") { forms.insert("spec>=") } else if w.contains("-*:") { forms.insert("spec*") }
                if w.contains(",-") { forms.insert("sub") } else if w.contains(",") { forms.insert("flavor") }
                let path = w.split(separator: ":").last!
                XCTAssertGreaterThanOrEqual(path.split(separator: "/").count, 2, String(w))
            }
        }
        XCTAssertEqual(forms, ["spec>=", "spec*", "sub", "flavor"])
        let props = t.manifest.ports.flatMap { $0.properties }
        XCTAssertTrue(props.contains("parallel"))
    }

    // MARK: phases

    func testPhasesByHandInDependencyOrder() throws {
        let t = try TreeFixture(["--ports", "4", "--chain", "--fail", "p0003", "--log-lines", "5"])
        let paths = t.manifest.ports.map { $0.pkgpath }
        XCTAssertEqual(paths, ["devel/p0001", "lang/p0002", "www/p0003", "x11/p0004"])

        // Out of order: p0002 needs p0001's package.
        var r = try t.make("depends", subdir: "lang/p0002")
        XCTAssertFalse(r.succeeded)
        XCTAssertTrue(r.output.contains("missing package files"), r.output)
        XCTAssertTrue(r.output.contains(t.manifest.ports[0].packages[0] + ".tgz"), r.output)

        r = try t.buildByHand("devel/p0001")
        XCTAssertTrue(r.succeeded, r.output)
        XCTAssertEqual(t.packageFiles(), [t.manifest.ports[0].packages[0] + ".tgz"])
        r = try t.buildByHand("lang/p0002")
        XCTAssertTrue(r.succeeded, r.output)

        // Build log lines grow with --log-lines.
        r = try t.buildByHand("www/p0003", phases: ["depends", "prepare", "build"])
        XCTAssertFalse(r.succeeded)
        XCTAssertTrue(r.output.contains("FAIL marker present"), r.output)
        XCTAssertEqual(t.runningBuilds(), ["www.p0003"])

        // The concurrency guard: a second prepare of the same directory fails.
        r = try t.make("prepare", subdir: "www/p0003")
        XCTAssertFalse(r.succeeded)
        XCTAssertTrue(r.output.contains("concurrent build of www/p0003"), r.output)

        // Fix the port, clean, rebuild.
        try t.setFail("www/p0003", false)
        XCTAssertTrue(try t.make("clean", subdir: "www/p0003").succeeded)
        XCTAssertEqual(t.runningBuilds(), [])
        r = try t.buildByHand("www/p0003", phases: ["depends", "prepare", "build"])
        XCTAssertTrue(r.succeeded, r.output)
        XCTAssertEqual(r.output.components(separatedBy: "\n").filter { $0.hasPrefix("cc ") }.count, 5)
        r = try t.buildByHand("www/p0003", phases: ["fake", "package", "clean"])
        XCTAssertTrue(r.succeeded, r.output)
        XCTAssertTrue(try t.buildByHand("x11/p0004").succeeded)

        XCTAssertEqual(t.builtLog().map { $0.fullpkgpath }, paths)
        XCTAssertEqual(t.packageFiles().count, 4)
        XCTAssertEqual(t.runningBuilds(), [])
        // Work files stay under obj/.
        XCTAssertTrue(listDirectory(t.treePath("obj")).isEmpty)
    }

    func testFlavorAndMultiPackages() throws {
        let t = try TreeFixture(["--ports", "6", "--flavored", "2", "--multi", "2", "--max-deps", "0", "--sleep", "0.05-0.1"])
        let multi = t.manifest.ports(kind: "multi")[0]
        let flavored = t.manifest.ports(kind: "flavored")[0]

        // One build of any subpackage makes both package files.
        XCTAssertTrue(try t.buildByHand(multi.pkgpath + ",-lib").succeeded)
        for p in multi.packages { XCTAssertTrue(t.hasPackage(p), p) }

        // Flavor a makes only its own package.
        XCTAssertTrue(try t.buildByHand(flavored.pkgpath + ",a").succeeded)
        XCTAssertTrue(t.hasPackage(flavored.packages[1]))
        XCTAssertFalse(t.hasPackage(flavored.packages[0]))
        XCTAssertFalse(try t.make("build", subdir: flavored.pkgpath + ",zz").succeeded)
        XCTAssertFalse(try t.make("build", subdir: "devel/nothere").succeeded)

        // junk keeps what JUNK_KEEP names.
        let j = try t.make("junk", env: ["JUNK_KEEP": ""])
        XCTAssertTrue(j.succeeded, j.output)
    }

    func testMissingDepAndIgnoredNeverBuild() throws {
        let t = try TreeFixture(["--ports", "5", "--missing-dep", "p0002", "--ignored", "5", "--max-deps", "0"])
        var r = try t.make("depends", subdir: "lang/p0002")
        XCTAssertFalse(r.succeeded)
        XCTAssertTrue(r.output.contains("doesnotexist"), r.output)
        r = try t.make("build", subdir: "devel/p0001")
        XCTAssertFalse(r.succeeded)
        XCTAssertTrue(r.output.contains("ignored"), r.output)
    }

    func testGenerationIsFast() throws {
        let start = Date()
        let t = try TreeFixture(["--ports", "3000", "--flavored", "50", "--multi", "50", "--max-deps", "4"])
        let took = Date().timeIntervalSince(start)
        XCTAssertEqual(t.manifest.ports.count, 3000)
        XCTAssertLessThan(took, 30, "3000 ports took \(took) s")
        let r = try t.make("dump-vars", timeout: 60)
        XCTAssertTrue(r.succeeded)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.hasPrefix("===> ") }.count, 3000 + 100)
    }

    // MARK: the process runner

    func testRunnerCapturesOutputEnvAndCwd() throws {
        let dir = try makeTempDir(prefix: "runner")
        defer { removeTree(dir) }
        let r = try runProcess(["/bin/sh", "-c", "echo out:$FOO; pwd; echo err >&2; exit 3"],
                               setEnv: ["FOO": "bar"], cwd: dir)
        XCTAssertEqual(r.exitCode, 3)
        XCTAssertEqual(r.stdout, "out:bar\n" + dir + "\n")
        XCTAssertEqual(r.stderr, "err\n")
        let merged = try runProcess(["/bin/sh", "-c", "echo a; echo b >&2"], mergeOutput: true)
        XCTAssertEqual(merged.stdout, "a\nb\n")
        XCTAssertThrowsError(try runProcess(["/nonexistent/program"]))
    }

    func testRunnerSignalsAndTimeouts() throws {
        // A child that forks a grandchild: the timeout kills the whole group.
        let marker = try makeTempDir(prefix: "runner-group")
        defer { removeTree(marker) }
        let r = try runProcess(["/bin/sh", "-c", "(sleep 2; touch \(marker)/late) & sleep 30"], timeout: 0.5)
        XCTAssertTrue(r.timedOut)
        XCTAssertNotNil(r.status.signal)
        Thread.sleep(forTimeInterval: 2.5)
        XCTAssertFalse(fileExists(marker + "/late"), "grandchild survived the group kill")

        // SIGTERM reaches the child: its mask is empty and the disposition default.
        let p = ChildProcess(["sleep", "30"])
        let pid = try p.start()
        XCTAssertGreaterThan(pid, 0)
        XCTAssertTrue(p.isRunning)
        XCTAssertNil(p.wait(timeout: 0.2))
        p.signal(SIGTERM)
        XCTAssertEqual(p.wait(timeout: 5)?.signal, SIGTERM)

        let q = ChildProcess(["/bin/sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status"])
        try q.start()
        XCTAssertEqual(q.wait(timeout: 5)?.exitCode, 0)
        // Signals 1-31 neither blocked nor ignored (glibc keeps 32 and 33 for itself).
        let lines = q.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        for line in lines {
            let hex = line.split(separator: "\t").last.map(String.init) ?? ""
            XCTAssertEqual((UInt64(hex, radix: 16) ?? 1) & 0x7fff_ffff, 0, String(line))
        }
        XCTAssertTrue(waitUntil(timeout: 1) { !q.isRunning })
    }
}
