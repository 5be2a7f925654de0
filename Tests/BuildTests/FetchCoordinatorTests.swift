// Fetch jobs in the in-process coordinator: the fetch task is answered by
// a fake site that writes the file curl would have written.
@testable import Build
import Engine
import Foundation
import HostPool
import Logs
import XCTest

final class FetchCoordinatorTests: XCTestCase {
    /// Three ports sharing `shared.tgz`, each with a file of its own; the
    /// fake site serves `content[name]` (or fails with exit 22).
    func harness(failing: Set<String> = [], limit: Double = 1_000_000) throws -> Harness {
        let h = try Harness(limit: limit, store: .disk)
        var content: [String: String] = [:]
        var sums = ""
        for name in ["shared.tgz", "a.tgz", "b.tgz", "c.tgz"] {
            let text = "contents of \(name)\n"
            content[name] = text
            let tmp = h.dir + "/" + name
            try FileIO.replace(tmp, with: text)
            sums += "SHA256 (\(name)) = \(try FileDigest.sha256(of: tmp).base64)\nSIZE (\(name)) = \(text.utf8.count)\n"
        }
        try FileIO.replace(h.dir + "/distinfo", with: sums)
        for (p, dep) in [("x/a", nil), ("x/b", "x/a"), ("x/c", nil)] as [(String, String?)] {
            let own = String(p.last!) + ".tgz"
            h.tree.add(FakePort(pkgpath: p, deps: dep.map { [$0] } ?? [], seconds: 5, listingExtra: [
                "DISTFILES=shared.tgz \(own)", "SITES=http://site.test/pub/", "CHECKSUM_FILE=\(h.dir)/distinfo"]))
        }
        h.tree.fetchAnswer = { spec in
            let url = spec.argv.last!, output = spec.argv[spec.argv.count - 2]
            let name = String(url.split(separator: "/").last!)
            if failing.contains(name) { return (1, .exited(22)) }
            try? FileIO.replace(output, with: content[name] ?? "")
            return (3, .exited(0))
        }
        h.config.fetch.jobs = 2
        return h
    }

    func testEachDistfileIsFetchedOnceBeforeItsPortsBuildWhichThenOnlyCheck() throws {
        let h = try harness()
        var seen: [String: Int] = [:]
        let answer = h.tree.fetchAnswer!
        h.tree.fetchAnswer = { spec in
            seen[String(spec.argv.last!.split(separator: "/").last!), default: 0] += 1
            return answer(spec)
        }
        let start = h.world.now
        XCTAssertEqual(try h.run(), 0, h.reporter.events.suffix(5).joined(separator: "\n"))
        XCTAssertEqual(seen, ["shared.tgz": 1, "a.tgz": 1, "b.tgz": 1, "c.tgz": 1])
        for p in ["x/a", "x/b", "x/c"] {
            XCTAssertTrue(h.tree.packageExists(p), p)
            XCTAssertTrue(h.tree.phasesOf(p).contains("checksum"), p)
            XCTAssertFalse(h.tree.phasesOf(p).contains("fetch"), p)
        }
        // Nothing started before its files were there (two jobs, 3 s each).
        let firstDepends = h.tree.phases.filter { $0.phase == "depends" }.map { $0.at }.min() ?? 0
        XCTAssertGreaterThanOrEqual(firstDepends - start, 3)
        XCTAssertEqual(h.engineLines("F").count, 4)
        XCTAssertTrue(h.engineLines("B").contains { $0.hasSuffix(":shared.tgz ") })
        XCTAssertTrue(FileIO.exists(h.config.tree.distdir + "/shared.tgz"))
    }

    func testAFailedDistfileBreaksItsPortsAndTheirDependentsAndNothingOfThemRuns() throws {
        let h = try harness(failing: ["a.tgz"])
        XCTAssertEqual(try h.run(), 1)
        XCTAssertTrue(h.tree.phasesOf("x/a").isEmpty)
        XCTAssertTrue(h.tree.phasesOf("x/b").isEmpty, "x/b depends on x/a")
        XCTAssertTrue(h.tree.packageExists("x/c"))
        XCTAssertTrue(h.engineLines("E").contains { $0.contains("x/a:a.tgz") })
        XCTAssertTrue(h.engineLines("!").contains { $0.contains("x/a cannot fetch a.tgz") }, "\(h.engineLines("!"))")
        XCTAssertTrue((FileIO.read(h.logs.fetchBadLog) ?? "").contains("http://site.test/pub/a.tgz curl exit 22"))
    }

    /// The stop file, or a failing disk, while distfiles still wait to be
    /// fetched: the fetch running ends, no other starts, and the run ends
    /// (it used to wait for the queue for ever).
    func testAStoppedRunWithDistfilesStillQueuedEnds() throws {
        for how in ["stop file", "disk"] {
            let h = try harness(limit: 600)
            h.config.fetch.jobs = 1
            var fetches = 0
            let answer = h.tree.fetchAnswer!
            h.tree.fetchAnswer = { spec in fetches += 1; return answer(spec) }
            let start = h.world.now
            try h.prepare()
            h.world.at(start + 1) {
                if how == "disk" { h.coordinator.storageFailed("test: the disk failed", h.world.now) }
                else { try? FileIO.replace(h.logs.stopFile, with: "") }
            }
            XCTAssertEqual(try h.run(), 1, how)
            XCTAssertLessThan(h.world.now - start, 60, "\(how): the run ended soon after the stop")
            XCTAssertEqual(fetches, 1, "\(how): the fetch running went on, no other started")
            XCTAssertTrue(h.tree.phases.isEmpty, how)
        }
    }

    func testFetchOnlyBuildsNothing() throws {
        let h = try harness()
        h.config.fetch.fetchOnly = true
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue(h.tree.phases.isEmpty)
        for n in ["shared.tgz", "a.tgz", "b.tgz", "c.tgz"] { XCTAssertTrue(FileIO.exists(h.config.tree.distdir + "/" + n), n) }
    }
}
