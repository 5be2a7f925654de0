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

final class DependencyCountsOrderTests: XCTestCase {
    /// The kept list is the same as sorting every line, in any file order.
    func testTheBestOfAShuffledFileAreThoseOfAFullSort() throws {
        var lines: [(String, Int)] = []
        for i in 0..<2000 { lines.append(("cat\(i % 7)/p\(i)", (i * 7919) % 53 + 1)) }
        let expected = lines.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(10).map { $0.0 }
        for seed in 0..<5 {
            var shuffled = lines
            var g = SplitMix(seed: UInt64(seed))
            shuffled.shuffle(using: &g)
            let text = shuffled.map { "\($0.0) \($0.1)\n" }.joined()
            XCTAssertEqual(DependencyCounts.mostDependedUpon(in: text, limit: 10).map(\.canonical), expected)
        }
    }
}
