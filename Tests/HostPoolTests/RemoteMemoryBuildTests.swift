// -M on a remote host: the tmpfs is mounted and unmounted there through
// the host's runner (agent channel or sshd session), and the ports whose
// recorded sizes fit build with WRKOBJDIR on it.
import Foundation
@testable import HostPool
import XCTest

final class RemoteMemoryBuildTests: SSHBuildTestCase {
    func testARemoteHostBuildsInItsOwnTmpfs() throws {
        guard geteuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root (the ssh host logs in as this user)") }
        try ssh.startServer(alias: "b1")
        let tree = try makeTree(["--ports", "3", "--seed", "8"])
        let index = (readWholeFile(tree + "/INDEX") ?? "").split(separator: "\n").map(String.init)
        XCTAssertFalse(index.isEmpty)
        writeFile("\(work)/sizes", index.map { "\($0)(x-1) size=10 ts=1\n" }.joined())
        for agent in ["1", "0"] {
            writeFile("\(work)/hosts", "b1 jobs=2 memory=1000\n")
            let logdir = work + "/logs-\(agent)"
            _ = runCommand(["rm", "-rf", tree + "/packages"])
            let pid = try startBulkbuild(["-D", "PORTSDIR=\(tree)", "-L", logdir, "-D", "SSH_CONFIG=\(ssh.configPath)",
                                          "-D", "SSH_AGENT=\(agent)", "-h", "\(work)/hosts", "-S", "\(work)/sizes"])
            XCTAssertEqual(wait(pid, timeout: 120), 0, readWholeFile("\(work)/run.out") ?? "")
            let hosts = logLines(logdir, "hosts.log")
            let mount = try XCTUnwrap(hosts.compactMap { line -> String? in
                guard let r = line.range(of: "b1 memory file system at ") else { return nil }
                return line[r.upperBound...].split(separator: " ").first.map(String.init)
            }.first, hosts.joined(separator: "\n"))
            let built = logLines(logdir, "build.log").map { String($0.split(separator: " ")[0]) }
            XCTAssertFalse(built.isEmpty)
            for path in built {
                let log = readWholeFile("\(logdir)/paths/\(path).log") ?? ""
                XCTAssertTrue(log.contains("===> Work directory \(mount)/") && log.contains(" on tmpfs"), "agent=\(agent): \(log)")
            }
            XCTAssertFalse(runCommand(["mountpoint", "-q", mount]).status == 0, "unmounted at the end")
        }
    }
}
