// size.log and the rolling size file: `FULLPKGPATH(PKGNAME) size=KB ts=EPOCH`,
// the latest line of a path wins, any other line is an error with its place.
import Logs
import XCTest

final class SizeLogTests: TempDirTestCase {
    func testLinesRoundTripAndTheLatestOfAPathWins() throws {
        let a = SizeLog.Entry(path: "devel/lib,-main", pkgname: "lib-1.0", kilobytes: 120, timestamp: 1_700_000_000)
        XCTAssertEqual(a.line, "devel/lib,-main(lib-1.0) size=120 ts=1700000000\n")
        var b = a
        b.kilobytes = 130
        try FileIO.replace(path("size"), with: a.line + "\n" + b.line + "x11/gtk+3,no_x11(gtk+3-3.24) size=9 ts=5\n")
        let log = try SizeLog.read(path("size"))
        XCTAssertEqual(log.latest.count, 2)
        XCTAssertEqual(log.linesRead, 3)
        XCTAssertEqual(log.kilobytes(of: "devel/lib,-main", pkgpath: "devel/lib"), 130)
        XCTAssertEqual(log.kilobytes(of: "x11/gtk+3,no_x11", pkgpath: "x11/gtk+3"), 9)
        XCTAssertNil(log.kilobytes(of: "misc/none", pkgpath: "misc/none"))
        try log.write(to: path("out/size"))
        XCTAssertEqual(contents("out/size"), b.line + "x11/gtk+3,no_x11(gtk+3-3.24) size=9 ts=5\n")
    }

    func testABareFlavorlessMeasurementServesItsFlavors() throws {
        try FileIO.replace(path("size"), with: "devel/lib(lib-1.0) size=50 ts=1\n")
        XCTAssertEqual(try SizeLog.read(path("size")).kilobytes(of: "devel/lib,-docs", pkgpath: "devel/lib"), 50)
    }

    func testAMissingFileIsEmpty() throws {
        XCTAssertTrue(try SizeLog.read(path("none")).latest.isEmpty)
    }

    func testAMalformedLineNamesTheFileTheLineAndWhatWasExpected() throws {
        for bad in ["devel/lib size=10 ts=1", "devel/lib(lib-1) size=ten ts=1", "devel/lib(lib-1) size=10",
                    "devel/lib(lib-1) size=-3 ts=1", "lib(lib-1) size=1 ts=1", "devel/lib() size=1 ts=1",
                    "devel/lib(lib-1) ts=1 size=1"] {
            try FileIO.replace(path("size"), with: "devel/ok(ok-1) size=1 ts=1\n\(bad)\n")
            XCTAssertThrowsError(try SizeLog.read(path("size")), bad) { error in
                XCTAssertEqual("\(error)", "\(path("size")):2: expected FULLPKGPATH(PKGNAME) size=KILOBYTES ts=EPOCH, not '\(bad)'")
            }
        }
    }
}
