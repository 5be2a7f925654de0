// The weights of a run (its order and ETA) and of `simulate` are what a job
// costs on a slot: build.log's whole job times win over stats lines that
// hold only the build phase (BuildStats.takeSlotTimes), in virtual time.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class SlotTimeHistoryTests: XCTestCase {
    func harness() throws -> Harness {
        let h = try Harness()
        h.config.noBuildStats = false
        // A build phase of 150 s (over `small`, so no phase is skipped) and
        // 30 s of configure: a slot time over 180 s, of which the seeded
        // history knows only the 150 s.
        h.tree.add(FakePort(pkgpath: "devel/slow", seconds: 150, phaseSeconds: ["configure": 30]))
        h.tree.add(FakePort(pkgpath: "devel/other", seconds: 4))
        try h.files.makeDirectory((h.config.statsPath as NSString).deletingLastPathComponent)
        try h.files.replace(h.config.statsPath, with: "devel/slow host=localhost time=150.00 size=0 ts=0\n"
                            + "devel/other host=localhost time=4.00 size=0 ts=0\n")
        return h
    }

    func testTheNextRunWeighsAPortByItsWholeSlotTimeNotTheMeanWithTheSeededBuildTime() throws {
        let h = try harness()
        XCTAssertEqual(try h.run(), 0)
        // The stats file now holds the seeded 10 s and the job's slot time.
        let stats = BuildStats.read(h.config.statsPath, files: h.files)
        let times = try XCTUnwrap(stats.entries["devel/slow"]).map(\.time)
        XCTAssertEqual(times.count, 2)
        let slot = times[1]
        XCTAssertGreaterThan(slot, 180, "the job's slot time counts its configure phase")
        let logged = try XCTUnwrap(BuildStats.fromBuildLog(h.logs.buildLog, files: h.files).entries["devel/slow"]?.last?.time)
        XCTAssertEqual(logged, slot, accuracy: 0.01, "build.log and build-stats record the same slot time")

        let next = try h.startOverAndPrepare()
        next.loadHistory()
        XCTAssertEqual(try XCTUnwrap(next.engine.weights["devel/slow"]), slot, accuracy: 0.01,
                       "not the mean \((150 + slot) / 2) of the seeded build time and the slot time")
        // The stats file itself is not rewritten from build.log.
        XCTAssertEqual(BuildStats.read(h.config.statsPath, files: h.files).entries["devel/slow"]?.map(\.time), times)
    }

    func testWithoutABuildLogTheStatsFileGivesTheWeights() throws {
        let h = try harness()
        let c = try h.prepare()
        c.loadHistory()
        XCTAssertEqual(c.engine.weights["devel/slow"], 150)
        XCTAssertEqual(c.engine.weights["devel/other"], 4)
    }

    func testFailedAndUnreadableBuildLogLinesLeaveTheStatsTimes() throws {
        let h = try harness()
        try h.files.makeDirectory(h.config.logdir)
        try h.files.replace(h.logs.buildLog, with: "devel/slow localhost/4 30.00 100 max_stuck=1/build=29!\n"
                            + "devel/other localhost/4 not-a-time 100 max_stuck=1/build=3\n"
                            + "devel/other localhost/4 6.50 100 max_stuck=1/configure=2/build=4\n")
        let c = try h.prepare()
        c.loadHistory()
        XCTAssertEqual(c.engine.weights["devel/slow"], 150, "a failed build is no slot time")
        XCTAssertEqual(c.engine.weights["devel/other"], 6.5)
    }
}
