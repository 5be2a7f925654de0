import XCTest
final class PlaceholderHostPoolTests: XCTestCase { func testBuilds() {} }
