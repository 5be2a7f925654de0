// dependencies.log read back: the most depended-upon paths, highest first.
import Engine
import Logs
import XCTest

final class DependencyCountsTests: XCTestCase {
    func testHighestCountsFirstTiesByNameBadLinesSkipped() {
        let text = "devel/b 3\ndevel/a 3\nmisc/big 10\nbad line here\ndevel/neg -1\ndevel/zero 0\n..//x 4\ndevel/a 99\nmisc/one 1\n"
        let top = DependencyCounts.mostDependedUpon(in: text, limit: 3).map(\.canonical)
        XCTAssertEqual(top, ["misc/big", "devel/a", "devel/b"], "a repeated path keeps its first count")
        XCTAssertEqual(DependencyCounts.mostDependedUpon(in: text, limit: 0), [])
        XCTAssertEqual(DependencyCounts.mostDependedUpon(in: "", limit: 10), [])
    }
}
