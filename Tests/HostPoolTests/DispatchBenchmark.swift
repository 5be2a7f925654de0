// Benchmark, not a timed assertion: 1,000 trivial tasks over one ssh
// session, through `bulkbuild agent` and with one channel per task, against
// the same locally through posix_spawn (LocalRunner).
// Run with: BULKBUILD_BENCH=1 swift test --filter DispatchBenchmark
// (BULKBUILD_BENCH_TASKS changes the count).
import XCTest
import CPosix
@testable import HostPool
#if canImport(Glibc)
import Glibc
#endif

final class DispatchBenchmark: XCTestCase {
    func testBenchmarkDispatch() throws {
        guard getenv("BULKBUILD_BENCH") != nil else {
            throw XCTSkip("benchmark: set BULKBUILD_BENCH=1 to run it")
        }
        let count = getenv("BULKBUILD_BENCH_TASKS").flatMap { Int(String(cString: $0)) } ?? 1000
        let ssh = try SSHFixture()
        defer { ssh.tearDown() }
        try ssh.startServer(alias: "bench")
        let driver = SyncDriver()
        var channelsTarget = ssh.target("bench")
        channelsTarget.useAgent = false
        let remote = RemoteRunner(target: channelsTarget, queue: driver.queue)
        defer { remote.shutdown() }
        var agentTarget = ssh.target("bench")
        agentTarget.agentPath = try productPath("bulkbuild")
        let agent = RemoteRunner(target: agentTarget, queue: driver.queue)
        defer { agent.shutdown() }
        let local = LocalRunner(hostName: "localhost", reaper: driver.reaper, queue: driver.queue)
        // Connect first: the connection is not part of the measure.
        for r in [remote, agent] {
            XCTAssertEqual(driver.runTask(r, TaskSpec(argv: ["true"], logPath: "\(ssh.dir)/warm.log"), timeout: 30), .exited(0))
        }
        XCTAssertEqual(remote.dispatchMode, .channels)
        XCTAssertEqual(agent.dispatchMode, .agent)

        var lines: [String] = []
        for (name, runner) in [("ssh agent (1 channel)", agent as TaskRunner),
                               ("ssh channels (1 session)", remote), ("local posix_spawn", local)] {
            for inFlight in [1, 10, 50] {
                let t = measure(runner, driver, count: count, inFlight: inFlight, log: "\(ssh.dir)/bench.log")
                lines.append("\(name), \(inFlight) in flight: \(count) tasks in \(format2(t)) s = "
                             + "\(format2(t * 1000 / Double(count))) ms per task")
            }
        }
        let report = lines.joined(separator: "\n")
        print("== dispatch benchmark (`true`, \(count) tasks) ==\n" + report)
    }

    func measure(_ runner: TaskRunner, _ driver: SyncDriver, count: Int, inFlight: Int, log: String) -> Double {
        var started = 0, done = 0, failed = 0
        func next() {
            guard started < count else { return }
            started += 1
            driver.start(runner, TaskSpec(argv: ["true"], logPath: log)) { end in
                done += 1
                if !end.succeeded { failed += 1 }
                next()
            }
        }
        let t0 = cp_monotonic()
        for _ in 0..<min(inFlight, count) { next() }
        XCTAssertTrue(driver.run(until: { done == count }, timeout: 600))
        XCTAssertEqual(failed, 0)
        return cp_monotonic() - t0
    }
}
