// Regression tests for what the adversarial campaign of docs/reliability.md
// found: the real binary, given input a hostile reviewer would give it,
// must refuse it with a message naming the place, never trap or leave a
// process behind.
import Foundation
import XCTest

final class AdversarialTests: XCTestCase {
    private func bulkbuild(_ args: [String], timeout: TimeInterval = 60) throws -> RunResult {
        try runProcess([try Products.bulkbuild()] + args, timeout: timeout)
    }

    private func assertNoTrap(_ r: RunResult, file: StaticString = #filePath, line: UInt = #line) {
        for mark in ["Fatal error", "runtime failure", "Illegal instruction", "Segmentation"] {
            XCTAssertFalse(r.output.contains(mark), r.output, file: file, line: line)
        }
        XCTAssertNotNil(r.exitCode, "ended by a signal: \(r.status)", file: file, line: line)
    }

    /// A status.json whose `field` (a top-level key, or `counts.NAME`) is `value`.
    private func statusFile(in dir: String, _ field: String, _ value: String) throws {
        var counts = ["built", "errors", "fetch", "ignored", "installable", "locked", "queued", "running",
                      "toBuild", "total", "waitingPackage"].map { "\"\($0)\":0" }
        var top = ["\"ended\":true", "\"failures\":[]", "\"fetchJobs\":[]", "\"history\":[]", "\"hosts\":[]",
                   "\"jobs\":[]", "\"listing\":false", "\"lockedPaths\":[]", "\"pid\":1", "\"startTime\":100",
                   "\"stopping\":false", "\"time\":200", "\"waitingPackagePaths\":[]"]
        if field.hasPrefix("counts.") {
            let name = String(field.dropFirst("counts.".count))
            counts = counts.map { $0.hasPrefix("\"\(name)\":") ? "\"\(name)\":\(value)" : $0 }
        } else {
            top = top.filter { !$0.hasPrefix("\"\(field)\":") } + ["\"\(field)\":\(value)"]
        }
        try writeFile(dir + "/status.json", "{\"counts\":{" + counts.joined(separator: ",") + "}," +
                      top.joined(separator: ",") + "}")
    }

    /// A run killed, or stopped by a disk it could not write its last status
    /// to, leaves status.json not ended: without a terminal, monitor says
    /// the run's process is gone and exits 1 (it used to wait for ever).
    /// A run on another machine, or one whose process lives, is followed.
    func testMonitorSaysARunWhoseProcessIsGoneAndExits() throws {
        let dir = try makeTempDir(prefix: "adv-gone")
        defer { removeTree(dir) }
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        func write(pid: Int32, host: String) throws {
            try statusFile(in: dir, "ended", "false")
            let text = (readFile(dir + "/status.json") ?? "")
                .replacingOccurrences(of: "\"pid\":1,", with: "\"pid\":\(pid),\"runHost\":\"\(host)\",")
            try writeFile(dir + "/status.json", text)
        }
        try write(pid: dead.processIdentifier, host: host)
        let gone = try bulkbuild(["monitor", "-L", dir], timeout: 30)
        XCTAssertEqual(gone.exitCode, 1, gone.output)
        XCTAssertTrue(gone.stderr.contains("the run (pid \(dead.processIdentifier) on \(host)) is gone without ending; its last state: "),
                      gone.stderr)
        // Elsewhere, or alive: nothing to say, the monitor waits (ended by the timeout).
        for (pid, on) in [(dead.processIdentifier, "another-machine"), (getpid(), host)] {
            try write(pid: pid, host: on)
            let waiting = try bulkbuild(["monitor", "-L", dir], timeout: 3)
            XCTAssertFalse(waiting.stderr.contains("is gone"), "\(on): \(waiting.stderr)")
            XCTAssertNotEqual(waiting.exitCode, 1, "\(on): \(waiting.output)")
        }
    }

