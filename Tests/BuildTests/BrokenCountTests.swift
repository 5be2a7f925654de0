// The snapshot tells broken ports from IGNOREd ones within `!`, so that the
// plain reporter's last line agrees with the summary below it.
@testable import Build
import Engine
import XCTest

final class BrokenCountTests: XCTestCase {
    func testBrokenPortsAreCountedApartFromIgnoredOnes() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "www/app", deps: ["devel/missing"], seconds: 5))
        h.tree.add(FakePort(pkgpath: "misc/notHere", seconds: 5, listingExtra: ["IGNORE=not for this arch"]))
        h.tree.add(FakePort(pkgpath: "misc/fine", seconds: 5))
        XCTAssertEqual(try h.run(), 1)
        let counts = try XCTUnwrap(h.reporter.last?.counts)
        let summary = h.coordinator.engine.summary()
        XCTAssertEqual(counts.ignored, summary.ignoredOnly + summary.brokenPaths.count)
        XCTAssertEqual(counts.broken, summary.brokenPaths.count)
        XCTAssertGreaterThan(summary.brokenPaths.count, 0)
        XCTAssertEqual(summary.ignoredOnly, 1)
    }
}
