// -D REPORT=FILE: the run writes its report at the end, from its own logs,
// with what happened in the run (a failure, a host cut off) in it.
@testable import Build
import Foundation
import Logs
import Report
import XCTest

final class CoordinatorReportTests: XCTestCase {
    func testTheRunWritesAReportWithItsFailureItsLostHostAndItsChain() throws {
        let h = try Harness(store: .disk)
        h.tree.addLayered(40, seconds: { _ in 20 })
        var bad = h.tree.ports["cat1/p6"]!
        bad.failIn = "build"
        h.tree.add(bad)
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 2, local: true), FakeHostSpec(name: "b1", slots: 3)]
        h.config.reportPath = h.config.logdir + "/report.json"
        let start = h.world.now
        try h.prepare()
        h.world.at(start + 45) { h.runners["b1"]!.goDown("link cut") }
        XCTAssertNotEqual(try h.run(), 0)
        XCTAssertTrue(h.reporter.events.contains { $0.contains("report written to") }, h.reporter.events.suffix(3).joined())
        XCTAssertTrue(FileIO.exists(h.logs.dependsLog))
        let written = try JSONDecoder().decode(RunReport.self, from: Data(contentsOf: URL(fileURLWithPath: h.config.reportPath!)))
        let r = try RunReport.load(logDir: h.config.logdir, now: h.world.now)
        XCTAssertEqual(written.jobs.count, r.jobs.count)
        XCTAssertTrue(r.ended)

        XCTAssertEqual(r.failures.map(\.path), ["cat1/p6"])
        XCTAssertEqual(r.failures.first?.phase, "build")
        XCTAssertEqual(r.counts.failed, 1)
        XCTAssertGreaterThan(r.counts.notBuilt, 0, "the failure's dependents are not listed")
        XCTAssertTrue(r.skipped.contains { $0.path == "cat2/p12" && $0.kind == "notBuilt" })
        XCTAssertGreaterThan(r.counts.notFinished, 0, "no job was lost with b1")
        let b1 = try XCTUnwrap(r.hosts.first { $0.name == "b1" })
        XCTAssertEqual(b1.down.first?.reason, "link cut")
        XCTAssertEqual(b1.down.first.map { $0.start - start } ?? 0, 45, accuracy: 1)
        XCTAssertEqual(b1.slots, 3)
        XCTAssertFalse(r.jobs.contains { $0.host == "b1" && $0.start > start + 46 }, "a job drawn on b1 after it went down")

        // Lanes: no two jobs of a host share a lane at once.
        for host in r.hosts {
            let mine = r.jobs.filter { $0.host == host.name }
            for a in mine { for b in mine where a != b && a.lane == b.lane && a.start < b.start {
                XCTAssertLessThanOrEqual(a.end, b.start + 1, "\(a.path) and \(b.path) overlap in lane \(a.lane)")
            } }
            XCTAssertTrue(mine.allSatisfy { $0.lane + $0.cores <= host.lanes })
        }
        // The chain ends with the last job and each link ends before the next starts.
        let chain = r.criticalPath.map { r.jobs[$0] }
        XCTAssertEqual(chain.last?.end, r.jobs.map(\.end).max())
        XCTAssertEqual(r.criticalLinks.last, "end")
        for (a, b) in zip(chain, chain.dropFirst()) { XCTAssertLessThanOrEqual(a.end, b.start + 1, "\(a.path) -> \(b.path)") }
        XCTAssertTrue(r.criticalLinks.contains("dependency"))
        let bounds = try XCTUnwrap(r.bounds)
        XCTAssertGreaterThanOrEqual(bounds.buildSpan + 1, bounds.tight, "the span beat a lower bound")
        XCTAssertGreaterThan(bounds.criticalPath, 20)
        // Phases of a built job from its port log, in order, inside the job.
        let built = try XCTUnwrap(r.jobs.first { $0.outcome == .built })
        XCTAssertTrue(["depends", "prepare"].contains(built.phases.first?.name ?? ""), "\(built.phases)")
        XCTAssertTrue(built.phases.contains { $0.name == "build" && abs($0.seconds - 20) < 0.5 })
        XCTAssertTrue(built.phases.allSatisfy { $0.start >= built.start - 1 && $0.start + $0.seconds <= built.end + 1 })
    }

    func testAReportThatCannotBeWrittenIsToldAndTheRunEndsAsBefore() throws {
        let h = try Harness(store: .disk)
        h.tree.addLayered(5)
        h.config.reportPath = h.dir + "/no/such/dir/report.html"
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue(h.reporter.events.contains { $0.contains("cannot write the report") && $0.contains("no/such/dir") })
    }
}
