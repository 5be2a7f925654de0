import XCTest
@testable import Engine

/// Each text must be rejected with a PathError naming the text (or, for a
/// fullpkgpath whose pkgpath is bad, that pkgpath) and whose reason
/// contains the fragment given with it.
func assertRejected<T>(_ cases: [(String, String)], _ make: (String) throws -> T,
                       file: StaticString = #filePath, line: UInt = #line) {
    for (text, reason) in cases {
        XCTAssertThrowsError(try make(text), "\(text) accepted", file: file, line: line) { error in
            guard let e = error as? PathError else { return XCTFail("wrong error for \(text)", file: file, line: line) }
            XCTAssertTrue(text.hasPrefix(e.text), "\(text): error names '\(e.text)'", file: file, line: line)
            XCTAssertTrue(e.reason.contains(reason), "\(text): '\(e.reason)' lacks '\(reason)'", file: file, line: line)
            // Control characters are shown escaped (the message may reach a terminal).
            XCTAssertTrue(e.description.hasPrefix("invalid pkgpath '\(ListedNames.visible(e.text, limit: 200))': "),
                          file: file, line: line)
        }
    }
}

final class PkgPathTests: XCTestCase {
    func testValidPkgPathsKeepTheirText() throws {
        for text in ["devel/gmake", "x11/gnome/terminal", "lang/gcc/4.9", "a/b.c_d+e-f", "A/Z9", "x11/gtk+3"] {
            let p = try PkgPath(text)
            XCTAssertEqual(p.value, text)
            XCTAssertEqual(p.description, text)
        }
    }

    func testDottedReplacesEverySlash() throws {
        XCTAssertEqual(try PkgPath("x11/gnome/terminal").dotted, "x11.gnome.terminal")
        XCTAssertEqual(try PkgPath("devel/gmake").dotted, "devel.gmake")
    }

    /// Each bad text with a fragment of the reason it must give.
    func testInvalidPkgPathsAreRejectedWithAReason() {
        let cases: [(String, String)] = [
            ("devel", "two components"),
            ("", "two components"),
            ("devel/../gmake", "'..'"),
            ("../devel/gmake", "'..'"),
            ("devel/./gmake", "'.'"),
            ("devel//gmake", "empty component"),
            ("devel/gmake/", "empty component"),
            ("/devel/gmake", "empty component"),
            ("devel/-gmake", "starts with '-'"),
            ("-devel/gmake", "starts with '-'"),
            ("devel/gm ake", "character ' '"),
            ("devel/gm:ake", "character ':'"),
            ("devel/gmake,a", "character ','"),
            ("devel/gm>ake", "character '>'"),
            ("devel/gmäke", "character 'ä'"),
            ("devel/gmake\t", "character '\t'"),
        ]
        assertRejected(cases) { try PkgPath($0) }
    }

    func testPkgPathsOrderByText() throws {
        let sorted = try ["x11/b", "devel/z", "devel/a"].map { try PkgPath($0) }.sorted()
        XCTAssertEqual(sorted.map(\.value), ["devel/a", "devel/z", "x11/b"])
    }
}

final class FullPkgPathTests: XCTestCase {
    func testCanonicalSortsFlavorsAndPutsSubpackageLast() throws {
        for text in ["www/foo,b,a,-docs", "www/foo,-docs,b,a", "www/foo,a,-docs,b"] {
            let p = try FullPkgPath(text)
            XCTAssertEqual(p.canonical, "www/foo,a,b,-docs", text)
            XCTAssertEqual(p.flavors, ["a", "b"])
            XCTAssertEqual(p.subpackage, "-docs")
            XCTAssertEqual(p.pkgpath.value, "www/foo")
            XCTAssertFalse(p.explicitNoFlavor)
        }
    }

    func testPlainAndSingleFieldForms() throws {
        XCTAssertEqual(try FullPkgPath("devel/gmake").canonical, "devel/gmake")
        XCTAssertEqual(try FullPkgPath("lang/ghc,-main").canonical, "lang/ghc,-main")
        XCTAssertEqual(try FullPkgPath("x11/gtk+3,no_x11").canonical, "x11/gtk+3,no_x11")
        let bare = try FullPkgPath("devel/gmake")
        XCTAssertEqual(bare.flavors, [])
        XCTAssertNil(bare.subpackage)
    }

