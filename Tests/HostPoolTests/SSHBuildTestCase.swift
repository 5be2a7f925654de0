// What the tests that run the real bulkbuild against real sshd hosts
// share: the products, the fixture and waiting for runs and log lines.
import CPosix
import Foundation
@testable import HostPool
import XCTest

struct MissingProduct: Error, CustomStringConvertible { let description: String }

/// The executables built next to this test bundle (on Linux the .xctest
/// is the running executable), or in BULKBUILD_BIN_DIR.
func productPath(_ name: String) throws -> String {
    var dir = ProcessInfo.processInfo.environment["BULKBUILD_BIN_DIR"] ?? ""
    if dir.isEmpty, let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        dir = (exe as NSString).deletingLastPathComponent
    }
    let path = dir + "/" + name
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw MissingProduct(description: "\(name) is not built in \(dir): run swift build --build-tests first")
    }
    return path
}


/// Real sshd servers, a work directory in their temp directory and the
/// helpers that run the real binaries there.
class SSHBuildTestCase: XCTestCase {
    var ssh: SSHFixture!
    var work = ""

    override func setUpWithError() throws {
        ssh = try SSHFixture()
        work = ssh.dir + "/work"
        _ = mkdir(work, 0o755)
    }

    override func tearDown() {
        ssh?.tearDown()
    }

    /// A generated tree in work/NAME.
    func makeTree(_ flags: [String], name: String = "ports") throws -> String {
        let dir = work + "/" + name
        let r = runCommand([try productPath("bulkbuild-gentree"), dir] + flags)
        guard r.status == 0 else { throw XCTSkip("gentree failed: \(r.output)") }
        return dir
    }

    /// Starts bulkbuild in the background; output goes to work/NAME.out.
    func startBulkbuild(_ args: [String], name: String = "run") throws -> pid_t {
        let argv = [try productPath("bulkbuild")] + args
        guard case .success(let pid) = spawnInGroup(argv: argv, environment: ["TERM": "dumb"],
                                                    logPath: "\(work)/\(name).out") else {
            throw XCTSkip("cannot start bulkbuild")
        }
        return pid
    }

    func wait(_ pid: pid_t, timeout: Double) -> Int32? {
        let deadline = cp_monotonic() + timeout
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if cp_monotonic() > deadline { kill(-pid, SIGKILL); _ = waitpid(pid, &status, 0); return nil }
            usleep(50_000)
        }
        return cp_wifexited(status) != 0 ? cp_wexitstatus(status) : 128 + cp_wtermsig(status)
    }

    func waitFor(_ timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = cp_monotonic() + timeout
        while !condition() {
            if cp_monotonic() > deadline { return false }
            usleep(100_000)
        }
        return true
    }

    func logLines(_ logdir: String, _ name: String) -> [String] {
        (readWholeFile("\(logdir)/\(name)") ?? "").split(separator: "\n").map(String.init)
    }
}
