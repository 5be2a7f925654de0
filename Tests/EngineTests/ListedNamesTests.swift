import XCTest
@testable import Engine

/// Listing values that become file names: a bad one breaks its port with
/// a reason, and the record keeps nothing that could name a file.
final class ListedNamesTests: XCTestCase {
    private func only(_ lines: [String]) -> PortRecord? {
        let out = DumpVarsOutput.parse(Substring(lines.joined(separator: "\n") + "\n"))
        let r = ListingResult.interpret(out, requested: [])
        XCTAssertEqual(r.records.count, 1, "\(r.records)")
        return r.records.first
    }

    private func port(_ vars: [String]) -> PortRecord? {
        only(["===> x/y"] + vars.map { "x/y." + $0 })
    }

    func testFullPkgNameWithSlashesBreaksThePortAndIsNotKept() {
        let r = port(["FULLPKGNAME=../../x"])
        XCTAssertEqual(r?.broken, "FULLPKGNAME '../../x' starts with '.'")
        XCTAssertEqual(r?.pkgname, "")
    }

    func testBadFullPkgNamesEachGiveAReason() {
        let cases: [(String, String)] = [
            ("a/b-1.0", "character '/' is not allowed"),
            ("-rf-1.0", "starts with '-'"),
            (".hidden-1", "starts with '.'"),
            ("a b", "character ' ' is not allowed"),      // a quoted value keeps its space
            ("x-1;rm", "character ';' is not allowed"),
            ("x-$(id)", "character '$' is not allowed"),
            ("x-1\u{1}", "character U+1 is not allowed"),
            ("caf\u{e9}-1", "character U+E9 is not allowed"),
            // A byte that is not UTF-8 reaches the check decoded as U+FFFD.
            (String(decoding: [0x78, 0xFF, 0x2D, 0x31] as [UInt8], as: UTF8.self),
             "character U+FFFD (a byte that is not valid UTF-8, or U+FFFD itself) is not allowed"),
            (String(repeating: "a", count: 251), "is longer than 250 bytes"),
        ]
        for (name, reason) in cases {
            let r = port(["FULLPKGNAME=\"\(name)\""])
            XCTAssertTrue(r?.broken?.contains(reason) ?? false, "\(name): \(r?.broken ?? "not broken")")
            XCTAssertEqual(r?.pkgname, "", name)
        }
    }

    func testReasonEscapesControlCharactersAndIsShort() {
        let r = port(["FULLPKGNAME=x\u{1b}[2J" + String(repeating: "y", count: 200)])
        let why = r?.broken ?? ""
        XCTAssertFalse(why.contains("\u{1b}"), why)
        XCTAssertTrue(why.contains("\\u{1b}"), why)
        XCTAssertLessThan(why.count, 160, why)
    }

    func testRealPackageNamesPass() {
        for name in ["gmake-4.4.1", "gtk+3-3.24.41p0", "py3-foo_bar-1.0v0", "ghc-9.6.4-docs", "x11-7", "a.b-0"] {
            let r = port(["FULLPKGNAME=\(name)"])
            XCTAssertNil(r?.broken, name)
            XCTAssertEqual(r?.pkgname, name)
        }
    }

    func testDistfilesMustStayBelowDistdir() {
        let cases: [(String, String)] = [
            ("../../etc/passwd", "has a '..' component"),
            ("/etc/passwd", "is an absolute path"),
            ("a//b.tgz", "has an empty path component"),
            ("a/./b.tgz", "has a '.' component"),
            ("-x.tgz", "starts with '-'"),
            ("a$(id).tgz", "character '$' is not allowed"),
            ("a`id`.tgz", "character '`' is not allowed"),
        ]
        for (word, reason) in cases {
            let r = port(["FULLPKGNAME=y-1", "DISTFILES=ok.tgz \(word)"])
            XCTAssertTrue(r?.broken?.hasPrefix("DISTFILES word '\(word)' \(reason)") ?? false, "\(word): \(r?.broken ?? "not broken")")
            XCTAssertEqual(r?.distfiles, [], word)
        }
    }

    func testDistSubdirMustBeRelative() {
        for (sub, reason) in [("../up", "has a '..' component"), ("/abs", "is an absolute path")] {
            let r = port(["FULLPKGNAME=y-1", "DISTFILES=a.tgz", "DIST_SUBDIR=\(sub)"])
            XCTAssertEqual(r?.broken, "DIST_SUBDIR '\(sub)' \(reason)", sub)
            XCTAssertEqual(r?.distfiles, [], sub)
        }
    }

    func testRealDistfilesPass() {
        let r = port(["FULLPKGNAME=y-1", "DISTFILES=y-1.0.tar.gz gh/y-1.0{v1.0}.tar.gz y-data.zip:0 y~1,2%3@4=5.tgz",
                      "DIST_SUBDIR=y/sub"])
        XCTAssertNil(r?.broken)
        XCTAssertEqual(r?.distfiles.first, "y/sub/y-1.0.tar.gz")
        XCTAssertEqual(r?.distfiles.count, 4)
    }

    func testBadTagBreaksThePortAndIsDropped() {
        let r = port(["FULLPKGNAME=y-1", "DPB_PROPERTIES=parallel tag:.. tag:ok"])
        XCTAssertEqual(r?.broken, "DPB_PROPERTIES 'tag:..': tag name component '..' is not allowed")
        XCTAssertEqual(r?.properties, ["parallel", "tag:ok"])
        XCTAssertEqual(port(["FULLPKGNAME=y-1", "DPB_PROPERTIES=tag:"])?.broken,
                       "DPB_PROPERTIES 'tag:': tag name is empty")
    }

    func testHostileSubpackageOrFlavorIsAMalformedLine() {
        for key in ["x/y,-../../z", "x/y,-a/b", "x/y,../z", "x/y,a;b"] {
            let r = only(["===> x/y", "x/y.FULLPKGNAME=y-1", "\(key).FULLPKGNAME=z-1"])
            XCTAssertEqual(r?.path.canonical, "x/y", key)
            XCTAssertEqual(r?.broken, "malformed line '\(key).FULLPKGNAME=z-1'", key)
        }
    }
}
