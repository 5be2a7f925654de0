import XCTest
final class PlaceholderTTYReportTests: XCTestCase { func testBuilds() {} }
