// The estimate judged at the end of a run (reportEstimateError): made
// once a tenth of the ports are done, compared with the real end, in
// virtual time on trees whose parallel ports take extra slots.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class EstimateTests: XCTestCase {
    /// 60 ports in layers, one in three parallel with a build mostly
    /// divided by MAKE_JOBS, every port with single-threaded configure
    /// and fake around its build.
    func addTree(_ tree: FakeTree) {
        for i in 0..<60 {
            var deps: [String] = []
            if i >= 6 { deps.append(FakeTree.name(i / 6)) }
            // Over `small` (120 s) with history, so no phase is skipped.
            let s = 110 + Double((i * 37) % 60)
            var p = FakePort(pkgpath: FakeTree.name(i), deps: deps, seconds: s,
                             phaseSeconds: ["configure": 0.3 * s, "fake": 0.3 * s])
            if i % 3 == 1 {
                p.properties = ["parallel"]
                p.scalable = 0.8 * s
            }
            tree.add(p)
        }
    }

    /// The judged estimate's error in percent, from performance.log.
    func judgedError(_ h: Harness, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let text = h.files.read(h.logs.performanceLog) ?? ""
        let eta = try XCTUnwrap(text.split(separator: "\n").first { $0.contains(": ETA estimate made at") },
                                "no judged estimate", file: file, line: line)
        let open = try XCTUnwrap(eta.range(of: ", ", options: .backwards), file: file, line: line)
        let pct = eta[open.upperBound...].dropLast(2)
        return try XCTUnwrap(Double(pct), "percent in \(eta)", file: file, line: line)
    }

    func harness() throws -> Harness {
        let h = try Harness()
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 4, local: true)]
        addTree(h.tree)
        return h
    }

    func testARunCutShortByTheStopFileDoesNotGradeItsEstimate() throws {
        let h = try harness()
        try h.prepare()
        // Well after the estimate is judged (a tenth done), well before the end.
        h.world.at(h.world.now + 1500) { try? h.files.replace(h.logs.stopFile, with: "") }
        XCTAssertEqual(try h.run(), 1)
        let text = h.files.read(h.logs.performanceLog) ?? ""
        XCTAssertFalse(text.contains("ETA estimate made at"), "a stopped run graded its estimate")
        XCTAssertFalse(h.reporter.events.contains { $0.contains("estimate made at") }, "\(h.reporter.events.suffix(3))")
    }

    func testWithoutHistoryTheEstimateLearnsTheSlotsParallelBuildsTake() throws {
        let h = try harness()
        XCTAssertEqual(try h.run(), 0)
        let error = try judgedError(h)
        XCTAssertLessThan(abs(error), 35, "judged estimate off by \(error)%")
        // The extra slot-seconds per second of a parallel job it learned,
        // as held: at most one more core for a build of 0.6 s in a job of
        // 1.2 s (about 0.5), less while the build waited for the slot.
        let share = h.coordinator.engine.parallelShare
        XCTAssertGreaterThan(share, 0.1)
        XCTAssertLessThan(share, 0.5)
        XCTAssertLessThan(h.coordinator.engine.parallelHeldPart, 1)
    }

    func testWithTheLogOfAnEarlierRunTheEstimateIsWithinFifteenPercent() throws {
        let first = try harness()
        XCTAssertEqual(try first.run(), 0)
        let h = try harness()
        let log = h.dir + "/earlier-build.log"
        try h.files.makeDirectory(h.dir)
        try h.files.replace(log, with: first.files.read(first.logs.buildLog) ?? "")
        h.config.primeLog = log
        XCTAssertEqual(try h.run(), 0)
        XCTAssertEqual(h.coordinator.engine.parallelExtra.count, 20, "every parallel port's extra from build.log")
        let error = try judgedError(h)
        XCTAssertLessThan(abs(error), 15, "judged estimate off by \(error)%")
    }
}