    func testRepeatedFlavorCountsOnce() throws {
        XCTAssertEqual(try FullPkgPath("x/y,a,b,a").canonical, "x/y,a,b")
    }

    func testExplicitNoFlavorIsKeptAndDiffersFromDefault() throws {
        let explicit = try FullPkgPath("devel/foo,")
        let plain = try FullPkgPath("devel/foo")
        XCTAssertTrue(explicit.explicitNoFlavor)
        XCTAssertFalse(plain.explicitNoFlavor)
        XCTAssertEqual(explicit.canonical, "devel/foo,")
        XCTAssertNotEqual(explicit, plain)
        XCTAssertEqual(Set([explicit, plain, try FullPkgPath("devel/foo,")]).count, 2)
    }

    func testEmptyFieldBesideAFlavorIsDropped() throws {
        let p = try FullPkgPath("devel/foo,,a")
        XCTAssertFalse(p.explicitNoFlavor)
        XCTAssertEqual(p.canonical, "devel/foo,a")
    }

    /// The explicit-no-flavor marker must survive a subpackage:
    /// `devel/foo,,-main` is not `devel/foo,-main` (whose unit is the
    /// default flavor, `devel/foo`).
    func testExplicitNoFlavorWithSubpackageKeepsItsEmptyField() throws {
        let p = try FullPkgPath("devel/foo,,-main")
        XCTAssertEqual(p.canonical, "devel/foo,,-main")
        XCTAssertNotEqual(p, try FullPkgPath("devel/foo,-main"))
    }

    func testExplicitNoFlavorWithSubpackageKeepsItsFields() throws {
        let p = try FullPkgPath("devel/foo,,-main")
        XCTAssertTrue(p.explicitNoFlavor)
        XCTAssertEqual(p.subpackage, "-main")
        XCTAssertEqual(p.withoutSubpackage.canonical, "devel/foo,")
    }

    func testTwoSubpackagesAreRejected() {
        XCTAssertThrowsError(try FullPkgPath("x/y,-main,-docs")) { error in
            XCTAssertEqual((error as? PathError)?.reason, "more than one subpackage")
        }
        XCTAssertThrowsError(try FullPkgPath("x/y,-main,a,-main"))
    }

    func testBadFieldsAreRejected() {
        let cases: [(String, String)] = [
            ("x/y,a b", "flavor"),
            ("x/y,a:b", "flavor"),
            ("x/y,a=b", "flavor"),
            ("x/y,..", "flavor"),
            ("x/y,-", "subpackage"),
            ("x/y,--docs", "subpackage"),
            ("x/y,-do/cs", "subpackage"),
            ("x,a", "two components"),
            ("x/../y,a", "'..'"),
            (",a", "two components"),
        ]
        assertRejected(cases) { try FullPkgPath($0) }
    }

    func testEqualityAndHashUseCanonicalForm() throws {
        let a = try FullPkgPath("a/b,y,x,-sub")
        let b = try FullPkgPath("a/b,-sub,x,y")
        XCTAssertEqual(a, b)
        XCTAssertEqual(Set([a, b]).count, 1)
        XCTAssertEqual([a: 1][b], 1)
        XCTAssertLessThan(try FullPkgPath("a/b"), try FullPkgPath("a/b,x"))
    }

    func testMemberwiseInitSortsAndRenders() throws {
        let p = FullPkgPath(pkgpath: try PkgPath("www/foo"), flavors: ["z", "a", "z"], subpackage: "-docs")
        XCTAssertEqual(p.canonical, "www/foo,a,z,-docs")
        XCTAssertEqual(p, try FullPkgPath("www/foo,z,a,-docs"))
        // Explicit no flavor is dropped when flavors are given.
        let q = FullPkgPath(pkgpath: try PkgPath("www/foo"), flavors: ["a"], explicitNoFlavor: true)
        XCTAssertFalse(q.explicitNoFlavor)
        XCTAssertEqual(q.canonical, "www/foo,a")
    }