    func testMonitorRefusesStatusNumbersNoRunWritesNamingTheField() throws {
        let dir = try makeTempDir(prefix: "adv-status")
        defer { removeTree(dir) }
        try statusFile(in: dir, "counts.installable", "0")
        let fine = try bulkbuild(["monitor", "-L", dir], timeout: 30)
        XCTAssertEqual(fine.exitCode, 0, fine.output)
        XCTAssertTrue(fine.output.contains("run over after 0:01:40"), fine.output)

        // Each of these trapped the monitor (an Int overflow or a Double
        // that does not fit an Int) before the fix.
        for (field, value, said) in [("counts.installable", "9223372036854775807", "counts.installable"),
                                     ("counts.built", "-1", "counts.built"),
                                     ("time", "1e308", "time"),
                                     ("estimatedFinish", "-1e308", "estimatedFinish")] {
            try statusFile(in: dir, field, value)
            let r = try bulkbuild(["monitor", "-L", dir], timeout: 30)
            assertNoTrap(r)
            XCTAssertEqual(r.exitCode, 2, "\(field)=\(value): \(r.output)")
            XCTAssertTrue(r.stderr.contains("\(dir)/status.json: not a valid status file: \(said): "),
                          "\(field)=\(value): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("out of range"), r.stderr)
        }

        try writeFile(dir + "/status.json", "[]")
        let array = try bulkbuild(["monitor", "-L", dir], timeout: 30)
        XCTAssertEqual(array.exitCode, 2, array.output)
        XCTAssertTrue(array.stderr.contains("wrong type at the top level (expected an object)"), array.stderr)

        try FileManager.default.removeItem(atPath: dir + "/status.json")
        try FileManager.default.createDirectory(atPath: dir + "/status.json", withIntermediateDirectories: false)
        let directory = try bulkbuild(["monitor", "-L", dir], timeout: 30)
        XCTAssertEqual(directory.exitCode, 2, directory.output)
        XCTAssertTrue(directory.stderr.contains("\(dir)/status.json: cannot read: is a directory"), directory.stderr)
    }

    func testHostsCheckRefusesTheParametersABuildRefuses() throws {
        let dir = try makeTempDir(prefix: "adv-hosts")
        defer { removeTree(dir) }
        let hosts = dir + "/hosts"
        try writeFile(hosts, "FOO=bar\nlocalhost\n")
        // The build refuses this file; `hosts test` used to call it usable.
        for mode in ["test", "status"] {
            let r = try bulkbuild(["hosts", mode, "-h", hosts, "-L", dir + "/logs"])
            XCTAssertEqual(r.exitCode, 2, r.output)
            XCTAssertTrue(r.stderr.contains("bulkbuild hosts: \(hosts):1: unknown parameter FOO"), r.stderr)
            XCTAssertFalse(r.stdout.contains("localhost: ok"), r.stdout)
        }
        try writeFile(hosts, "localhost\n")
        let define = try bulkbuild(["hosts", "test", "-h", hosts, "-D", "FOO=1", "-L", dir + "/logs"])
        XCTAssertEqual(define.exitCode, 2, define.output)
        XCTAssertTrue(define.stderr.contains("-D FOO=1: unknown parameter"), define.stderr)
        let timeout = try bulkbuild(["hosts", "test", "-h", hosts, "-D", "CONNECTION_TIMEOUT=-5", "-L", dir + "/logs"])
        XCTAssertEqual(timeout.exitCode, 2, timeout.output)
        XCTAssertTrue(timeout.stderr.contains("-D CONNECTION_TIMEOUT=-5: expected a whole number of seconds >= 1"),
                      timeout.stderr)
        // The values the build reads, from either place.
        for (line, message) in [("HEURISTICS=zzz", "HEURISTICS=zzz: expected critical-path or dpb"),
                                ("KILL_GRACE=abc", "KILL_GRACE=abc: expected a number of seconds"),
                                ("STUCK_TIMEOUT=0", "STUCK_TIMEOUT=0: expected a positive number of seconds")] {
            try writeFile(hosts, "localhost\n")
            let given = try bulkbuild(["hosts", "test", "-h", hosts, "-D", line, "-L", dir + "/logs"])
            XCTAssertEqual(given.exitCode, 2, given.output)
            XCTAssertTrue(given.stderr.contains("-D " + message), given.stderr)
            try writeFile(hosts, "# parameters\n\n\(line)\nlocalhost\n")
            let inFile = try bulkbuild(["hosts", "test", "-h", hosts, "-L", dir + "/logs"])
            XCTAssertEqual(inFile.exitCode, 2, inFile.output)
            XCTAssertTrue(inFile.stderr.contains("\(hosts):3: " + message), inFile.stderr)
        }
        // A file without hosts: a usage error, as the build says.
        try writeFile(hosts, "# nothing yet\n")
        let none = try bulkbuild(["hosts", "test", "-h", hosts, "-L", dir + "/logs"])
        XCTAssertEqual(none.exitCode, 2, none.output)
        XCTAssertTrue(none.stderr.contains("no host to check in \(hosts)"), none.stderr)
        // An empty PORTSDIR is a usage error here too, not a host "missing" it.
        try writeFile(hosts, "localhost\n")
        let empty = try bulkbuild(["hosts", "test", "-h", hosts, "-D", "PORTSDIR=", "-L", dir + "/logs"])
        XCTAssertEqual(empty.exitCode, 2, empty.output)
        XCTAssertTrue(empty.stderr.contains("PORTSDIR is empty (-D PORTSDIR=)"), empty.stderr)
    }

    func testABuildNamesTheHostsFileLineOfABadParameter() throws {
        let tree = try TreeFixture(["--ports", "2", "--seed", "2"])
        let dir = tree.path("run")
        let hosts = tree.path("hosts")
        for (line, message) in [("CONNECTION_TIMEOUT=abc", "CONNECTION_TIMEOUT=abc: expected a whole number of seconds >= 1"),
                                ("KILL_GRACE=-1", "KILL_GRACE=-1: expected a number of seconds"),
                                ("HEURISTICS=zzz", "HEURISTICS=zzz: expected critical-path or dpb")] {
            try writeFile(hosts, "\n\n\(line)\nlocalhost\n")
            let r = try bulkbuild(["-x", "-D", "PORTSDIR=" + tree.portsDir, "-L", dir + "/logs", "-h", hosts])
            XCTAssertEqual(r.exitCode, 2, r.output)
            XCTAssertTrue(r.stderr.contains("\(hosts):3: " + message), r.stderr)
            XCTAssertEqual(readFile(tree.portsDir + "/.built.log") ?? "", "", "something was built")
        }
        // The command line's -D wins over the file, and is named as -D.
        try writeFile(hosts, "KILL_GRACE=5\nlocalhost\n")
        let r = try bulkbuild(["-x", "-D", "PORTSDIR=" + tree.portsDir, "-L", dir + "/logs", "-h", hosts, "-D", "KILL_GRACE=x"])
        XCTAssertEqual(r.exitCode, 2, r.output)
        XCTAssertTrue(r.stderr.contains("-D KILL_GRACE=x: expected a number of seconds"), r.stderr)
    }

    func testABuildRefusesAConnectionTimeoutThatIsNoNumber() throws {
        // Only the ssh layer read it, as Int(text) ?? 60: "abc" and "1.5" were dropped silently.
        for value in ["abc", "1.5", "0", ""] {
            let r = try bulkbuild(["-D", "PORTSDIR=/nonexistent", "-D", "CONNECTION_TIMEOUT=\(value)"])
            XCTAssertEqual(r.exitCode, 2, r.output)
            XCTAssertTrue(r.stderr.contains("-D CONNECTION_TIMEOUT=\(value): expected a whole number of seconds >= 1"),
                          r.stderr)
        }
    }

    func testAnEmptyPortsdirIsRefusedNotTakenAsTheCurrentDirectory() throws {
        let tree = try TreeFixture(["--ports", "2", "--seed", "2"])
        // Run from inside a tree: an empty PORTSDIR used to build it.
        for (setEnv, define) in [([String: String](), ["-D", "PORTSDIR="]), (["PORTSDIR": ""], [])] {
            let r = try runProcess([try Products.bulkbuild(), "-x", "-L", tree.path("logs")] + define,
                                   setEnv: setEnv, cwd: tree.portsDir, timeout: 60)
            XCTAssertEqual(r.exitCode, 2, r.output)
            XCTAssertTrue(r.stderr.contains("PORTSDIR is empty"), r.stderr)
            XCTAssertEqual(readFile(tree.portsDir + "/.built.log") ?? "", "", "something was built")
        }
    }

    func testAFileInTheWayOfTheLogDirectoryAndADirectoryForTheBuildLogAreNamed() throws {
        let tree = try TreeFixture(["--ports", "2", "--seed", "2"])
        let file = tree.path("plain-file")
        try writeFile(file, "x\n")
        // Both said "No such file or directory" (a stale errno), or started the run.
        for args in [["-L", file], ["-L", tree.path("logs"), "-l", file]] {
            let r = try runProcess([try Products.bulkbuild(), "-x", "-D", "PORTSDIR=\(tree.portsDir)"] + args, timeout: 60)
            XCTAssertEqual(r.exitCode, 2, r.output)
            XCTAssertTrue(r.stderr.contains("\(file): cannot create directory: File exists"), r.stderr)
        }
        let r = try Bulk(tree: tree).run(["-x", "-b", tree.root])
        XCTAssertEqual(r.exitCode, 2, r.output)
        XCTAssertTrue(r.stderr.contains("-b \(tree.root): cannot read that build log (it is a directory)"), r.stderr)
        // The size file -s writes, under a file: said before the run (it
        // used to stop the run as a failing disk, once it had started).
        let sizes = try Bulk(tree: tree).run(["-x", "-s", "-S", file + "/sizes"])
        XCTAssertEqual(sizes.exitCode, 2, sizes.output)
        XCTAssertTrue(sizes.stderr.contains("-S \(file)/sizes: \(file): cannot create directory: File exists"), sizes.stderr)
        XCTAssertEqual(readFile(tree.portsDir + "/.built.log") ?? "", "", "the run started")
    }

    func testAHostPropertyGivenTwiceOnALineNamesTheLine() throws {
        let dir = try makeTempDir(prefix: "adv-hosts")
        defer { removeTree(dir) }
        let hosts = dir + "/hosts"
        try writeFile(hosts, "DEFAULT jobs=2\n# the second jobs= was taken, the first dropped\nlocalhost jobs=2 sf=1 jobs=3\n")
        let build = try bulkbuild(["-D", "PORTSDIR=/nonexistent", "-h", hosts])
        XCTAssertEqual(build.exitCode, 2, build.output)
        XCTAssertTrue(build.stderr.contains("\(hosts):3: property 'jobs' given twice on one line"), build.stderr)
        let check = try bulkbuild(["hosts", "test", "-h", hosts, "-L", dir + "/logs"])
        XCTAssertEqual(check.exitCode, 2, check.output)
        XCTAssertTrue(check.stderr.contains("\(hosts):3: property 'jobs' given twice on one line"), check.stderr)
        try writeFile(hosts, "localhost\n")
        let twice = try bulkbuild(["-D", "PORTSDIR=/nonexistent", "-h", hosts, "-h", hosts])
        XCTAssertEqual(twice.exitCode, 2, twice.output)
        XCTAssertTrue(twice.stderr.contains("\(hosts): this hosts file is given twice (-h)"), twice.stderr)
        // sf=1e308 trapped simulate (a weight over it, or times it, out of range).
        for sf in ["1e308", "1e-308", "0"] {
            let add = try bulkbuild(["simulate", "-D", "PORTSDIR=/nonexistent", "--add-host", "b1 sf=\(sf)"])
            XCTAssertEqual(add.exitCode, 2, add.output)
            try writeFile(hosts, "localhost\nb1 sf=\(sf)\n")
            let build = try bulkbuild(["-D", "PORTSDIR=/nonexistent", "-h", hosts])
            XCTAssertEqual(build.exitCode, 2, build.output)
            XCTAssertTrue(build.stderr.contains("\(hosts):2: sf: expected a speed factor from 0.001 to 1000"), build.stderr)
        }
    }

    func testSimulateAndTheSummarySayWhenTheListingFailsAndWhatIsBroken() throws {
        let tree = try TreeFixture(["--ports", "3", "--seed", "2"])
        // dump-vars fails: it used to print "simulated 0 builds" and exit 0.
        let failed = try bulkbuild(["simulate", "-D", "PORTSDIR=\(tree.portsDir)", "-D", "MAKE=/bin/false"])
        assertNoTrap(failed)
        XCTAssertEqual(failed.exitCode, 1, failed.output)
        XCTAssertTrue(failed.stderr.contains("bulkbuild simulate: make dump-vars for the whole tree failed (exit 1)"),
                      failed.stderr)
        XCTAssertTrue(failed.stderr.contains("bulkbuild simulate: \(tree.portsDir) listed no port"), failed.stderr)

        let typo = try bulkbuild(["simulate", "-D", "PORTSDIR=\(tree.portsDir)", "devel/nonexistent"])
        XCTAssertEqual(typo.exitCode, 0, typo.output)
        XCTAssertTrue(typo.stderr.contains("bulkbuild simulate: broken: devel/nonexistent: non existent"), typo.stderr)
        XCTAssertTrue(typo.stdout.contains("simulated 0 builds"), typo.stdout)

        // The build's two summary lines said "1 ignored" and "0 ignored ... 1 broken".
        let build = try Bulk(tree: tree).run(["-x", "devel/nonexistent"])
        XCTAssertEqual(build.exitCode, 1, build.output)
        XCTAssertTrue(build.output.contains("1/1 done, 0 built, 0 already built, 0 ignored, 1 broken, 0 failed"), build.output)
        XCTAssertTrue(build.output.contains("0 ignored, 0 failed, 1 broken"), build.output)
    }

    func testAPathListFileThatNamesNothingOrIsNotTextIsRefused() throws {
        let tree = try TreeFixture(["--ports", "2", "--seed", "2"])
        let bulk = Bulk(tree: tree)
        // A list a script left empty built the whole tree.
        let empty = tree.path("empty.list")
        try writeFile(empty, "# nothing today\n\n")
        for args in [["-P", empty], [empty]] {
            let r = try bulk.run(["-x"] + args)
            XCTAssertEqual(r.exitCode, 2, r.output)
            XCTAssertTrue(r.stderr.contains("\(empty): the path list names no pkgpath (give -a to build the whole tree)"),
                          r.stderr)
        }
        XCTAssertEqual(readFile(tree.portsDir + "/.built.log") ?? "", "", "something was built")
        // Invalid UTF-8 was reported as "cannot read path list".
        let binary = tree.path("binary.list")
        XCTAssertTrue(FileManager.default.createFile(atPath: binary,
                                                     contents: Data("devel/p0001\n".utf8) + Data([0xFF, 0xFE, 0x0A])))
        let r = try bulk.run(["-x", "-P", binary])
        XCTAssertEqual(r.exitCode, 2, r.output)
        XCTAssertTrue(r.stderr.contains("\(binary):2: not UTF-8 text"), r.stderr)
        let dir = try bulk.run(["-x", "-P", tree.root])
        XCTAssertEqual(dir.exitCode, 2, dir.output)
        XCTAssertTrue(dir.stderr.contains("\(tree.root): cannot read path list: it is a directory"), dir.stderr)
    }

    func testHostileBuildTimesAreSkippedOrRefusedNotTrappedOn() throws {
        let tree = try TreeFixture(["--ports", "3", "--seed", "2"])
        let bulk = Bulk(tree: tree)
        let first = try bulk.run(["-x"])
        XCTAssertEqual(first.exitCode, 0, first.output)
        let statsDir = tree.portsDir + "/distfiles/build-stats"
        let stats = statsDir + "/" + (try XCTUnwrap(listDirectory(statsDir).first { !$0.contains("-") }))
        let good = readFile(stats) ?? ""
        let port = try XCTUnwrap(tree.manifest.ports.first).pkgpath
        // Each of these trapped (a Double out of Int range) a build or simulate.
        for hostile in ["time=1e308 size=5 ts=1", "time=1 size=5 ts=1e308", "time=1e300 size=5 ts=-1e300"] {
            try writeFile(stats, good + String(repeating: "\(port) host=localhost \(hostile)\n", count: 11))
            // Built again, so the statistics are read, weighed and compacted.
            removeTree(tree.portsDir + "/packages")
            let r = try bulk.run(["-x"])
            assertNoTrap(r)
            XCTAssertEqual(r.exitCode, 0, "\(hostile): \(r.output)")
            let sim = try bulkbuild(["simulate", "-D", "PORTSDIR=\(tree.portsDir)"])
            assertNoTrap(sim)
            XCTAssertEqual(sim.exitCode, 0, "\(hostile): \(sim.output)")
        }
        let log = tree.path("old-build.log")
        for time in ["1e308", "nan", "1e20"] {
            try writeFile(log, "\(port) localhost/2 \(time) 500 build=1\n")
            let sim = try bulkbuild(["simulate", "-D", "PORTSDIR=\(tree.portsDir)", "-b", log])
            assertNoTrap(sim)
            XCTAssertEqual(sim.exitCode, 0, "-b with \(time): \(sim.output)")
            XCTAssertTrue(sim.stdout.contains("0 path(s) with history"), sim.stdout)
        }
        let weight = try bulkbuild(["simulate", "-D", "PORTSDIR=\(tree.portsDir)", "\(port)=1e300"])
        XCTAssertEqual(weight.exitCode, 2, weight.output)
        XCTAssertTrue(weight.stderr.contains("'\(port)=1e300': pkgpath=value needs a number of seconds (0 to 999999999)"),
                      weight.stderr)
        try writeFile(tree.path("one.list"), port + "\n")
        let scale = try bulkbuild(["simulate", "-D", "PORTSDIR=\(tree.portsDir)", tree.path("one.list") + "*1e300"])
        XCTAssertEqual(scale.exitCode, 2, scale.output)
        XCTAssertTrue(scale.stderr.contains("file*scale needs a positive number up to 1000000"), scale.stderr)
    }

    func testReportNamesTheFileItCannotReadOrWrite() throws {
        let dir = try makeTempDir(prefix: "adv-report")
        defer { removeTree(dir) }
        try writeFile(dir + "/engine.log", "1@100.00: +\n")
        // A stats file named on purpose and missing used to mean "no history".
        let r = try bulkbuild(["report", "-L", dir, "--stats", dir + "/missing", "-o", "-"])
        XCTAssertEqual(r.exitCode, 2, r.output)
        XCTAssertTrue(r.stderr.contains("--stats \(dir)/missing: cannot read that build-stats file: No such file or directory"),
                      r.stderr)
        // The message named only the temporary file beside the output.
        let out = dir + "/no/such/report.html"
        let w = try bulkbuild(["report", "-L", dir, "-o", out])
        XCTAssertEqual(w.exitCode, 1, w.output)
        XCTAssertTrue(w.stderr.contains("bulkbuild report: cannot write \(out): "), w.stderr)
        XCTAssertTrue(w.stderr.contains("No such file or directory"), w.stderr)
    }

    func testAnInterruptDuringPrintDataEndsTheMakeGroupAndSaysSo() throws {
        let dir = try makeTempDir(prefix: "adv-printdata")
        defer { removeTree(dir) }
        // print-data hangs; its sleep records its pid so the test can see it end.
        try writeFile(dir + "/Makefile", ".SILENT:\nprint-data:\n\tsh -c 'echo $$$$ > \(dir)/sleeper; exec sleep 60'\n")
        for (sig, name) in [(SIGINT, "Interrupt"), (SIGTERM, "Terminated")] {
            unlink(dir + "/sleeper")
            let p = ChildProcess([try Products.bulkbuild(), "-D", "PORTSDIR=\(dir)", "-L", dir + "/logs"],
                                 stdoutPath: dir + "/out", stderrPath: dir + "/err")
            try p.start()
            let started = waitUntil(timeout: 20) { !p.isRunning || Int32(readFile(dir + "/sleeper")?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") != nil }
            XCTAssertTrue(started && p.isRunning, "print-data did not start: \(readFile(dir + "/err") ?? "")")
            let sleeper = try XCTUnwrap(Int32(readFile(dir + "/sleeper")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
            // To bulkbuild alone, as `kill` would: make runs in a group of its own.
            p.signal(sig, group: false)
            let r = p.finish(timeout: 20)
            XCTAssertEqual(r.exitCode, 128 + sig, r.output)
            XCTAssertTrue(r.stderr.contains("bulkbuild: \(name): stopped during make print-data"), r.stderr)
            // It used to stay behind for its whole minute.
            XCTAssertTrue(waitUntil(timeout: 5) { kill(sleeper, 0) != 0 }, "print-data's sleep \(sleeper) outlived bulkbuild")
        }
    }

    /// Replaces `old` by `new` in a gentree port's data file.
    private func edit(_ tree: TreeFixture, _ pkgpath: String, _ old: String, _ new: String) throws {
        let data = tree.treePath(pkgpath + "/data")
        let text = try XCTUnwrap(readFile(data))
        XCTAssertTrue(text.contains(old), text)
        try writeFile(data, text.replacingOccurrences(of: old, with: new))
    }

    func testTwoDirectoriesWithOneFullpkgnameAreNamedAndTheNameIsBuiltOnce() throws {
        let tree = try TreeFixture(["--ports", "4", "--seed", "1"])
        // lang/p0002 claims devel/p0001's name; it used to count as built
        // from devel/p0001's package without a word.
        try edit(tree, "lang/p0002", "lang/p0002.FULLPKGNAME=p0002-1.4", "lang/p0002.FULLPKGNAME=p0001-1.4")
        try edit(tree, "lang/p0002", "@PKGS=\"p0002-1.4.tgz\"", "@PKGS=\"p0001-1.4.tgz\"")
        let bulk = Bulk(tree: tree)
        let r = try bulk.run(["-x"])
        assertNoTrap(r)
        XCTAssertEqual(r.exitCode, 1, r.output)
        let bang = bulk.engineLines("!").filter { $0.contains("same FULLPKGNAME p0001-1.4 as ") }
        XCTAssertEqual(bang.count, 1, bulk.file("engine.log"))
        XCTAssertTrue(bang.allSatisfy { $0.contains("devel/p0001") && $0.contains("lang/p0002") }, "\(bang)")
        XCTAssertTrue(r.stdout.contains("same FULLPKGNAME p0001-1.4 as "), r.output)
        let built = tree.builtLog().map(\.fullpkgpath).filter { $0 == "devel/p0001" || $0 == "lang/p0002" }
        XCTAssertEqual(built.count, 1, "one package file, made once: \(built)")
    }

    func testADependencyCycleIsNamedInTheSummaryAndEngineLog() throws {
        let tree = try TreeFixture(["--ports", "4", "--seed", "1"])
        // x11/p0004 depends on devel/p0001: closing the loop.
        try edit(tree, "devel/p0001", "devel/p0001.DPB_PROPERTIES=parallel",
                 "devel/p0001.DPB_PROPERTIES=parallel\ndevel/p0001.BUILD_DEPENDS=x11/p0004")
        let bulk = Bulk(tree: tree)
        let r = try bulk.run(["-x"])
        assertNoTrap(r)
        XCTAssertEqual(r.exitCode, 1, r.output)
        let cycle = "dependency cycle: devel/p0001 -> x11/p0004 -> devel/p0001"
        XCTAssertTrue(r.stdout.contains(cycle + " (never built)"), r.output)
        XCTAssertTrue(r.stdout.contains("broken: x11/p0004: " + cycle), r.output)
        XCTAssertFalse(r.stdout.contains("not built:"), r.output)
        XCTAssertTrue(bulk.engineLines("!").contains { $0.hasSuffix("devel/p0001 " + cycle) }, bulk.file("engine.log"))
        XCTAssertTrue(tree.hasPackage("p0002-1.4"), "what is outside the cycle is built")

        // simulate says the same, and leaves the cycle out of its figures
        // (it used to say nothing and count it in the bounds).
        let sim = try bulkbuild(["simulate", "-D", "PORTSDIR=\(tree.portsDir)", "-L", tree.path("sim-logs"), "--json"])
        assertNoTrap(sim)
        XCTAssertEqual(sim.exitCode, 0, sim.output)
        XCTAssertTrue(sim.stderr.contains("bulkbuild simulate: broken: x11/p0004: " + cycle), sim.stderr)
        XCTAssertTrue(sim.stderr.contains("bulkbuild simulate: broken: devel/p0001: " + cycle), sim.stderr)
        XCTAssertFalse(sim.stdout.contains("devel/p0001"), "a broken path on the busiest path: \(sim.stdout)")
    }

    func testRemovingTheLockAnEarlierRunsFailureLeftIsAHotFixWithItsLine() throws {
        let tree = try TreeFixture(["--ports", "4", "--seed", "1", "--fail", "www/p0003"])
        let bulk = Bulk(tree: tree)
        let first = try bulk.run(["-x"])
        XCTAssertEqual(first.exitCode, 1, first.output)
        let lock = bulk.lockdir + "/www.p0003"
        XCTAssertTrue((readFile(lock) ?? "").contains("status="), "no error lock")
        // The next run finds it locked (L), waits (-q), and the lock is
        // removed by hand after the fix: it used to be requeued silently.
        let p = try bulk.start(["-x", "-q"])
        XCTAssertTrue(waitUntil(timeout: 60) { bulk.engineLines("L").contains { $0.contains(" www/p0003 ") } || !p.isRunning },
                      bulk.file("engine.log"))
        XCTAssertTrue(p.isRunning, p.stdout + p.stderr)
        try tree.setFail("www/p0003", false)
        XCTAssertEqual(unlink(lock), 0)
        let status = p.wait(timeout: 90)
        XCTAssertEqual(status?.exitCode, 0, p.stdout + p.stderr)
        XCTAssertTrue(p.stdout.contains("hot-fix: www/p0003 queued again"), p.stdout)
        XCTAssertTrue(bulk.file("engine.log").contains("T: www/p0003 hot-fix"), bulk.file("engine.log"))
        XCTAssertTrue(tree.hasPackage("p0004-1.8"))
    }

    func testAnEmptyFileNameIsRefusedNamingTheOption() throws {
        let dir = try makeTempDir(prefix: "adv-empty")
        defer { removeTree(dir) }
        // "-L ''" said "bulkbuild: : cannot create directory: No such file or directory".
        for opt in ["-L", "-l", "-b", "-P", "-h", "-S", "-C", "-I", "-X"] {
            let r = try bulkbuild(["-D", "PORTSDIR=\(dir)/nonexistent", "-L", dir + "/logs", opt, ""])
            assertNoTrap(r)
            XCTAssertEqual(r.exitCode, 2, "\(opt): \(r.output)")
            XCTAssertTrue(r.stderr.contains("option '\(opt)' needs a file or directory name, got an empty one"),
                          "\(opt): \(r.stderr)")
        }
        XCTAssertFalse(fileExists(dir + "/logs"), "the run started")
    }

    func testAHostNameLongerThanDNSAllowsNamesTheLine() throws {
        let dir = try makeTempDir(prefix: "adv-longhost")
        defer { removeTree(dir) }
        let hosts = dir + "/hosts"
        // It was taken, went down at once, and its init log name was too long.
        for name in [String(repeating: "a", count: 300), String(repeating: "b", count: 64) + ".example"] {
            try writeFile(hosts, "localhost\n\(name) jobs=1\n")
            let r = try bulkbuild(["-D", "PORTSDIR=\(dir)/nonexistent", "-L", dir + "/logs", "-h", hosts])
            XCTAssertEqual(r.exitCode, 2, r.output)
            XCTAssertTrue(r.stderr.contains("\(hosts):2: host name '\(name.prefix(40))...' is longer than a host name can be"),
                          r.stderr)
        }
    }

    func testAPortTheTreePrintsUnderNoValidPathFailsTheRunNamingIt() throws {
        let tree = try TreeFixture(["--ports", "4", "--seed", "1"])
        // The whole tree's listing prints a port bulkbuild cannot name: it
        // was dropped without a word and the run ended "everything built".
        let data = tree.treePath("x11/p0004/data")
        try writeFile(data, (readFile(data) ?? "") + "===> devel/a b\ndevel/a b.FULLPKGNAME=a-1\n")
        let bulk = Bulk(tree: tree)
        let r = try bulk.run(["-x"])
        assertNoTrap(r)
        XCTAssertEqual(r.exitCode, 1, r.output)
        XCTAssertTrue(r.stdout.contains("listing: the tree printed a port that cannot be named: invalid pkgpath 'devel/a b': "
                                        + "character ' ' is not allowed"), r.output)
        XCTAssertTrue(tree.hasPackage("p0004-1.8"), "the rest is built")
    }

    func testAHostsFileErrorQuotesBinaryAndHugeWordsShortAndEscaped() throws {
        let dir = try makeTempDir(prefix: "adv-hostwords")
        defer { removeTree(dir) }
        let hosts = dir + "/hosts"
        // The whole 1 MB word, or the raw bytes, went into the message.
        let cases: [(Data, String)] = [
            (Data("localhost jobs=1 \(String(repeating: "x", count: 1 << 20))\n".utf8), "\(hosts):1: expected key=value, got 'xxx"),
            (Data("localhost\nb\u{1b}[2J\u{7}host jobs=1\n".utf8), "\(hosts):2: expected a host name"),
        ]
        for (bytes, start) in cases {
            XCTAssertTrue(FileManager.default.createFile(atPath: hosts, contents: bytes))
            let r = try bulkbuild(["-D", "PORTSDIR=\(dir)/nonexistent", "-L", dir + "/logs", "-h", hosts])
            assertNoTrap(r)
            XCTAssertEqual(r.exitCode, 2, r.output)
            XCTAssertTrue(r.stderr.contains(start), String(r.stderr.prefix(500)))
            XCTAssertLessThan(r.stderr.utf8.count, 1000, "the message quotes the whole word")
            XCTAssertFalse(r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, r.stderr)
        }
    }

    func testErrorsQuotingAPathListOrSizeFileAreShortAndEscaped() throws {
        let dir = try makeTempDir(prefix: "adv-quotes")
        defer { removeTree(dir) }
        // Each message carried the raw escape sequence, or the whole 2 MB line.
        let list = dir + "/list"
        let sizes = dir + "/sizes"
        try writeFile(dir + "/Makefile", ".SILENT:\nprint-data:\n\techo PACKAGE_REPOSITORY=\(dir)/packages\n")
        try writeFile(sizes, "devel/a(a-1) size=1 ts=1\n\u{1b}[2Jjunk\n")
        let cases: [([String], String, String)] = [
            (["-P", list], "devel/a\ndevel/x\u{1b}[2Jevil\n", "\(list):2: invalid pkgpath 'devel/x\\u{1b}[2Jevil'"),
            (["-P", list], "devel/" + String(repeating: "y", count: 2 << 20) + "$\n", "\(list):1: invalid pkgpath 'devel/yyy"),
            // A name no directory can have: it went to make as a 4 MB environment.
            (["-P", list], "devel/" + String(repeating: "y", count: 2 << 20) + "\n", "a component of 2097152 bytes (a directory name has at most 255)"),
            (["-s", "-S", sizes], "", "\(sizes):2: expected FULLPKGPATH(PKGNAME) size=KILOBYTES ts=EPOCH, not '\\u{1b}[2Jjunk'"),
        ]
        for (args, text, start) in cases {
            try writeFile(list, text)
            let r = try bulkbuild(["-D", "PORTSDIR=\(dir)", "-L", dir + "/logs"] + args)
            assertNoTrap(r)
            XCTAssertEqual(r.exitCode, 2, String(r.output.prefix(500)))
            XCTAssertTrue(r.stderr.contains(start), String(r.stderr.prefix(500)))
            XCTAssertLessThan(r.stderr.utf8.count, 3000)
            XCTAssertFalse(r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, r.stderr)
        }
    }
}
