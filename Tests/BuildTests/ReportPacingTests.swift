// How often the run reports and records, on trees of short jobs: forced
// reports are paced, the logs that count things still see every change,
// and a job too short to be worth going back to writes no affinity file.
@testable import Build
import Engine
import Foundation
import HostPool
import Logs
import XCTest

final class ReportPacingTests: XCTestCase {
    /// performance.log's `REP!` lines, as their times.
    func forcedReports(_ h: Harness) -> [Double] {
        (h.files.read(h.logs.performanceLog) ?? "").split(separator: "\n").compactMap { line in
            guard line.contains(": REP!") else { return nil }
            return line.split(separator: "@").dropFirst().first.flatMap { Double($0.split(separator: ":")[0]) }
        }
    }

    func testForcedReportsComeAtMostTenASecondAndTheLastCountsAreLogged() throws {
        let h = try Harness()
        let quick = ["prepare": 0.01, "fetch": 0.01, "patch": 0.01, "configure": 0.01, "fake": 0.01, "package": 0.01,
                     "clean": 0.01]
        for i in 0..<300 { h.tree.add(FakePort(pkgpath: FakeTree.name(i), seconds: 0.02, phaseSeconds: quick)) }
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 8, local: true)]
        XCTAssertEqual(try h.run(), 0)
        let forced = forcedReports(h)
        XCTAssertFalse(forced.isEmpty)
        // Every job start and end asks for one: 600 asks, in a few seconds.
        XCTAssertLessThan(forced.count, 100, "a report for every job")
        for (a, b) in zip(forced, forced.dropFirst()) {
            // performance.log times have two decimals.
            XCTAssertGreaterThanOrEqual(b - a, RunRecord.forcedInterval - 0.011, "forced reports \(a) and \(b)")
        }
        // What the last report held back is still logged at the end.
        let stats = (h.files.read(h.logs.statsLog) ?? "").split(separator: "\n")
        XCTAssertTrue(stats.last?.hasSuffix("I=300 B=0 Q=0 T=0") ?? false, stats.suffix(3).joined(separator: "\n"))
        XCTAssertEqual(h.reporter.last?.counts.installable, 300)
        // concurrent.log: a line for each change of the number of jobs.
        let concurrent = (h.files.read(h.logs.concurrentLog) ?? "").split(separator: "\n").map { $0.split(separator: " ") }
        XCTAssertTrue(concurrent.contains { $0.last == "8" })
        for (a, b) in zip(concurrent, concurrent.dropFirst()) { XCTAssertNotEqual(a.last, b.last) }
        XCTAssertEqual(concurrent.last?.last, "0")
    }

    func testOnlyAJobThatRunsOnPastItsFetchWritesItsAffinity() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "cat/long", seconds: 30))
        h.tree.add(FakePort(pkgpath: "cat/short", seconds: 0.3,
                            phaseSeconds: ["prepare": 0.01, "fetch": 0.01, "patch": 0.01, "configure": 0.01,
                                           "fake": 0.01, "package": 0.01, "clean": 0.01]))
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 2, local: true)]
        let start = h.world.now
        let c = try h.prepare()
        var seen: [String: String] = [:]
        for i in 1...200 {
            h.world.at(start + Double(i) * 0.1) {
                for name in h.files.list(h.logs.affinityDirectory) ?? [] {
                    seen[name] = h.files.read(h.logs.affinityDirectory + "/" + name)
                }
            }
        }
        XCTAssertEqual(try h.run(), 0)
        XCTAssertEqual(seen, ["cat.long": "host=localhost\npath=cat/long\n"])
        XCTAssertEqual(h.files.list(h.logs.affinityDirectory) ?? [], [], "affinity left after success")
        XCTAssertTrue(h.tree.packageExists("cat/short") && h.tree.packageExists("cat/long"))
        _ = c
    }
}
