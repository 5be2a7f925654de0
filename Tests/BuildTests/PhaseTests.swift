// The phase list of a build and the policy that goes with each phase.
@testable import Build
import XCTest

final class PhaseTests: XCTestCase {
    func testAFullBuildRunsEveryPhaseInTheProtocolsOrder() {
        XCTAssertEqual(Phase.sequence(cleanFirst: true, install: true, small: false, fetchJobs: false, cleanAfter: true),
                       [.clean, .depends, .prepare, .fetch, .patch, .configure, .build, .fake, .package, .clean])
    }

    func testNothingToInstallSmallFetchedAndKept() {
        XCTAssertEqual(Phase.sequence(cleanFirst: false, install: false, small: true, fetchJobs: true, cleanAfter: false),
                       [.prepare, .checksum, .build, .package])
    }

    func testOnlyPhasesThatInstallOrRemovePackagesTakeTheHostLock() {
        XCTAssertEqual(Set(Phase.allCases.filter(\.needsHostLock)), [.depends, .prepare, .junk])
        XCTAssertEqual(Set(Phase.allCases.filter(\.setsAffinity)), [.fetch, .checksum])
    }
}
