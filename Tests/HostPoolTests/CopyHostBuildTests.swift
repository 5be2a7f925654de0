// Copy hosts end to end: the real bulkbuild, sshd servers in network
// namespaces whose view of the file system is their own (an empty tmpfs
// over the test's work directory hides the master's tree, distfiles,
// repository and logs there), so everything a job needs must travel over
// the agent channel, and every package must come back.
import CPosix
import Foundation
@testable import HostPool
import XCTest

final class CopyHostBuildTests: SSHBuildTestCase {
    var net: NetnsFixture!
    /// Root-side veth and sshd pid (its mount namespace) of each copy host.
    var hosts: [String: (veth: String, pid: pid_t)] = [:]

    override func tearDown() {
        net?.tearDown()
        super.tearDown()
    }

    func startCopyHosts(_ names: [(Int, String)]) throws {
        net = try NetnsFixture(ssh: ssh)
        for (n, alias) in names {
            let veth = try net.addHost(n, alias: alias, hiding: [work])
            hosts[alias] = (veth, try XCTUnwrap(ssh.servers.last?.pid))
        }
        // The master's files must really be out of sight there.
        for (alias, h) in hosts {
            let r = runCommand(["nsenter", "-t", "\(h.pid)", "-m", "--", "ls", "-A", work])
            guard r.status == 0 else { throw XCTSkip("nsenter into \(alias)'s mount namespace failed: \(r.output)") }
            XCTAssertEqual(r.output.trimmingSpaces(), "", "\(alias) sees the master's work directory")
        }
    }

    /// SHA-256 of files as a copy host sees them (nil: it has none there).
    func hostDigests(_ alias: String, _ paths: [String]) -> [String: String] {
        guard let pid = hosts[alias]?.pid, !paths.isEmpty else { return [:] }
        let r = runCommand(["nsenter", "-t", "\(pid)", "-m", "--", "sha256sum"] + paths)
        return digestLines(r.output)
    }

    func masterDigests(_ paths: [String]) -> [String: String] {
        paths.isEmpty ? [:] : digestLines(runCommand(["sha256sum"] + paths).output)
    }