    func testWithoutSubpackageAndDotted() throws {
        let p = try FullPkgPath("x11/gnome/foo,b,a,-docs")
        XCTAssertEqual(p.withoutSubpackage.canonical, "x11/gnome/foo,a,b")
        XCTAssertEqual(p.dotted, "x11.gnome.foo,a,b,-docs")
        XCTAssertEqual(try FullPkgPath("devel/foo,").withoutSubpackage.canonical, "devel/foo,")
    }

    func testCanonicalTextParsesBackToTheSamePath() throws {
        for text in ["www/foo,b,a,-docs", "devel/foo,", "lang/ghc,-main", "x/y/z,q"] {
            let p = try FullPkgPath(text)
            let again = try FullPkgPath(p.canonical)
            XCTAssertEqual(again, p)
            XCTAssertEqual(again.explicitNoFlavor, p.explicitNoFlavor, text)
            XCTAssertEqual(again.withoutSubpackage, p.withoutSubpackage, text)
        }
    }

    func testAComponentLongerThanADirectoryNameIsRefused() {
        XCTAssertNoThrow(try FullPkgPath("devel/" + String(repeating: "x", count: 255)))
        XCTAssertThrowsError(try FullPkgPath("devel/" + String(repeating: "x", count: 256))) { e in
            XCTAssertEqual((e as? PathError)?.reason, "a component of 256 bytes (a directory name has at most 255)")
        }
        XCTAssertThrowsError(try FullPkgPath("devel/x," + String(repeating: "f", count: 300)))
    }
}

/// The quick check that most names take (`PkgPath.isPlain`) accepts only
/// what the component-by-component rules accept, and the fast ways through
/// FullPkgPath and Dependency give what the long ways give.
final class PlainPathTests: XCTestCase {
    func slowAccepts(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.allSatisfy { PkgPath.problem(inComponent: $0) == nil }
    }

    func testThePlainCheckAgreesWithTheRulesOnEdgesAndRandomNames() {
        let long = String(repeating: "a", count: 255)
        let edges = ["a/b", "a", "/a", "a/", "a//b", "a/.", "a/..", "a/.b", "a/..b", "./a", "a/-b", "-a/b", "a/b-",
                     "a/b/c", "a/\(long)", "a/\(long)b", "a/b c", "a/é", "a/b+x_y.z", "a/b,c", "a/b:c", ""]
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab/.-_+,: é".unicodeScalars)
        var names = edges
        for _ in 0..<5000 {
            let n = Int.random(in: 0...8, using: &rng)
            names.append(String(String.UnicodeScalarView((0..<n).map { _ in alphabet.randomElement(using: &rng)! })))
        }
        for name in names {
            XCTAssertEqual((try? PkgPath(name)) != nil, slowAccepts(name), name)
            if PkgPath.isPlain(name) { XCTAssertTrue(slowAccepts(name), name) }
        }
        XCTAssertTrue(PkgPath.isPlain("devel/gmake"))
        XCTAssertFalse(PkgPath.isPlain("a/\(long)b"))
    }

    func testPathsWithoutFlavorsAndPlainDependenciesMatchTheLongWay() throws {
        let p = try FullPkgPath("devel/gmake")
        XCTAssertEqual(p.canonical, "devel/gmake")
        XCTAssertEqual(p.flavors, [])
        XCTAssertNil(p.subpackage)
        XCTAssertFalse(p.explicitNoFlavor)
        XCTAssertEqual(p, FullPkgPath(pkgpath: try PkgPath("devel/gmake")))
        XCTAssertEqual(p.withoutSubpackage, p)
        XCTAssertEqual(try FullPkgPath("x/y,-main").withoutSubpackage.canonical, "x/y")
        XCTAssertEqual(try FullPkgPath("x/y,b,a,a").canonical, "x/y,a,b")
        XCTAssertEqual(try Dependency.parse("devel/gmake").get(), Dependency(path: p, stage: nil))
        XCTAssertEqual(try Dependency.parse("STEM->=1:devel/gmake").get(), Dependency(path: p, stage: nil))
        XCTAssertEqual(try Dependency.parse("devel/gmake:build").get().stage, "build")
        for bad in ["devel", "devel/../x", "devel/g make", "a/b:c:d"] {
            XCTAssertThrowsError(try Dependency.parse(bad).get(), bad)
        }
    }
}
