import XCTest
@testable import HostPool

final class HostsFileTests: XCTestCase {
    func parse(_ text: String, arch: String? = "x86_64", file: String = "hosts") throws -> HostsFile {
        var f = HostsFile()
        try f.parse(text, file: file, targetArch: arch, localNames: ["vm", "vm.example.org"])
        return f
    }

    func assertError(_ text: String, line: Int, contains: String,
                     file: StaticString = #filePath, sourceLine: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: sourceLine) { error in
            guard let e = error as? HostsFileError else { return XCTFail("\(error)", file: file, line: sourceLine) }
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: sourceLine)
            XCTAssertTrue(e.description.hasPrefix("hosts:\(line): "), e.description, file: file, line: sourceLine)
            XCTAssertTrue(e.message.contains(contains), e.description, file: file, line: sourceLine)
        }
    }

    func testEveryPropertyDefaultsAndParameters() throws {
        let f = try parse("""
            # a comment
            STARTUP=/usr/local/bin/startup  with spaces  # cut here

            CONNECTION_TIMEOUT=20
            DEFAULT junk=200 small=60
            localhost
            builder1 jobs=8 sf=2.5 stuck=3600 arch=x86_64 memory=4G parallel=4 small=30 junk=0 timeout=9 always_clean=1
            ports@b2.example.org parallel=/3 memory=512 always_clean=0
            DEFAULT sf=3
            [fd00::42]
            """)
        XCTAssertEqual(f.parameters.map(\.name), ["STARTUP", "CONNECTION_TIMEOUT"])
        XCTAssertEqual(f.parameterValues["STARTUP"], "/usr/local/bin/startup  with spaces")
        XCTAssertEqual(f.parameters[1].origin, "hosts:4")
        XCTAssertEqual(f.hosts.map(\.name), ["localhost", "builder1", "ports@b2.example.org", "[fd00::42]"])

        let local = f.hosts[0]
        XCTAssertTrue(local.isLocal)
        XCTAssertNil(local.properties.jobs)
        XCTAssertEqual(local.properties.junk, 200)
        XCTAssertEqual(local.properties.small, 60)
        XCTAssertEqual(local.properties.sf, 1)
        XCTAssertEqual(local.properties.parallel, .fraction(2))
        XCTAssertEqual(local.origin, "hosts:6")

        let b1 = f.hosts[1].properties
        XCTAssertFalse(f.hosts[1].isLocal)
        XCTAssertEqual(b1.jobs, 8)
        XCTAssertEqual(b1.sf, 2.5)
        XCTAssertEqual(b1.stuck, 3600)
        XCTAssertEqual(b1.arch, "x86_64")
        XCTAssertEqual(b1.memory, 4 * 1024 * 1024)
        XCTAssertEqual(b1.parallel, .cores(4))
        XCTAssertEqual(b1.small, 30)
        XCTAssertEqual(b1.junk, 0)
        XCTAssertEqual(b1.timeout, 9)
        XCTAssertEqual(b1.alwaysClean, true)

        let b2 = f.hosts[2]
        XCTAssertEqual(b2.user, "ports")
        XCTAssertEqual(b2.address, "b2.example.org")
        XCTAssertEqual(b2.properties.parallel, .fraction(3))
        XCTAssertEqual(b2.properties.parallel.cores(forJobs: 12), 4)
        XCTAssertEqual(b2.properties.parallel.cores(forJobs: 3), 2)
        // Never more than the host's jobs, as the manual says.
        XCTAssertEqual(ParallelSetting.cores(3).cores(forJobs: 1), 1)
        XCTAssertEqual(ParallelSetting.cores(8).cores(forJobs: 4), 4)
        XCTAssertEqual(ParallelSetting.fraction(2).cores(forJobs: 1), 1)
        XCTAssertEqual(ParallelSetting.cores(0).cores(forJobs: 4), 1)
        var one = HostProperties()
        one.jobs = 1
        one.parallel = .cores(3)
        XCTAssertEqual(HostsCheck.jobsLine(one, jobs: 1), "1, parallel 3 = 1 core, sf 1.0")
        XCTAssertEqual(b2.properties.memory, 512)
        XCTAssertEqual(b2.properties.alwaysClean, false)
        XCTAssertEqual(b2.properties.junk, 200)

        XCTAssertEqual(f.hosts[3].address, "fd00::42")
        XCTAssertEqual(f.hosts[3].properties.sf, 3)       // second DEFAULT adds up
        XCTAssertEqual(f.hosts[3].properties.junk, 200)
        // This machine's own name is local too.
        let vm = try parse("vm jobs=1\n")
        XCTAssertTrue(vm.hosts[0].isLocal)
        XCTAssertEqual(vm.hosts[0].properties.jobs, 1)
    }

    func testThisMachineUnderTwoNamesIsListedOnce() {
        // Both would run here, with twice the slots and one LOCALBASE.
        assertError("localhost\nremote\nvm\n", line: 3, contains: "vm is this machine, already listed as localhost at hosts:1")
        assertError("VM.example.org jobs=1\nlocalhost\n", line: 2, contains: "localhost is this machine, already listed as VM.example.org at hosts:1")
        // The same name through ssh (user@) is a remote host, as before.
        XCTAssertEqual(try? parse("localhost\nbuilder@vm\n").hosts.map(\.isLocal), [true, false])
    }

    func testArchSkipsWithNote() throws {
        let f = try parse("a arch=x86_64\nb arch=aarch64\nDEFAULT arch=sparc64\nc\n")
        XCTAssertEqual(f.hosts.map(\.name), ["a"])
        XCTAssertEqual(f.notes.count, 2)
        XCTAssertEqual(f.notes[0], "hosts:2: skipping b: arch=aarch64, building for x86_64")
        XCTAssertTrue(f.notes[1].hasPrefix("hosts:4: skipping c"))
        XCTAssertEqual(try parse("b arch=aarch64", arch: nil).hosts.count, 1)
    }

    func testLocalHostDeclaringAnotherArchIsRefused() throws {
        // -A aarch64 on an x86_64 machine: the remote aarch64 host stays,
        // this machine claiming aarch64 does not.
        var f = HostsFile()
        try f.parse("localhost arch=aarch64\nvm arch=aarch64\nremote arch=aarch64\n", file: "hosts",
                    targetArch: "aarch64", localNames: ["vm"], localArch: "x86_64")
        XCTAssertEqual(f.hosts.map(\.name), ["remote"])
        XCTAssertEqual(f.notes, [
            "hosts:1: refusing localhost: it is this machine, whose architecture is x86_64, but it declares arch=aarch64",
            "hosts:2: refusing vm: it is this machine, whose architecture is x86_64, but it declares arch=aarch64",
        ])
        // Declaring its real architecture, or none, is fine.
        var g = HostsFile()
        try g.parse("localhost arch=x86_64\nremote\n", file: "hosts", targetArch: "x86_64",
                    localNames: ["vm"], localArch: "x86_64")
        XCTAssertEqual(g.hosts.map(\.name), ["localhost", "remote"])
        var h = HostsFile()
        try h.parse("vm\n", file: "hosts", targetArch: "x86_64", localNames: ["vm"], localArch: "x86_64")
        XCTAssertEqual(h.hosts.map(\.name), ["vm"])
    }

    func testArchitectureNamesAreDirectoryNamesOnly() {
        for good in ["amd64", "x86_64", "aarch64", "arm-v7"] { XCTAssertTrue(HostsFile.isArchName(good), good) }
        for bad in ["", "../x", "x86 64", "x86_64;rm", "a/b", ".", "amd64\n"] { XCTAssertFalse(HostsFile.isArchName(bad), bad) }
    }

    func testBadFilesGiveTheLine() {
        assertError("a\n\nb colour=blue\n", line: 3, contains: "unknown property 'colour'")
        assertError("a jobs=0\n", line: 1, contains: "jobs: expected")
        assertError("# x\na jobs=two\n", line: 2, contains: "jobs: expected")
        assertError("a\nb sf=0\n", line: 2, contains: "sf: expected")
        assertError("a sf=fast\n", line: 1, contains: "sf: expected")
        assertError("a stuck=-1\n", line: 1, contains: "stuck: expected")
        assertError("a arch=x/y\n", line: 1, contains: "arch: expected")
        assertError("a memory=lots\n", line: 1, contains: "memory: expected")
        assertError("a parallel=/0\n", line: 1, contains: "parallel: expected")
        assertError("a parallel=x\n", line: 1, contains: "parallel: expected")
        // As -p 0: a parallel port needs at least one core.
        assertError("a parallel=0\n", line: 1, contains: "parallel: expected")
        // A speed factor is a plain decimal number, not hex or an exponent.
        assertError("a sf=0x10\n", line: 1, contains: "sf: expected")
        assertError("a sf=1e2\n", line: 1, contains: "sf: expected")
        assertError("a sf=nan\n", line: 1, contains: "sf: expected")
        assertError("a small=-3\n", line: 1, contains: "small: expected")
        assertError("a junk=no\n", line: 1, contains: "junk: expected")
        assertError("a timeout=0\n", line: 1, contains: "timeout: expected")
        assertError("a always_clean=yes\n", line: 1, contains: "always_clean: expected 0 or 1")
        assertError("a jobs\n", line: 1, contains: "expected key=value")
        assertError("DEFAULT bogus=1\n", line: 1, contains: "unknown property")
        assertError("a\nb\n\nA\n", line: 4, contains: "already listed at hosts:1")
        assertError("host;rm\n", line: 1, contains: "expected a host name")
        assertError("-oProxyCommand=x\n", line: 1, contains: "expected a parameter")
        assertError("x -oProxyCommand=x\n", line: 1, contains: "unknown property")
        assertError("-evil\n", line: 1, contains: "expected a host name")
        assertError("a$(id)\n", line: 1, contains: "expected a host name")
        assertError("[not:v6:zz]\n", line: 1, contains: "expected a host name")
        assertError("host:22\n", line: 1, contains: "expected a host name")
        assertError("@host\n", line: 1, contains: "expected a host name")
        assertError("BAD-NAME=1\n", line: 1, contains: "expected a parameter")
        // Host names end up in log and lock file names and on ssh's command line.
        for name in ["../x", "a/b", "..", ".hidden", "u@..", "..@h", "a\u{0}b", "a\u{1b}b", "a`id`", "h\u{e9}"] {
            assertError("ok\n\(name) jobs=1\n", line: 2, contains: "expected a host name")
        }
    }

    func testCRLFLinesAndCommentsEndWhereExpected() throws {
        let f = try parse("JOBS_HINT=2 \r\nDEFAULT jobs=2\r\na sf=2\r\n# c\r\nb # note\r\n")
        XCTAssertEqual(f.hosts.map(\.name), ["a", "b"])
        XCTAssertEqual(f.hosts.map { $0.properties.jobs }, [2, 2])
        XCTAssertEqual(f.parameterValues["JOBS_HINT"], "2")
        assertError("a\r\nb jobs=x\r\n", line: 2, contains: "jobs: expected a number of jobs >= 1, got 'x'")
    }

    func testSeveralFilesAndDuplicatesAcrossThem() throws {
        var f = HostsFile()
        try f.parse("DEFAULT jobs=3\na\n", file: "one", targetArch: nil, localNames: [])
        try f.parse("b\n", file: "two", targetArch: nil, localNames: [])
        XCTAssertEqual(f.hosts.map { $0.properties.jobs }, [3, nil])   // DEFAULT is per file
        XCTAssertThrowsError(try f.parse("\na\n", file: "three", targetArch: nil, localNames: [])) {
            XCTAssertEqual("\($0)", "three:2: host a is already listed at one:2")
        }
        XCTAssertThrowsError(try HostsFile.load(paths: ["/nonexistent/hosts"], targetArch: nil, localNames: [])) {
            XCTAssertEqual("\($0)", "/nonexistent/hosts: cannot read the hosts file")
        }
    }

    func testShellQuoting() {
        XCTAssertEqual(shellQuote("make"), "make")
        XCTAssertEqual(shellQuote(""), "''")
        XCTAssertEqual(shellQuote("a b"), "'a b'")
        XCTAssertEqual(shellQuote("it's"), "'it'\\''s'")
        XCTAssertEqual(shellCommand(argv: ["make", "-C", "/usr/ports"], environment: ["SUBDIR": "a/b c", "PHASE": "build"]),
                       "env PHASE=build 'SUBDIR=a/b c' make -C /usr/ports")
    }

    func testOptions() {
        guard case .success(let o) = HostsCheckOptions.parse(["status", "-h", "a", "-hb", "-D", "X=1", "-L", "/tmp/l"]) else {
            return XCTFail()
        }
        XCTAssertEqual(o.mode, .status)
        XCTAssertEqual(o.hostsFiles, ["a", "b"])
        XCTAssertEqual(o.defines, ["X": "1"])
        XCTAssertEqual(o.logDir, "/tmp/l")
        if case .success = HostsCheckOptions.parse(["test"]) { XCTFail("no -h accepted") }
        if case .success = HostsCheckOptions.parse(["frob", "-h", "a"]) { XCTFail("bad mode accepted") }
        if case .success = HostsCheckOptions.parse(["test", "-h", "a", "-D", "novalue"]) { XCTFail("bad -D accepted") }
    }
}