    func digestLines(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].count == 64 { out[parts[1].trimmingSpaces()] = String(parts[0]) }
        }
        return out
    }

    func packageFiles(_ repo: String) -> [String] {
        let all = repo + "/" + machineName() + "/all"
        return ((try? FileManager.default.contentsOfDirectory(atPath: all)) ?? []).filter { $0.hasSuffix(".tgz") }
            .sorted().map { all + "/" + $0 }
    }

    /// Host of each build.log line's path (`PATH HOST/...`).
    func builtOn(_ logdir: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in logLines(logdir, "build.log") where !line.hasSuffix("!") {
            let f = line.split(separator: " ")
            if f.count > 1 { out[String(f[0])] = String(f[1].split(separator: "/")[0]) }
        }
        return out
    }

    /// `sent PATH` lines of every port log, by the host the attempt ran on.
    func sentFiles(_ logdir: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        let e = FileManager.default.enumerator(atPath: logdir + "/paths")
        while let rel = e?.nextObject() as? String {
            guard rel.hasSuffix(".log"), let text = readWholeFile(logdir + "/paths/" + rel) else { continue }
            var host = ""
            for line in text.split(separator: "\n") {
                if line.hasPrefix(">>> Building on ") { host = String(line.split(separator: " ")[3]) }
                if line.hasPrefix("   sent ") { out[host, default: []].append(String(line.split(separator: " ")[1])) }
            }
        }
        return out
    }

    /// Every package on the master came back identical from where it was
    /// built; every dependency package went to each host at most once.
    func checkCopies(logdir: String, repo: String, copyHosts: [String], file: StaticString = #filePath, line: UInt = #line) {
        let where_ = builtOn(logdir)
        let master = masterDigests(packageFiles(repo))
        XCTAssertFalse(master.isEmpty, file: file, line: line)
        for alias in copyHosts {
            let built = Set(where_.filter { $0.value == alias }.keys)
            XCTAssertFalse(built.isEmpty, "\(alias) built nothing", file: file, line: line)
            let there = hostDigests(alias, Array(master.keys))
            var compared = 0
            for (path, sum) in there {
                XCTAssertEqual(sum, master[path], "\(path) differs between the master and \(alias)", file: file, line: line)
                compared += 1
            }
            XCTAssertGreaterThan(compared, built.count - 1, "\(alias) has fewer packages than it built", file: file, line: line)
            let sent = sentFiles(logdir)[alias] ?? []
            XCTAssertFalse(sent.isEmpty, "nothing was sent to \(alias)", file: file, line: line)
            XCTAssertEqual(sent.count, Set(sent).count,
                           "sent twice to \(alias): \(Dictionary(grouping: sent, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted())",
                           file: file, line: line)
        }
        let parts = (try? FileManager.default.contentsOfDirectory(atPath: repo + "/" + machineName() + "/all")) ?? []
        XCTAssertFalse(parts.contains { $0.hasPrefix(".bulkbuild-part") }, "\(parts)", file: file, line: line)
    }

    func testAGeneratedTreeOf150PortsBuildsOnCopyHostsBesideThisOne() throws {
        try startCopyHosts([(2, "c2"), (3, "c3")])
        let tree = try makeTree(["--ports", "150", "--seed", "44", "--sleep", "0.05", "--multi", "3", "--flavored", "3"])
        writeFile("\(work)/hosts", "localhost jobs=1\nDEFAULT copy=1 jobs=2\nc2\nc3\n")
        let check = runCommand([try productPath("bulkbuild"), "hosts", "test", "-h", "\(work)/hosts",
                                "-D", "PORTSDIR=\(tree)", "-D", "SSH_CONFIG=\(ssh.configPath)", "-L", work + "/check"])
        XCTAssertEqual(check.status, 0, check.output)
        XCTAssertTrue(check.output.contains("copied over ssh (copy=1)") && check.output.contains("will be created"), check.output)
        let started = cp_monotonic()
        let (pid, logdir) = try startRun(tree)
        defer { kill(-pid, SIGKILL) }
        XCTAssertEqual(wait(pid, timeout: 600), 0, failureText(logdir))
        let seconds = cp_monotonic() - started
        XCTAssertEqual(Set(builtOn(logdir).keys).count, logLines(logdir, "build.log").count)
        checkCopies(logdir: logdir, repo: tree + "/packages", copyHosts: ["c2", "c3"])
        let hostsLog = logLines(logdir, "hosts.log")
        XCTAssertTrue(hostsLog.contains { $0.contains("c2 mirrored \(tree): ") }, hostsLog.joined(separator: "\n"))
        XCTAssertTrue(hostsLog.contains { $0.contains("c3 transfers: sent ") })
        reportOverhead(logdir, seconds: seconds, what: "150-port gentree, localhost + 2 copy hosts")
    }

    func testTheDemoTreeBuildsOnACopyHost() throws {
        try startCopyHosts([(2, "c2")])
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("ports").path
        let tree = work + "/demo"
        XCTAssertEqual(runCommand(["cp", "-R", source, tree]).status, 0)
        for generated in [".work", "packages", "distfiles", "logs", "mk.conf"] {
            _ = runCommand(["rm", "-rf", tree + "/" + generated])
        }
        writeFile("\(work)/hosts", "c2 copy=1 jobs=3\n")
        let started = cp_monotonic()
        let (pid, logdir) = try startRun(tree)
        defer { kill(-pid, SIGKILL) }
        XCTAssertEqual(wait(pid, timeout: 600), 0, failureText(logdir))
        checkCopies(logdir: logdir, repo: tree + "/packages", copyHosts: ["c2"])
        reportOverhead(logdir, seconds: cp_monotonic() - started, what: "demo tree, 1 copy host")
    }

    func testALinkCutDuringATransferDamagesNothingAndTheJobIsRedoneElsewhere() throws {
        try startCopyHosts([(2, "c2"), (3, "c3")])
        let tree = try makeTree(["--ports", "40", "--seed", "45", "--sleep", "0.5"])
        // A slow link to c3, so that its tree mirror is surely under way.
        let c3 = try XCTUnwrap(hosts["c3"]?.veth)
        let slow = runCommand(["tc", "qdisc", "add", "dev", c3, "root", "tbf", "rate", "80kbit",
                               "burst", "32kbit", "latency", "1s"])
        guard slow.status == 0 else { throw XCTSkip("tc tbf is not available: \(slow.output)") }
        writeFile("\(work)/hosts", "localhost jobs=1\nDEFAULT copy=1 jobs=2\nc2\nc3\n")
        let (pid, logdir) = try startRun(tree)
        defer { kill(-pid, SIGKILL) }
        XCTAssertTrue(waitFor(90) { logLines(logdir, "engine.log").contains { $0.contains(": J: ") && $0.hasSuffix(" c3") } },
                      "c3 never got a job")
        let first = try XCTUnwrap(logLines(logdir, "engine.log").first { $0.contains(": J: ") && $0.hasSuffix(" c3") },
                                  logLines(logdir, "hosts.log").joined(separator: "\n"))
        let path = String(first.components(separatedBy: ": J: ")[1].split(separator: " ")[0])
        XCTAssertFalse(logLines(logdir, "hosts.log").contains { $0.contains("c3 mirrored") }, "the mirror ended too soon")
        net.setLink(c3, up: false)
        XCTAssertTrue(waitFor(60) { logLines(logdir, "engine.log").contains { $0.contains(": N: \(path)") } },
                      "\(path) was not requeued when c3's link went down")
        XCTAssertTrue(waitFor(30) { logLines(logdir, "hosts.log").contains { $0.contains("c3 went down") } })
        XCTAssertTrue(logLines(logdir, "hosts.log").contains { $0.contains("c3 mirroring \(tree) failed: link lost") },
                      logLines(logdir, "hosts.log").joined(separator: "\n"))
        // Redone elsewhere while c3 is away; then c3 comes back.
        XCTAssertTrue(waitFor(120) { builtOn(logdir)[path] != nil }, "\(path) was not redone while c3 was down")
        XCTAssertNotEqual(builtOn(logdir)[path], "c3")
        _ = runCommand(["tc", "qdisc", "del", "dev", c3, "root"])
        net.setLink(c3, up: true)
        XCTAssertEqual(wait(pid, timeout: 400), 0, failureText(logdir))
        let where_ = builtOn(logdir)
        XCTAssertEqual(where_.count, 40)
        XCTAssertNotNil(where_[path], "\(path) was built in the end")
        // The packages on the master are whole: what the tree's package target writes.
        for file in packageFiles(tree + "/packages") {
            XCTAssertTrue((readWholeFile(file) ?? "").hasPrefix("synthetic package "), file)
        }
        checkCopies(logdir: logdir, repo: tree + "/packages", copyHosts: ["c2"])
        // c3's copy of the tree, where it has one, is the master's.
        let data = (try? FileManager.default.subpathsOfDirectory(atPath: tree))?.filter { $0.hasSuffix("/data") }
            .map { tree + "/" + $0 } ?? []
        let there = hostDigests("c3", data)
        let master = masterDigests(data)
        for (p, sum) in there { XCTAssertEqual(sum, master[p], p) }
    }

    /// Benchmark, not a timed assertion: the same tree over two shared
    /// hosts, then over two copy hosts, with localhost beside them.
    /// Run with: BULKBUILD_BENCH=1 swift test --skip-build --filter CopyHostBuildTests/testBenchmark
    func testBenchmarkCopyHostsAgainstSharedHosts() throws {
        guard getenv("BULKBUILD_BENCH") != nil else { throw XCTSkip("benchmark: set BULKBUILD_BENCH=1 to run it") }
        let ports = getenv("BULKBUILD_BENCH_PORTS").flatMap { Int(String(cString: $0)) } ?? 150
        try startCopyHosts([(4, "c4"), (5, "c5")])
        _ = try net.addHost(2, alias: "s2")
        _ = try net.addHost(3, alias: "s3")
        for (kind, hostsText) in [("shared", "s2\ns3\n"), ("copy", "DEFAULT copy=1\nc4\nc5\n")] {
            let tree = try makeTree(["--ports", "\(ports)", "--seed", "46", "--sleep", "0.05", "--multi", "3"],
                                    name: "tree-" + kind)
            writeFile("\(work)/hosts", "localhost jobs=1\nDEFAULT jobs=2\n" + hostsText)
            _ = runCommand(["rm", "-rf", work + "/logs"])
            let started = cp_monotonic()
            let (pid, logdir) = try startRun(tree)
            defer { kill(-pid, SIGKILL) }
            XCTAssertEqual(wait(pid, timeout: 900), 0, failureText(logdir))
            let seconds = cp_monotonic() - started
            let remote = logLines(logdir, "build.log").filter { !$0.contains(" localhost/") }.count
            print(String(format: "copy-host benchmark: %@ hosts, %d ports (%d on the remote hosts) in %.1f s", kind,
                         ports, remote, seconds))
            if kind == "copy" { reportOverhead(logdir, seconds: seconds, what: "\(ports)-port gentree") }
        }
    }

    /// bulkbuild on `tree` with work/hosts, logs in work/logs.
    func startRun(_ tree: String) throws -> (pid_t, String) {
        let logdir = work + "/logs"
        let pid = try startBulkbuild(["-D", "PORTSDIR=\(tree)", "-L", logdir, "-D", "SSH_CONFIG=\(ssh.configPath)",
                                      "-h", "\(work)/hosts"])
        return (pid, logdir)
    }

    /// The run's output and the first failed port's log.
    func failureText(_ logdir: String) -> String {
        let out = readWholeFile("\(work)/run.out") ?? ""
        let failed = logLines(logdir, "build.log").first { $0.hasSuffix("!") }?.split(separator: " ").first
        let log = failed.flatMap { readWholeFile("\(logdir)/paths/\($0).log") } ?? ""
        return String(out.suffix(1500)) + "\n--- first failed log:\n" + String(log.suffix(3000))
    }

    /// Seconds of transfers per job (from hosts.log), printed for
    /// docs/benchmarks.md.
    func reportOverhead(_ logdir: String, seconds: Double, what: String) {
        var jobs = 0, sending = 0.0, back = 0.0, bytes: Int64 = 0, mirror = 0.0
        for line in logLines(logdir, "hosts.log") {
            guard let r = line.range(of: " in "), let s = Double(line[r.upperBound...].dropLast()) else { continue }
            let b = line.components(separatedBy: " bytes")[0].split(separator: " ").last.flatMap { Int64($0) } ?? 0
            if line.contains(" sent for ") { sending += s; jobs += 1; bytes += b }
            else if line.contains(" brought back for ") { back += s; bytes += b }
            else if line.contains(" mirrored ") { mirror += s; bytes += b }
        }
        let n = Double(max(1, jobs))
        print(String(format: "copy-host overhead (%@): %d jobs on copy hosts in %.1f s; per job: sending %.3f s, bringing back %.3f s; tree mirrors %.2f s; %lld bytes",
                     what, jobs, seconds, sending / n, back / n, mirror, bytes))
    }
}
