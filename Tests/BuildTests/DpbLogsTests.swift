// dependencies.log, needed.log and clean.log, checked line by line.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class DpbLogsTests: XCTestCase {
    func lines(_ h: Harness, _ path: String) -> [String] {
        (h.files.read(path) ?? "").split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func testDependenciesLogCountsTheDependentsOfEachPathMostFirst() throws {
        let h = try Harness()
        h.tree.addLayered(30)
        XCTAssertEqual(try h.run(), 0)
        var expected: [String: Int] = [:]
        for p in h.tree.ports.values { for d in Set(p.deps) { expected[d, default: 0] += 1 } }
        let got = lines(h, h.logs.dependenciesLog)
        XCTAssertEqual(got.count, expected.count)
        var last = Int.max
        for line in got {
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            XCTAssertEqual(f.count, 2, line)
            guard f.count == 2, let n = Int(f[1]) else { XCTFail("not 'FULLPKGPATH COUNT': \(line)"); continue }
            XCTAssertEqual(expected[String(f[0])], n, line)
            XCTAssertLessThanOrEqual(n, last, "not most depended-upon first: \(line)")
            last = n
        }
        XCTAssertEqual(h.files.read(h.config.statsPath + "-dependencies"), h.files.read(h.logs.dependenciesLog))
    }

    func testNeededLogHasOneLineForEachJunkRunWithWhatItKept() throws {
        let h = try Harness()
        h.tree.addLayered(30, seconds: { _ in 3 })
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 3, local: true, junkEvery: 5)]
        XCTAssertEqual(try h.run(), 0)
        let got = lines(h, h.logs.neededLog)
        XCTAssertEqual(got.count, h.tree.junkRuns.count)
        XCTAssertFalse(got.isEmpty)
        for (line, run) in zip(got, h.tree.junkRuns) {
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            XCTAssertGreaterThanOrEqual(f.count, 2, line)
            XCTAssertNotNil(Double(f[0]), "not an epoch: \(line)")
            XCTAssertEqual(f.count > 1 ? f[1] : "", "localhost", line)
            XCTAssertEqual(f.dropFirst(2).joined(separator: " "), run.keep, line)
        }
    }

    func testCleanLogNamesAPathWhoseCleanFailed() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/dirty", seconds: 5, failIn: "clean"))
        h.tree.add(FakePort(pkgpath: "devel/tidy", seconds: 5))
        XCTAssertEqual(try h.run(), 1)
        XCTAssertEqual(lines(h, h.logs.cleanLog), ["devel/dirty localhost exit 1"])
    }
}
