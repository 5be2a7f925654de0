import Foundation
import XCTest
@testable import Engine

final class RunSnapshotTests: XCTestCase {
    func testElapsedNeverNegativeAndDoneCountsFinishedPaths() {
        var s = RunSnapshot()
        s.startTime = 100
        s.time = 90
        XCTAssertEqual(s.elapsed, 0)
        s.time = 130.5
        XCTAssertEqual(s.elapsed, 30.5)
        s.counts.installable = 3; s.counts.built = 2; s.counts.ignored = 1; s.counts.errors = 4
        s.counts.queued = 7; s.counts.toBuild = 8; s.counts.locked = 9; s.counts.running = 5
        XCTAssertEqual(s.done, 10)
    }

    /// status.json field names are documented: they must not drift.
    func testJSONFieldNamesAndRoundTrip() throws {
        var s = RunSnapshot()
        s.pid = 4242; s.time = 2; s.startTime = 1; s.listing = true
        s.counts.installable = 1
        s.jobs = [RunSnapshot.Job(path: "devel/gmake", phase: "build", host: nil, pid: 7, started: 1.5,
                                  logSize: 10, swallowed: 1)]
        s.hosts = [RunSnapshot.Host(name: "b2", state: .down, slots: 4, running: 0, reason: "ssh exit 255")]
        s.failures = [RunSnapshot.Failure(path: "x/y", host: "b2", logPath: "paths/x/y.log", locked: true)]
        s.history = [RunSnapshot.HistoryEntry(time: 2, path: "x/y", outcome: .notFinished, host: "b2",
                                              duration: nil, detail: nil)]
        let data = try JSONEncoder().encode(s)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["pid", "time", "startTime", "stopping", "listing", "ended", "counts", "jobs", "fetchJobs",
                    "hosts", "lockedPaths", "failures", "waitingPackagePaths", "history"] {
            XCTAssertNotNil(object[key], key)
        }
        let counts = try XCTUnwrap(object["counts"] as? [String: Any])
        XCTAssertEqual(Set(counts.keys), ["installable", "built", "queued", "toBuild", "fetch", "ignored", "locked",
                                          "errors", "waitingPackage", "running", "total"])
        let host = try XCTUnwrap((object["hosts"] as? [[String: Any]])?.first)
        XCTAssertEqual(host["state"] as? String, "down")
        let entry = try XCTUnwrap((object["history"] as? [[String: Any]])?.first)
        XCTAssertEqual(entry["outcome"] as? String, "notFinished")
        XCTAssertEqual(try JSONDecoder().decode(RunSnapshot.self, from: data), s)
    }

    func testStateLettersRoundTripThroughRawValues() {
        for s in PortState.allCases {
            XCTAssertEqual(PortState(rawValue: s.letter), s)
        }
        XCTAssertEqual(Set(PortState.allCases.map(\.letter)).count, PortState.allCases.count)
    }
}
