// -s: a built port's work directory is measured on its host right before
// its last clean; the size goes to size.log and the rolling size file.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class WorkSizeTests: XCTestCase {
    func harness() throws -> Harness {
        let h = try Harness(store: .disk)
        h.config.measureSizes = true
        h.config.sizesPath = h.dir + "/build-stats/amd64-size"
        return h
    }

    func testTheWorkDirectoryIsMeasuredBeforeTheLastCleanAndLogged() throws {
        let h = try harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, listingExtra: ["WRKDIR=/obj/devel.lib"]))
        h.tree.workKilobytes["/obj/devel.lib"] = 2345
        // The screen shows the measure as the job's phase while du runs.
        var phases = Set<String>()
        for i in 1...200 { h.world.at(h.world.now + Double(i) * 0.05) { phases.formUnion(h.coordinator.snapshot(h.world.now).jobs.map(\.phase)) } }
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue(phases.contains("size"), "\(phases)")
        let du = h.runners["localhost"]?.argvs.filter { $0.argv.first == "du" } ?? []
        XCTAssertEqual(du.map(\.argv), [["du", "-sk", "--", "/obj/devel.lib"]], "one task, the path an argument")
        let packageAt = h.tree.phases.first { $0.path == "devel/lib" && $0.phase == "package" }?.at ?? .infinity
        let cleanAt = h.tree.phases.last { $0.path == "devel/lib" && $0.phase == "clean" }?.at ?? -1
        XCTAssertTrue(du.allSatisfy { $0.at > packageAt && $0.at < cleanAt }, "after package, before clean")
        let line = try XCTUnwrap(FileIO.read(h.logs.sizeLog))
        XCTAssertTrue(line.hasPrefix("devel/lib(lib-1.0) size=2345 ts="), line)
        XCTAssertEqual(line.split(separator: "\n").count, 1)
        XCTAssertEqual(try SizeLog.read(h.config.sizesPath).latest["devel/lib"]?.kilobytes, 2345)
    }

    func testTheRollingFilesDirectoryIsMadeOnceAtTheStart() throws {
        let h = try harness()
        h.config.sizesPath = h.dir + "/new/stats/amd64-size"
        for n in 1...3 {
            h.tree.add(FakePort(pkgpath: "devel/l\(n)", seconds: 5, listingExtra: ["WRKDIR=/obj/devel.l\(n)"]))
            h.tree.workKilobytes["/obj/devel.l\(n)"] = Int64(n)
        }
        var madeBeforeAnyBuild = false
        try h.prepare()
        h.world.at(h.world.now + 0.01) { madeBeforeAnyBuild = FileIO.exists(h.dir + "/new/stats") }
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue(madeBeforeAnyBuild, "made at the first record only")
        XCTAssertEqual(try SizeLog.read(h.config.sizesPath).latest.count, 3)
    }

    func testARollingFileThatCannotBeMadeStopsTheRunBeforeAnyBuild() throws {
        let h = try harness()
        try "a file\n".write(toFile: h.dir + "/in-the-way", atomically: true, encoding: .utf8)
        h.config.sizesPath = h.dir + "/in-the-way/amd64-size"
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, listingExtra: ["WRKDIR=/obj/devel.lib"]))
        XCTAssertEqual(try h.run(), 1)
        XCTAssertEqual(h.tree.phasesOf("devel/lib"), [], "a build ran although its size could not be kept")
    }

    func testWithoutWRKDIRNothingIsMeasuredAndTheLogSaysSo() throws {
        let h = try harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5))
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue(h.runners["localhost"]?.argvs.isEmpty ?? false)
        XCTAssertNil(FileIO.read(h.logs.sizeLog))
        XCTAssertTrue(h.portLog("devel/lib").contains("size not measured: the tree lists no WRKDIR"))
        XCTAssertEqual(h.tree.phasesOf("devel/lib").last, "clean", "the build goes on")
    }

    func testAFailedMeasureIsNotedAndTheBuildStillSucceeds() throws {
        let h = try harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, listingExtra: ["WRKDIR=/obj/gone"]))
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue(h.portLog("devel/lib").contains("-s: could not measure /obj/gone"))
        XCTAssertNil(FileIO.read(h.logs.sizeLog))
        XCTAssertTrue(h.tree.packageExists("devel/lib"))
    }

    func testWithoutARollingFileOnlySizeLogIsWritten() throws {
        let h = try harness()
        h.config.sizesPath = ""
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, listingExtra: ["WRKDIR=/obj/devel.lib"]))
        h.tree.workKilobytes["/obj/devel.lib"] = 7
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue((FileIO.read(h.logs.sizeLog) ?? "").hasPrefix("devel/lib(lib-1.0) size=7 "))
        XCTAssertFalse(FileIO.exists(h.dir + "/build-stats/amd64-size"))
    }

    func testWithoutSNothingIsMeasured() throws {
        let h = try Harness(store: .disk)
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, listingExtra: ["WRKDIR=/obj/devel.lib"]))
        h.tree.workKilobytes["/obj/devel.lib"] = 10
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue(h.runners["localhost"]?.argvs.isEmpty ?? false)
    }

    func testTheRollingFileKeepsTheLatestOfEachPathAcrossRuns() throws {
        let h = try harness()
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5, listingExtra: ["WRKDIR=/obj/devel.lib"]))
        try FileIO.makeDirectory(h.dir + "/build-stats")
        try FileIO.replace(h.config.sizesPath, with: "devel/lib(lib-0.9) size=10 ts=1\ndevel/lib(lib-0.9) size=20 ts=2\nmisc/other(other-1) size=5 ts=3\n")
        h.config.sizes = try SizeLog.read(h.config.sizesPath)
        h.tree.workKilobytes["/obj/devel.lib"] = 30
        XCTAssertEqual(try h.run(), 0)
        let lines = (FileIO.read(h.config.sizesPath) ?? "").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, "compacted at the start, one line appended: \(lines)")
        XCTAssertEqual(lines[0], "devel/lib(lib-0.9) size=20 ts=2")
        XCTAssertEqual(lines[1], "misc/other(other-1) size=5 ts=3")
        XCTAssertTrue(lines[2].hasPrefix("devel/lib(lib-1.0) size=30 ts="))
        XCTAssertEqual(try SizeLog.read(h.config.sizesPath).latest["devel/lib"]?.kilobytes, 30)
    }
}
