// -R: packages are rebuilt when what they were built from changed, and
// what was built against a rebuilt package is rebuilt in turn; -U also
// rebuilds packages nothing is recorded for.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class RebuildTests: XCTestCase {
    /// lib <- mid <- top (build dependencies), and other <- user beside them.
    func tree() throws -> Harness {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5))
        h.tree.add(FakePort(pkgpath: "devel/mid", deps: ["devel/lib"], seconds: 5))
        h.tree.add(FakePort(pkgpath: "www/top", deps: ["devel/mid"], seconds: 5))
        h.tree.add(FakePort(pkgpath: "misc/other", seconds: 5))
        h.tree.add(FakePort(pkgpath: "misc/user", deps: ["misc/other"], seconds: 5))
        return h
    }

    /// Paths packaged since phase number `from`.
    func packaged(_ h: Harness, since from: Int) -> Set<String> {
        Set(h.tree.phases.dropFirst(from).filter { $0.phase == "package" }.map { $0.path })
    }

    func rebuildLog(_ h: Harness) -> [String] {
        (h.files.read(h.logs.rebuildLog) ?? "").split(separator: "\n").map(String.init)
    }

    func again(_ h: Harness, rebuild: Bool, update: PackageUpdate?) throws -> Int {
        h.startOver()
        h.config.rebuild = rebuild
        h.config.update = update
        let before = h.tree.phases.count
        XCTAssertEqual(try h.run(), 0, h.reporter.events.suffix(5).joined(separator: "\n"))
        return before
    }

    func testABumpedLibraryRebuildsItselfAndWhatIsBuiltAgainstItThenNothing() throws {
        let h = try tree()
        XCTAssertEqual(try h.run(), 0)
        let store = SignatureStore.read(h.config.signaturesPath, files: h.files)
        XCTAssertEqual(store.signatures["devel/mid"], "mid-1.0 lib-1.0")
        XCTAssertEqual(store.signatures["www/top"], "top-1.0 mid-1.0")
        XCTAssertEqual(store.signatures.count, 5)
        XCTAssertEqual(h.runners["localhost"]?.updates["devel/mid"], "", "no -u, -U or -R: no update asked")

        // Without -R an existing package is built, whatever it was built from.
        h.tree.ports["devel/lib"]?.version = "1.1"
        var from = try again(h, rebuild: false, update: nil)
        XCTAssertEqual(packaged(h, since: from), ["devel/lib"])

        h.tree.ports["devel/lib"]?.version = "1.2"
        from = try again(h, rebuild: true, update: .update)
        XCTAssertEqual(packaged(h, since: from), ["devel/lib", "devel/mid", "www/top"])
        let log = rebuildLog(h)
        XCTAssertEqual(log, ["devel/mid mid-1.0 rebuilt: signature changed: -lib-1.0 +lib-1.2",
                             "www/top top-1.0 rebuilt: built against rebuilt mid-1.0"])
        // Its dependents were started only after it: against the new one.
        XCTAssertEqual(h.runners["localhost"]?.updates["devel/mid"], "update")
        XCTAssertEqual(SignatureStore.read(h.config.signaturesPath, files: h.files).signatures["devel/mid"], "mid-1.0 lib-1.2")

        from = try again(h, rebuild: true, update: .update)
        XCTAssertEqual(packaged(h, since: from), [])
        XCTAssertEqual(rebuildLog(h), log, "a second -R rebuilt something")
    }

    /// Each job's signature is in the file as soon as the job has ended
    /// (a run that dies loses none); a run that finds as many lines to
    /// drop as records compacts the file.
    func testEveryBuiltPackageHasItsSignatureOnDiskWhileTheRunGoesOn() throws {
        let h = try Harness()
        h.tree.addLayered(40, seconds: { 3 + Double($0 % 4) })
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 3, local: true)]
        var looks = 0
        func look() {
            // Jobs that ended: a package is there from its `package` phase
            // on, the job ends after `clean`.
            let built = h.engineLines("B").compactMap { $0.components(separatedBy: ": B: ").last?.split(separator: " ").first.map(String.init) }
            let recorded = SignatureStore.read(h.config.signaturesPath, files: h.files).signatures
            XCTAssertEqual(Set(recorded.keys), Set(built), "at \(h.world.now)")
            if !built.isEmpty && built.count < 40 { looks += 1 }
            if built.count < 40 { h.world.after(0.7, look) }
        }
        h.world.at(h.world.now + 1, look)
        XCTAssertEqual(try h.run(), 0)
        XCTAssertGreaterThan(looks, 10, "looked while the run went on")
        // A second record of every path, as a run that rebuilt them all
        // would append: as many lines to drop as records.
        for path in h.tree.ports.keys { try h.files.append("\(path) changed\n", to: h.config.signaturesPath) }
        h.startOver()
        XCTAssertEqual(try h.run(), 0)
        let text = h.files.read(h.config.signaturesPath) ?? ""
        XCTAssertEqual(text.split(separator: "\n").count, 40, "compacted: one line per path")
        XCTAssertTrue(text.contains("cat1/p1 changed\n"), "the later line won")
    }

    /// A run that died while writing a line left it without its newline:
    /// the next run reports it and drops it before it appends (a line
    /// after it would make it a whole, wrong record).
    func testALineCutShortIsDroppedBeforeTheNextRunAppends() throws {
        let h = try tree()
        XCTAssertEqual(try h.run(), 0)
        try h.files.append("misc/other other-1.0 cut-sh", to: h.config.signaturesPath)
        h.files.remove(h.tree.packageFile("devel/lib"))
        _ = try again(h, rebuild: false, update: nil)
        XCTAssertTrue(h.reporter.events.contains { $0.contains("a last line without its newline") })
        let store = SignatureStore.read(h.config.signaturesPath, files: h.files)
        XCTAssertEqual(store.signatures["devel/lib"], "lib-1.0")
        XCTAssertEqual(store.signatures["misc/other"], "other-1.0", "the cut line is not a record")
        XCTAssertEqual(store.problems, [])
    }

    /// When the cut line cannot be dropped (the file cannot be replaced),
    /// the run says so and appends nothing: no wrong record is made.
    func testAFileEndingInACutLineThatCannotBeCompactedGetsNoMoreLines() throws {
        let h = try tree()
        XCTAssertEqual(try h.run(), 0)
        try h.files.append("misc/other other-1.0 cut-sh", to: h.config.signaturesPath)
        let before = h.files.read(h.config.signaturesPath)
        h.files.remove(h.tree.packageFile("devel/lib"))
        (h.files as? MemoryFileStore)?.failWrites(under: h.config.signaturesPath, code: EROFS)
        _ = try again(h, rebuild: false, update: nil)
        XCTAssertTrue(h.reporter.events.contains { $0.contains("signatures: not compacted") }, h.reporter.events.joined(separator: "\n"))
        XCTAssertTrue(h.reporter.events.contains { $0.contains("this run records no more signatures") })
        XCTAssertTrue(h.tree.packageExists("devel/lib"), "the run went on")
        XCTAssertEqual(h.files.read(h.config.signaturesPath), before)
    }

    /// A write to the file that fails during the run (a full disk) may
    /// have left part of a line: the run appends nothing more to it.
    func testAFailedAppendStopsTheRecordingForTheRestOfTheRun() throws {
        let h = try Harness()
        h.tree.addLayered(30, seconds: { 3 + Double($0 % 4) })
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 2, local: true)]
        var atFailure: String?
        h.world.at(h.world.now + 20) {
            atFailure = h.files.read(h.config.signaturesPath)
            (h.files as? MemoryFileStore)?.failWrites(under: h.config.signaturesPath, code: ENOSPC)
        }
        XCTAssertEqual(try h.run(), 1, "the log directory's disk failed: the run ends early")
        XCTAssertTrue(h.reporter.events.contains { $0.contains("a write to it failed; this run records no more signatures") },
                      h.reporter.events.suffix(8).joined(separator: "\n"))
        XCTAssertNotNil(atFailure)
        XCTAssertEqual(h.files.read(h.config.signaturesPath), atFailure)
    }

    func testPackagesWithoutARecordAreKeptAndReportedOrRebuiltWithU() throws {
        let h = try tree()
        XCTAssertEqual(try h.run(), 0)
        h.files.remove(h.config.signaturesPath)
        var from = try again(h, rebuild: true, update: .update)
        XCTAssertEqual(packaged(h, since: from), [])
        XCTAssertEqual(rebuildLog(h).sorted(), ["devel/lib lib-1.0 kept: signature unknown, kept",
                                               "devel/mid mid-1.0 kept: signature unknown, kept",
                                               "misc/other other-1.0 kept: signature unknown, kept",
                                               "misc/user user-1.0 kept: signature unknown, kept",
                                               "www/top top-1.0 kept: signature unknown, kept"])
        h.files.remove(h.logs.rebuildLog)
        from = try again(h, rebuild: true, update: .force)
        XCTAssertEqual(packaged(h, since: from).count, 5)
        let log = rebuildLog(h)
        XCTAssertTrue(log.contains("devel/lib lib-1.0 rebuilt: signature unknown (-U)"), "\(log)")
        XCTAssertTrue(log.contains("www/top top-1.0 rebuilt: built against rebuilt mid-1.0"), "\(log)")
        XCTAssertEqual(h.runners["localhost"]?.updates["www/top"], "force")
        XCTAssertEqual(SignatureStore.read(h.config.signaturesPath, files: h.files).signatures.count, 5)
    }

    func testTheTreesOwnSignatureDecides() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, listingExtra: ["BULKBUILD_SIGNATURE=abi-3"]))
        h.tree.add(FakePort(pkgpath: "devel/user", deps: ["devel/lib"], seconds: 5))
        XCTAssertEqual(try h.run(), 0)
        XCTAssertEqual(SignatureStore.read(h.config.signaturesPath, files: h.files).signatures["devel/lib"], "lib-1.0 tree:abi-3")
        h.tree.ports["devel/lib"]?.listingExtra = ["BULKBUILD_SIGNATURE=abi-4"]
        let from = try again(h, rebuild: true, update: .update)
        XCTAssertEqual(packaged(h, since: from), ["devel/lib", "devel/user"])
        XCTAssertEqual(rebuildLog(h), ["devel/lib lib-1.0 rebuilt: signature changed: -tree:abi-3 +tree:abi-4",
                                       "devel/user user-1.0 rebuilt: built against rebuilt lib-1.0"])
    }

    func testAnUnreadableSignatureLineIsReportedAndCountsAsUnknown() throws {
        let h = try tree()
        XCTAssertEqual(try h.run(), 0)
        let text = h.files.read(h.config.signaturesPath) ?? ""
        try h.files.replace(h.config.signaturesPath, with: "garbage\n" + text.replacingOccurrences(of: "www/top top-1.0 mid-1.0\n", with: ""))
        _ = try again(h, rebuild: true, update: .update)
        XCTAssertTrue(h.reporter.events.contains { $0.contains("\(h.config.signaturesPath):1: expected FULLPKGPATH SIGNATURE, got") },
                      h.reporter.events.filter { $0.contains("signatures") }.joined(separator: "\n"))
        XCTAssertEqual(rebuildLog(h), ["www/top top-1.0 kept: signature unknown, kept"])
    }
}
