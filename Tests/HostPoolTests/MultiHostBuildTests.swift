// Whole builds spread over hosts: the real bulkbuild binary, real sshd
// servers on loopback and in network namespaces, and generated trees
// (bulkbuild-gentree). The tree is shared through the file system, as a
// cluster shares it through NFS.
import CPosix
import Foundation
@testable import HostPool
import XCTest

final class MultiHostBuildTests: SSHBuildTestCase {
    func testTreeIsBuiltAcrossLocalhostAndTwoSSHHosts() throws {
        try ssh.startServer(alias: "b1")
        try ssh.startServer(alias: "b2")
        let tree = try makeTree(["--ports", "36", "--seed", "21", "--sleep", "0.4", "--multi", "2"])
        writeFile("\(work)/hosts", "# two ssh hosts and this one\nlocalhost jobs=1\nDEFAULT jobs=2\nb1\nb2 sf=1\n")
        let logdir = work + "/logs"
        let pid = try startBulkbuild(["-D", "PORTSDIR=\(tree)", "-L", logdir, "-D", "SSH_CONFIG=\(ssh.configPath)",
                                      "-h", "\(work)/hosts"])
        let status = wait(pid, timeout: 180)
        XCTAssertEqual(status, 0, readWholeFile("\(work)/run.out") ?? "")
        let hostsUsed = Set(logLines(logdir, "build.log").map { $0.split(separator: " ")[1].split(separator: "/")[0] })
        XCTAssertEqual(hostsUsed, ["localhost", "b1", "b2"], "every host builds")
        XCTAssertTrue(logLines(logdir, "engine.log").contains { $0.contains(": J: ") && $0.hasSuffix(" b1") })
        // Remote output lands in the local per-port log.
        let remote = logLines(logdir, "build.log").first { $0.contains(" b2/") }!
        let path = String(remote.split(separator: " ")[0])
        let log = readWholeFile("\(logdir)/paths/\(path).log") ?? ""
        XCTAssertTrue(log.hasPrefix(">>> Building on b2 under \(path)"), log)
        XCTAssertTrue(log.contains("===> Built \(path)") || log.contains("Built"), log)
        // Each host ran its init job.
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(logdir)/init.b1.log"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(logdir)/init.localhost.log"), "named as in the hosts file")
        XCTAssertTrue(logLines(logdir, "hosts.log").contains { $0.contains("b2 up: user root") })
        // The same bulkbuild is on the host (same file system): one agent
        // channel carries its tasks.
        XCTAssertTrue(logLines(logdir, "hosts.log").contains { $0.contains("b1 up:") && $0.hasSuffix("tasks by agent") },
                      logLines(logdir, "hosts.log").joined(separator: "\n"))
    }

    func testUnknownHostKeyFailsTheHostWithAFix() throws {
        try ssh.startServer(alias: "stranger", trust: false)
        let tree = try makeTree(["--ports", "4", "--seed", "2"])
        writeFile("\(work)/hosts", "stranger jobs=2\n")
        let logdir = work + "/logs"
        let pid = try startBulkbuild(["-D", "PORTSDIR=\(tree)", "-L", logdir, "-D", "SSH_CONFIG=\(ssh.configPath)",
                                      "-h", "\(work)/hosts"])
        let status = wait(pid, timeout: 60)
        XCTAssertEqual(status, 1)
        let out = readWholeFile("\(work)/run.out") ?? ""
        XCTAssertTrue(out.contains("is not known"), out)
        XCTAssertTrue(out.contains("ssh-keyscan"), "the message says how to fix it: \(out)")
        XCTAssertTrue(out.contains("no usable host"), out)
    }

    func testBadHostsFilesNameTheLine() throws {
        let tree = try makeTree(["--ports", "2", "--seed", "1"])
        let cases = [
            ("localhost jobs=2\nb1 colour=blue\n", ":2:"),
            ("# comment\n\nlocalhost jobs=zero\n", ":3:"),
            ("localhost\nlocalhost\n", ":2:"),
            ("bad;host jobs=1\n", ":1:"),
            ("localhost jobs=1\nBOGUS_PARAMETER=1\n", ":2:"),
            ("localhost memory=lots\n", ":1:"),
        ]
        for (text, mark) in cases {
            writeFile("\(work)/hosts", text)
            let r = runCommand([try productPath("bulkbuild"), "-D", "PORTSDIR=\(tree)", "-L", work + "/logs",
                                "-h", "\(work)/hosts"])
            XCTAssertEqual(r.status, 2, text)
            XCTAssertTrue(r.output.contains("\(work)/hosts\(mark)"), "\(text): \(r.output)")
        }
    }

    func testPerHostStopFileKeepsJobsOffThatHost() throws {
        try ssh.startServer(alias: "b1")
        let tree = try makeTree(["--ports", "12", "--seed", "8", "--sleep", "0.2"])
        writeFile("\(work)/hosts", "localhost jobs=2\nb1 jobs=2\n")
        let logdir = work + "/logs"
        _ = mkdir(work + "/logs", 0o755)
        writeFile("\(logdir)/stop-b1", "")
        let pid = try startBulkbuild(["-D", "PORTSDIR=\(tree)", "-L", logdir, "-D", "SSH_CONFIG=\(ssh.configPath)",
                                      "-h", "\(work)/hosts"])
        XCTAssertEqual(wait(pid, timeout: 120), 0, readWholeFile("\(work)/run.out") ?? "")
        XCTAssertFalse(logLines(logdir, "build.log").contains { $0.contains(" b1/") }, "b1 was stopped")
        XCTAssertEqual(logLines(logdir, "build.log").count, 12)
    }

    func testHostCutOffMidBuildIsRequeuedAndUsedAgainWhenItComesBack() throws {
        let net = try NetnsFixture(ssh: ssh)
        defer { net.tearDown() }
        let veth = try net.addHost(2, alias: "n2")
        _ = try net.addHost(3, alias: "n3")
        let tree = try makeTree(["--ports", "60", "--seed", "31", "--sleep", "3", "--max-deps", "1"])
        writeFile("\(work)/hosts", "localhost jobs=1\nn2 jobs=2\nn3 jobs=2\n")
        let logdir = work + "/logs"
        let pid = try startBulkbuild(["-D", "PORTSDIR=\(tree)", "-L", logdir, "-D", "SSH_CONFIG=\(ssh.configPath)",
                                      "-h", "\(work)/hosts"])
        defer { kill(-pid, SIGKILL) }
        XCTAssertTrue(waitFor(60) { logLines(logdir, "engine.log").contains { $0.contains(": J: ") && $0.hasSuffix(" n2") } },
                      "n2 never got a job")
        net.setLink(veth, up: false)
        // Its running jobs end N and go back to the queue; the host is down.
        XCTAssertTrue(waitFor(30) { logLines(logdir, "engine.log").contains { $0.contains(": N: ") } },
                      "no job was requeued after the link went down")
        XCTAssertTrue(waitFor(10) { logLines(logdir, "hosts.log").contains { $0.contains("n2 went down") } })
        let requeued = logLines(logdir, "engine.log").filter { $0.contains(": N: ") }
            .map { String($0.split(separator: " ")[2]) }
        net.setLink(veth, up: true)
        XCTAssertTrue(waitFor(90) { logLines(logdir, "hosts.log").contains { $0.contains("n2 came up") } },
                      "n2 did not come back")
        let cameUp = logLines(logdir, "engine.log").count
        let status = wait(pid, timeout: 240)
        XCTAssertEqual(status, 0, readWholeFile("\(work)/run.out") ?? "")
        let engine = logLines(logdir, "engine.log")
        XCTAssertTrue(engine[cameUp...].contains { $0.contains(": J: ") && $0.hasSuffix(" n2") },
                      "n2 got no job after it came back")
        // The requeued paths were built (elsewhere or later) exactly once.
        let built = logLines(logdir, "build.log").filter { !$0.hasSuffix("!") }.map { String($0.split(separator: " ")[0]) }
        for p in requeued { XCTAssertEqual(built.filter { $0 == p }.count, 1, p) }
        XCTAssertEqual(Set(built).count, 60)
    }

    /// A host that is not reachable when the run starts is tried again, and
    /// once it answers it runs its init job and gets jobs.
    func testAHostThatComesUpLateRunsInitAndGetsJobs() throws {
        let port = freeLoopbackPort()
        ssh.addAlias("late", address: "127.0.0.1", port: port)
        let tree = try makeTree(["--ports", "30", "--seed", "17", "--sleep", "1", "--max-deps", "1"])
        writeFile("\(work)/hosts", "localhost jobs=1\nlate jobs=2\n")
        let logdir = work + "/logs"
        let pid = try startBulkbuild(["-D", "PORTSDIR=\(tree)", "-L", logdir, "-D", "SSH_CONFIG=\(ssh.configPath)",
                                      "-D", "CONNECTION_TIMEOUT=3", "-h", "\(work)/hosts"])
        defer { kill(-pid, SIGKILL) }
        XCTAssertTrue(waitFor(20) { !logLines(logdir, "engine.log").filter { $0.contains(": J: ") }.isEmpty })
        try ssh.startServer(alias: "late", port: port)
        XCTAssertTrue(waitFor(60) { logLines(logdir, "hosts.log").contains { $0.contains("late up:") } },
                      logLines(logdir, "hosts.log").joined(separator: "\n"))
        XCTAssertEqual(wait(pid, timeout: 120), 0, readWholeFile("\(work)/run.out") ?? "")
        XCTAssertTrue(logLines(logdir, "build.log").contains { $0.contains(" late/") }, "the late host got no job")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(logdir)/init.late.log"))
    }

    func testHostsExampleIsAValidHostsFile() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("hosts.example").path
        let file = try HostsFile.load(paths: [example], targetArch: "x86_64", localNames: ["localhost"])
        XCTAssertGreaterThanOrEqual(file.hosts.count, 2)
        XCTAssertTrue(file.hosts.allSatisfy { $0.properties.memory == nil }, "a build refuses memory=")
    }
}
