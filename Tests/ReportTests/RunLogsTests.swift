import XCTest
@testable import Report

final class RunLogsTests: XCTestCase {
    func testBuildLogLineWithParallelJob() throws {
        let lines = try RunLogs.buildLog("devel/a localhost/4*2 20.00 1234 max_stuck=1.00/depends=0.50/build=9.50!\n", file: "build.log")
        XCTAssertEqual(lines.count, 1)
        XCTAssertEqual(lines[0].cores, 2)
        XCTAssertEqual(lines[0].slots, 4)
        XCTAssertEqual(lines[0].seconds, 10)
        XCTAssertTrue(lines[0].failed)
        XCTAssertEqual(lines[0].phases.map(\.0), ["depends", "build"])
    }
}
