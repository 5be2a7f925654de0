import XCTest
@testable import Engine

/// Mutated dump-vars output through the real parser and interpreter (it
/// lives beside the hosts-file fuzzer to share its mutator): no crash, and
/// nothing that reaches a file name escapes the rules of ListedNames.
final class DumpVarsFuzzTests: XCTestCase {
    static let valid = """
        ===> devel/gmake
        devel/gmake.FULLPKGNAME=gmake-4.4.1
        devel/gmake.DISTFILES=make-4.4.1.tar.gz
        devel/gmake.DIST_SUBDIR=gnu
        devel/gmake.DPB_PROPERTIES=parallel tag:gnu
        ===> x/y
        x/y,-main.FULLPKGNAME=y-1.0
        x/y,-main.MULTI_PACKAGES=-main -lib
        x/y,-main.BUILD_DEPENDS=devel/gmake
        x/y,-main.LIB_DEPENDS=x/y,-lib libA-*:devel/libA
        x/y,-main.RUN_DEPENDS=misc/runA:build
        x/y,-lib.FULLPKGNAME="y-lib-1.0"
        x/y,-lib.IGNORE=
        ===> lang/ghc,docs
        lang/ghc,docs.FULLPKGNAME=ghc-docs-9.6
        >> Broken dependency: misc/gone non existent
        ===> Exiting lang/broken with an error

        """

    func testMutatedListingsNeverCrashAndNamesStayInside() {
        let clean = ListingResult.interpret(DumpVarsOutput.parse(Substring(Self.valid)), requested: [])
        XCTAssertEqual(clean.records.compactMap(\.broken), [])
        XCTAssertEqual(clean.records.count, 4)
        var m = TextMutator(seed: 42)
        var records = 0, broken = 0
        for n in 0..<400 {
            let text = String(decoding: m.mutate(Self.valid), as: UTF8.self)
            let out = DumpVarsOutput.parse(Substring(text))
            let r = ListingResult.interpret(out, requested: [try! FullPkgPath("x/y"), try! FullPkgPath("lang/ghc,docs")])
            for rec in r.records {
                records += 1
                if rec.broken != nil { broken += 1 }
                if !rec.pkgname.isEmpty {
                    XCTAssertNil(ListedNames.packageNameProblem(rec.pkgname), "case \(n): \(rec.pkgname)")
                }
                XCTAssertTrue(rec.broken != nil || !rec.pkgname.isEmpty, "case \(n): \(rec.path) has no name and no reason")
                for f in rec.distfiles {
                    XCTAssertNil(ListedNames.distPathProblem(f), "case \(n): \(f)")
                }
                for t in rec.tags { XCTAssertNil(ListedNames.tagProblem(t), "case \(n): \(t)") }
                XCTAssertLessThan(rec.broken?.utf8.count ?? 0, 20_000, "case \(n): reason not shortened")
            }
        }
        XCTAssertGreaterThan(records, 0)
        XCTAssertGreaterThan(broken, 0)
        print("dump-vars fuzz: 400 cases in process, \(records) records, \(broken) broken, 0 crashes")
    }
}
