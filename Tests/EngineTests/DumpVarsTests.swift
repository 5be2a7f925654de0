import XCTest
@testable import Engine

final class DumpVarsTests: XCTestCase {
    private func parse(_ lines: [String], separator: String = "\n") -> DumpVarsOutput {
        DumpVarsOutput.parse(Substring(lines.joined(separator: separator) + separator))
    }

    func testBlocksCollectVariablesPerFullPkgPath() {
        let out = parse([
            "===> devel/gmake",
            "devel/gmake.FULLPKGNAME=gmake-4.4.1",
            "devel/gmake.BUILD_DEPENDS=devel/gettext",
            "===> lang/ghc",
            "lang/ghc,-main.FULLPKGNAME=ghc-9.2",
            "lang/ghc,-doc.FULLPKGNAME=ghc-doc-9.2",
            "lang/ghc,-main.RUN_DEPENDS=devel/gmake",
        ])
        XCTAssertEqual(out.blocks.map(\.header), ["devel/gmake", "lang/ghc"])
        XCTAssertEqual(out.blocks[0].vars[fp("devel/gmake")], ["FULLPKGNAME": "gmake-4.4.1",
                                                              "BUILD_DEPENDS": "devel/gettext"])
        XCTAssertEqual(out.blocks[1].order.map(\.canonical), ["lang/ghc,-main", "lang/ghc,-doc"])
        XCTAssertEqual(out.blocks[1].vars[fp("lang/ghc,-main")]?["RUN_DEPENDS"], "devel/gmake")
        XCTAssertEqual(out.blocks[1].raw.count, 4)
        XCTAssertFalse(out.blocks[0].broken)
        XCTAssertEqual(out.otherLines, ["===> devel/gmake", "===> lang/ghc"])
        XCTAssertTrue(out.nonexistent.isEmpty)
        XCTAssertTrue(out.blocks.allSatisfy { $0.problems.isEmpty })
    }

    func testHeaderWithParentKeepsOnlyThePath() {
        let out = parse(["===> x11/gtk+3,no_x11 (devel/parent)", "x11/gtk+3,no_x11.FULLPKGNAME=gtk-3"])
        XCTAssertEqual(out.blocks.map(\.header), ["x11/gtk+3,no_x11"])
        XCTAssertEqual(out.otherLines, ["===> x11/gtk+3,no_x11 (devel/parent)"])
    }

    func testQuotedValuesAreStrippedAndEmptyValuesKept() {
        let out = parse([
            "===> x/y",
            "x/y.COMMENT=\"a quoted comment\"",
            "x/y.IGNORE=",
            "x/y.EMPTYQ=\"\"",
            "x/y.ONEQUOTE=\"",
            "x/y.HALF=\"open",
            "x/y.CONFIGURE_ARGS=--with-a=b",
        ])
        let vars = out.blocks[0].vars[fp("x/y")]
        XCTAssertEqual(vars?["COMMENT"], "a quoted comment")
        XCTAssertEqual(vars?["IGNORE"], "")
        XCTAssertEqual(vars?["EMPTYQ"], "")
        XCTAssertEqual(vars?["ONEQUOTE"], "\"")
        XCTAssertEqual(vars?["HALF"], "\"open")
        XCTAssertEqual(vars?["CONFIGURE_ARGS"], "--with-a=b")
    }

    func testDottedPkgPathComponentsSplitAtTheLastDot() {
        let out = parse(["===> lang/python/3.11", "lang/python/3.11.FULLPKGNAME=python-3.11.4"])
        XCTAssertEqual(out.blocks[0].vars[fp("lang/python/3.11")]?["FULLPKGNAME"], "python-3.11.4")
    }

    func testAVariableGivenTwiceWithAnotherValueIsAConflictTheSameValueIsNot() {
        let out = parse(["===> x/y", "x/y.V=1", "x/y.V=2", "x/y.V=3", "x/y.W=a", "x/y.W=a", "x/z.W=b"])
        XCTAssertEqual(out.blocks[0].vars[fp("x/y")]?["V"], "3")
        XCTAssertEqual(out.blocks[0].order, [fp("x/y"), fp("x/z")])
        XCTAssertEqual(out.blocks[0].conflicts, [fp("x/y"): "V given twice: '1', then '2'"], "the first conflict")
    }

    func testAPortWithAConflictingVariableIsBrokenWithBothValues() {
        let out = parse(["===> x/y", "x/y.FULLPKGNAME=y-1", "x/y.FULLPKGNAME=y-2", "x/z.FULLPKGNAME=z-1"])
        let result = ListingResult.interpret(out, requested: [fp("x/y"), fp("x/z")])
        let broken = result.records.filter { $0.broken != nil }.map { ($0.path.canonical, $0.broken ?? "") }
        XCTAssertEqual(broken.map(\.0), ["x/y"])
        XCTAssertEqual(broken.first?.1, "FULLPKGNAME given twice: 'y-1', then 'y-2'")
    }

    func testAPortPrintedUnderANameThatIsNoPathIsNamedOnce() {
        let out = parse(["===> devel/ok", "devel/ok.FULLPKGNAME=ok-1",
                         "===> devel/a b", "devel/a b.FULLPKGNAME=a-1", "devel/a b.COMMENT=x",
                         "devel/x\u{1b}[2J.FULLPKGNAME=y-1", "not a variable=at all", "devel/c.lower=ok"])
        XCTAssertEqual(out.unusablePaths, [
            "invalid pkgpath 'devel/a b': character ' ' is not allowed (letters, digits, . _ + - only)",
            "invalid pkgpath 'devel/x\\u{1b}[2J': character '\\u{1b}' is not allowed (letters, digits, . _ + - only)",
        ])
        XCTAssertEqual(ListingResult.interpret(out, requested: []).unusablePaths.count, 2)
    }

