// A whole-tree run that finds the last run's dependencies.log lists the
// most depended-upon paths first, and the whole tree beside them.
@testable import Build
import Engine
import Foundation
import Logs
import XCTest

final class ListingRestartTests: XCTestCase {
    func listings(_ h: Harness) -> [String] { (h.coordinator.listingRunner as? FakeRunner)?.listings ?? [] }

    func testTheMostDependedUponPathsAreListedFirst() throws {
        let h = try Harness(store: .disk)
        h.tree.addLayered(30)
        XCTAssertEqual(try h.run(), 0)
        XCTAssertEqual(listings(h), [""], "no counts yet: the whole tree at once")
        let counts = try XCTUnwrap(FileIO.read(h.logs.dependenciesLog))
        let expected = DependencyCounts.mostDependedUpon(in: counts, limit: DependencyCounts.quickListingSize)
        XCTAssertEqual(expected.count, DependencyCounts.quickListingSize)

        for p in h.tree.order { try? FileManager.default.removeItem(atPath: h.tree.packageDir + "/" + (h.tree.ports[p]?.pkgname ?? "") + ".tgz") }
        h.startOver()
        XCTAssertEqual(try h.run(), 0)
        XCTAssertEqual(listings(h).first, expected.map(\.canonical).joined(separator: " "))
        XCTAssertEqual(listings(h).filter { $0.isEmpty }.count, 1, "then the whole tree, once")
        XCTAssertTrue(h.tree.order.allSatisfy { h.tree.packageExists($0) })
    }

    func testAPathTheTreeNoLongerHasDoesNotFailTheRun() throws {
        let h = try Harness(store: .disk)
        h.tree.add(FakePort(pkgpath: "devel/lib", seconds: 5))
        h.tree.add(FakePort(pkgpath: "www/app", deps: ["devel/lib"], seconds: 5))
        try FileIO.makeDirectory(h.config.logdir)
        try FileIO.replace(h.logs.dependenciesLog, with: "misc/gone 7\ndevel/lib 1\nnot a line\n")
        XCTAssertEqual(try h.run(), 0)
        XCTAssertEqual(listings(h).first, "misc/gone devel/lib")
        XCTAssertTrue(h.tree.packageExists("www/app"))
    }
}
