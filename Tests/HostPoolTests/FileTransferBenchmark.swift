// Benchmark, not a timed assertion: what files cost over the agent channel
// to a real sshd on 127.0.0.1. Per-file overhead (small files one at a
// time, all at once, a first and an unchanged mirror of a tree of them)
// and throughput (one large file each way, and `ssh host cat` of the same
// file as the link's own bound).
// Run with: BULKBUILD_BENCH=1 swift test --skip-build --filter FileTransferBenchmark
// (BULKBUILD_BENCH_FILES and BULKBUILD_BENCH_MIB change the sizes).
import XCTest
import CPosix
@testable import HostPool
#if canImport(Glibc)
import Glibc
#endif

final class FileTransferBenchmark: XCTestCase {
    func testBenchmarkFileTransfer() throws {
        guard getenv("BULKBUILD_BENCH") != nil else {
            throw XCTSkip("benchmark: set BULKBUILD_BENCH=1 to run it")
        }
        let count = getenv("BULKBUILD_BENCH_FILES").flatMap { Int(String(cString: $0)) } ?? 1000
        let mib = getenv("BULKBUILD_BENCH_MIB").flatMap { Int(String(cString: $0)) } ?? 256
        let ssh = try SSHFixture()
        defer { ssh.tearDown() }
        try ssh.startServer(alias: "bench")
        let driver = SyncDriver()
        var target = ssh.target("bench")
        target.agentPath = try productPath("bulkbuild")
        let r = RemoteRunner(target: target, queue: driver.queue)
        defer { r.shutdown() }
        XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["true"], logPath: "\(ssh.dir)/warm.log"), timeout: 30), .exited(0))
        XCTAssertEqual(r.dispatchMode, .agent)

        let tree = "\(ssh.dir)/tree"
        let made = runCommand(["sh", "-c", "mkdir -p \(tree) && cd \(tree) && for i in $(seq 1 \(count)); do "
                                           + "d=dir$((i % 50)); mkdir -p $d; head -c 1024 /dev/urandom > $d/f$i; done"])
        XCTAssertEqual(made.status, 0, made.output)
        let big = "\(ssh.dir)/big"
        XCTAssertEqual(runCommand(["sh", "-c", "head -c \(mib)M /dev/urandom > \(big)"]).status, 0)

        func timed(_ body: (@escaping (Result<TransferStats, TransferError>) -> Void) -> Void, _ n: Int = 1) -> Double {
            var done = 0, failed = 0
            let t0 = cp_monotonic()
            for _ in 0..<n {
                body { result in
                    done += 1
                    if case .failure(let e) = result { failed += 1; print("failed: \(e.text)") }
                }
            }
            XCTAssertTrue(driver.run(until: { done == n }, timeout: 600))
            XCTAssertEqual(failed, 0)
            return cp_monotonic() - t0
        }
        var lines: [String] = []
        func perFile(_ what: String, _ t: Double, _ n: Int) {
            lines.append("\(what): \(n) files in \(format2(t)) s = \(format2(t * 1000 / Double(n))) ms per file")
        }
        func rate(_ what: String, _ t: Double) {
            lines.append("\(what): \(mib) MiB in \(format2(t)) s = \(format2(Double(mib) / t)) MiB/s")
        }

        // One at a time: each waits for the one before (a job's few files).
        let one = min(count, 200)
        var i = 0
        var t0 = cp_monotonic()
        while i < one {
            i += 1
            _ = timed { r.send("\(tree)/dir\(i % 50)/f\(i)", to: "\(ssh.dir)/seq/f\(i)", sha256: nil, completion: $0) }
        }
        perFile("send, one at a time", cp_monotonic() - t0, one)
        i = 0
        perFile("send, all at once", timed({ c in
            i += 1
            r.send("\(tree)/dir\(i % 50)/f\(i)", to: "\(ssh.dir)/par/f\(i)", sha256: nil, completion: c)
        }, count), count)
        perFile("mirror, first", timed { r.mirror(tree, to: "\(ssh.dir)/copy", only: nil, excluding: [], completion: $0) }, count)
        perFile("mirror, unchanged", timed { r.mirror(tree, to: "\(ssh.dir)/copy", only: nil, excluding: [], completion: $0) }, count)
        t0 = cp_monotonic()
        let cat = runCommand(["sh", "-c", "ssh -F \(ssh.configPath) bench 'cat > /dev/null' < \(big)"])
        XCTAssertEqual(cat.status, 0, cat.output)
        rate("ssh host 'cat > /dev/null' (OpenSSH client)", cp_monotonic() - t0)
        rate("send", timed { r.send(big, to: "\(ssh.dir)/big.sent", sha256: nil, completion: $0) })
        rate("fetch", timed { r.fetch("\(ssh.dir)/big.sent", to: "\(ssh.dir)/big.back", completion: $0) })
        print("== file transfer benchmark (1 KiB files, \(mib) MiB file) ==\n" + lines.joined(separator: "\n"))
    }
}
