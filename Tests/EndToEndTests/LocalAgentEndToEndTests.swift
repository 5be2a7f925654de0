// The local agent with the real binary: by default local tasks are
// children of the run's `bulkbuild agent`; with LOCAL_AGENT=0 the run
// spawns them itself; when the agent dies mid-run, the run goes on.
import Foundation
import XCTest

final class LocalAgentEndToEndTests: XCTestCase {
    /// The parent pid of `pid` from /proc.
    func parent(_ pid: pid_t) -> pid_t? {
        guard let stat = readFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }

    func testLocalTasksAreChildrenOfTheRunsAgent() throws {
        let tree = try TreeFixture(["--ports", "6", "--seed", "4", "--sleep", "3"])
        let bulk = Bulk(tree: tree)
        let p = try bulk.start(["-j", "2"])
        var agent: pid_t?
        XCTAssertTrue(waitUntil(timeout: 30) { agent = helperOf(p.pid, "agent"); return agent != nil },
                      "no local agent process of \(p.pid)")
        guard let agent else { return }
        // Every task's make is the agent's child (the phase's group leader),
        // none the run's.
        var underAgent = false, underRun: [pid_t] = []
        XCTAssertTrue(waitUntil(timeout: 30) {
            let marked = processesMarked(byRun: p.pid)
            underRun += marked.filter { parent($0) == p.pid }
            underAgent = underAgent || marked.contains { parent($0) == agent }
            return underAgent
        }, "no task under the agent \(agent)")
        XCTAssertEqual(underRun, [], "tasks spawned by the run itself")
        let status = p.wait(timeout: 120)
        XCTAssertEqual(status?.exitCode, 0, p.stdout + p.stderr)
        XCTAssertTrue(waitUntil(timeout: 5) { kill(agent, 0) != 0 }, "the agent outlived its run")
        XCTAssertTrue(bulk.file("performance.log").contains(" AGENT pid=\(agent) user="), bulk.file("performance.log"))
    }

    func testWithoutTheAgentTheRunSpawnsItsTasks() throws {
        let tree = try TreeFixture(["--ports", "6", "--seed", "4", "--sleep", "3"])
        let bulk = Bulk(tree: tree)
        let p = try bulk.start(["-j", "2", "-D", "LOCAL_AGENT=0"])
        XCTAssertTrue(waitUntil(timeout: 30) { processesMarked(byRun: p.pid).contains { parent($0) == p.pid } },
                      "no task spawned by the run")
        XCTAssertNil(helperOf(p.pid, "agent"))
        let status = p.wait(timeout: 120)
        XCTAssertEqual(status?.exitCode, 0, p.stdout + p.stderr)
        for port in tree.manifest.ports where !port.ignored {
            XCTAssertTrue(tree.hasPackage(port.packages[0]), port.pkgpath)
        }
        XCTAssertFalse(bulk.file("performance.log").contains(" AGENT "))
    }

    func testAnAgentThatDiesLosesItsJobsAndTheRunRedoesThem() throws {
        let tree = try TreeFixture(["--ports", "8", "--seed", "9", "--sleep", "2"])
        let bulk = Bulk(tree: tree)
        let p = try bulk.start(["-j", "2"])
        XCTAssertTrue(waitUntil(timeout: 30) { tree.runningBuilds().count >= 1 })
        guard let agent = helperOf(p.pid, "agent") else { return XCTFail("no local agent process of \(p.pid)") }
        let running = Set(tree.runningBuilds())
        kill(agent, SIGKILL)
        let status = p.wait(timeout: 180)
        XCTAssertEqual(status?.exitCode, 0, (p.stdout + p.stderr))
        XCTAssertTrue((p.stdout + p.stderr).contains("local agent"), (p.stdout + p.stderr))
        // The jobs it had went N and were built again; nothing twice at once.
        XCTAssertFalse(bulk.engineLines("N").isEmpty, bulk.file("engine.log"))
        for port in tree.manifest.ports where !port.ignored {
            XCTAssertTrue(tree.hasPackage(port.packages[0]), port.pkgpath)
        }
        XCTAssertTrue(listDirectory(bulk.lockdir).isEmpty, "\(listDirectory(bulk.lockdir))")
        XCTAssertFalse(running.isEmpty)
        for l in (try? FileManager.default.subpathsOfDirectory(atPath: bulk.logdir + "/paths")) ?? [] where l.hasSuffix(".log") {
            XCTAssertFalse((readFile(bulk.logdir + "/paths/" + l) ?? "").contains("concurrent build"), l)
        }
    }
}
