import XCTest
final class PlaceholderLogsTests: XCTestCase { func testBuilds() {} }
