import XCTest
@testable import Engine

final class DependencyTests: XCTestCase {
    private func parsed(_ word: String, file: StaticString = #filePath, line: UInt = #line) -> Dependency? {
        switch Dependency.parse(word) {
        case .success(let d): return d
        case .failure(let e): XCTFail("\(word) rejected: \(e)", file: file, line: line); return nil
        }
    }

    private func assertRejected(_ word: String, _ reason: String? = nil,
                                file: StaticString = #filePath, line: UInt = #line) {
        switch Dependency.parse(word) {
        case .success(let d): XCTFail("\(word) accepted as \(d.path)", file: file, line: line)
        case .failure(let e):
            XCTAssertEqual(e.word, word, file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix("bad dependency '\(word)': "), file: file, line: line)
            if let reason {
                XCTAssertTrue(e.reason.contains(reason), "'\(e.reason)' lacks '\(reason)'", file: file, line: line)
            }
        }
    }

    func testPlainPkgPath() {
        let d = parsed("devel/gmake")
        XCTAssertEqual(d?.path.canonical, "devel/gmake")
        XCTAssertNil(d?.stage)
    }

    func testPackageSpecIsDropped() {
        XCTAssertEqual(parsed("gmake-*:devel/gmake")?.path.canonical, "devel/gmake")
        XCTAssertEqual(parsed("STEM->=1.0:devel/foo")?.path.canonical, "devel/foo")
        XCTAssertEqual(parsed("foo-<2.0|>=3:devel/foo,a")?.path.canonical, "devel/foo,a")
        XCTAssertNil(parsed("STEM->=1.0:devel/foo")?.stage)
    }

    func testStageTargets() {
        for stage in ["patch", "configure", "build"] {
            let d = parsed("devel/foo:\(stage)")
            XCTAssertEqual(d?.path.canonical, "devel/foo")
            XCTAssertEqual(d?.stage, stage)
        }
        let both = parsed("foo-*:devel/foo,a:patch")
        XCTAssertEqual(both?.path.canonical, "devel/foo,a")
        XCTAssertEqual(both?.stage, "patch")
    }

    func testFlavorsAndSubpackage() {
        let d = parsed("devel/foo,a,-lib")
        XCTAssertEqual(d?.path.flavors, ["a"])
        XCTAssertEqual(d?.path.subpackage, "-lib")
        XCTAssertEqual(parsed("devel/foo,b,a")?.path.canonical, "devel/foo,a,b")
        XCTAssertEqual(parsed("devel/foo,")?.path.explicitNoFlavor, true)
    }

    func testWordsWithOperatorsLeftAreErrors() {
        assertRejected("foo>=1.0", "unexpected '>'")
        assertRejected("devel/foo>=1", "unexpected '>'")
        assertRejected("devel/foo<2", "unexpected '<'")
        assertRejected("devel/foo=", "unexpected '='")
        assertRejected("devel/foo:install", "':'")
        assertRejected("a:b:c/d", "':'")
        assertRejected("devel/foo::patch", "':'")
        assertRejected("devel/foo:patch:build", "':'")
        assertRejected("foo/bar>=1:devel/foo", "':'")
    }

    func testWordsThatAreNoPathAreErrors() {
        assertRejected("", "two components")
        assertRejected("gmake-*:", "two components")
        assertRejected("gmake", "two components")
        assertRejected("devel/../foo", "'..'")
        assertRejected("devel/foo,-a,-b", "more than one subpackage")
        assertRejected("devel/-foo", "starts with '-'")
    }

    func testSameWordsAreEqualDependencies() {
        XCTAssertEqual(parsed("x-*:devel/foo,b,a"), parsed("devel/foo,a,b"))
        XCTAssertNotEqual(parsed("devel/foo:patch"), parsed("devel/foo"))
    }
}