    func testExitingWithAnErrorMarksTheBlockBroken() {
        let out = parse([
            "===> x/bad",
            "x/bad.FULLPKGNAME=bad-1",
            "make: don't know how to make foo",
            "===> Exiting x/bad with an error",
            "===> x/good",
            "x/good.FULLPKGNAME=good-1",
        ])
        XCTAssertEqual(out.blocks.map(\.header), ["x/bad", "x/good"])
        XCTAssertEqual(out.blocks.map(\.broken), [true, false])
        XCTAssertEqual(out.blocks[0].raw, ["===> x/bad", "x/bad.FULLPKGNAME=bad-1",
                                           "make: don't know how to make foo",
                                           "===> Exiting x/bad with an error"])
        XCTAssertTrue(out.otherLines.contains("===> Exiting x/bad with an error"))
        XCTAssertTrue(out.otherLines.contains("make: don't know how to make foo"))
        XCTAssertEqual(out.blocks[1].vars[fp("x/good")]?["FULLPKGNAME"], "good-1")
    }

    func testExitingForAnotherDirectoryStartsItsOwnBrokenBlock() {
        let out = parse(["===> x/a", "x/a.FULLPKGNAME=a-1", "===> Exiting x/b with an error"])
        XCTAssertEqual(out.blocks.map(\.header), ["x/a", "x/b"])
        XCTAssertEqual(out.blocks.map(\.broken), [false, true])
        XCTAssertEqual(out.blocks[1].raw, ["===> Exiting x/b with an error"])
    }

    func testBrokenDependencyNonExistent() {
        let out = parse(["===> x/a", ">> Broken dependency: devel/nothere non existent", "x/a.FULLPKGNAME=a-1"])
        XCTAssertEqual(out.nonexistent, ["devel/nothere"])
        XCTAssertTrue(out.otherLines.contains(">> Broken dependency: devel/nothere non existent"))
        // The line does not end the block.
        XCTAssertEqual(out.blocks.count, 1)
        XCTAssertEqual(out.blocks[0].vars[fp("x/a")]?["FULLPKGNAME"], "a-1")
    }

    func testMalformedLinesGoToOtherLinesAndProblems() {
        let out = parse([
            "===> x/y",
            "x/y.FULLPKGNAME=y-1",
            "x/y.lower=1",
            "x/y.1BAD=2",
            "x/y.BAD-NAME=3",
            "nopath.FOO=1",
            "x/y.NOEQUALS",
            "some garbage",
        ])
        let block = out.blocks[0]
        XCTAssertEqual(block.vars[fp("x/y")], ["FULLPKGNAME": "y-1"])
        XCTAssertEqual(block.problems, ["x/y.lower=1", "x/y.1BAD=2", "x/y.BAD-NAME=3", "nopath.FOO=1"])
        XCTAssertEqual(out.otherLines, ["===> x/y", "x/y.lower=1", "x/y.1BAD=2", "x/y.BAD-NAME=3",
                                        "nopath.FOO=1", "x/y.NOEQUALS", "some garbage"])
        XCTAssertEqual(block.raw.count, 8)
    }

    func testLinesOutsideAnyBlockAreOtherLinesOnly() {
        let out = parse(["make: warning", "x=1"])
        XCTAssertTrue(out.blocks.isEmpty)
        XCTAssertEqual(out.otherLines, ["make: warning", "x=1"])
    }

    func testVariableBeforeAnyHeaderOpensABlock() {
        let out = parse(["x/y,a.FULLPKGNAME=y-1"])
        XCTAssertEqual(out.blocks.map(\.header), ["x/y"])
        XCTAssertEqual(out.blocks[0].order, [fp("x/y,a")])
    }

    func testBlankLinesAreSkipped() {
        let out = parse(["===> x/y", "", "x/y.FULLPKGNAME=y-1", "", ""])
        XCTAssertEqual(out.blocks.count, 1)
        XCTAssertEqual(out.blocks[0].raw, ["===> x/y", "x/y.FULLPKGNAME=y-1"])
        XCTAssertEqual(out.otherLines, ["===> x/y"])
    }

    func testCRLFAndBlankLines() throws {
        let out = parse(["===> x/y", "", "x/y.FULLPKGNAME=\"y-1\"", "x/y.IGNORE=", "===> Exiting z/w with an error"],
                        separator: "\r\n")
        XCTAssertEqual(out.blocks.map(\.header), ["x/y", "z/w"])
        guard out.blocks.count == 2 else { return }
        XCTAssertEqual(out.blocks[0].vars[fp("x/y")], ["FULLPKGNAME": "y-1", "IGNORE": ""])
        XCTAssertTrue(out.blocks[1].broken)
        XCTAssertFalse(out.otherLines.contains { $0.contains("\r") })
    }

    func testEmptyOutput() {
        let out = DumpVarsOutput.parse("")
        XCTAssertTrue(out.blocks.isEmpty && out.otherLines.isEmpty && out.nonexistent.isEmpty)
    }
}
