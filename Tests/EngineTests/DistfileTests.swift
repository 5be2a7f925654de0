import XCTest
@testable import Engine

/// distinfo, DISTFILES words, fetch URLs and the by_cipher layout.
final class DistfileTests: XCTestCase {
    let sha = "QKleC+o8C9Enz9+0OBUrbGmnQ7K0Dv4FX+WXswxPSH4="

    func testDistinfoEntries() throws {
        let d = try Distinfo.parse("SHA256 (sub/a-1.0.tgz) = \(sha)\nSIZE (sub/a-1.0.tgz) = 560\nRMD160 (sub/a-1.0.tgz) = xyz\n",
                                   file: "x/distinfo")
        XCTAssertEqual(d["sub/a-1.0.tgz"], Distinfo.Entry(sha256: sha, size: 560))
        XCTAssertNil(d["a-1.0.tgz"])
    }

    func testBadDistinfoLinesNameFileAndLine() {
        let cases: [(String, String)] = [
            ("SHA256 a.tgz = \(sha)", "x/distinfo:2: expected 'ALGORITHM (FILE) = VALUE'"),
            ("SHA256 (a.tgz) = abc", "x/distinfo:2: SHA256 must be 44 characters of base64"),
            ("SIZE (a.tgz) = -5", "x/distinfo:2: SIZE must be a number of bytes"),
            ("SHA256 (../a.tgz) = \(sha)", "x/distinfo:2: file name has a '..' component"),
            ("SHA-256 (a.tgz) = \(sha)", "x/distinfo:2: expected an algorithm name"),
        ]
        for (line, want) in cases {
            XCTAssertThrowsError(try Distinfo.parse("SIZE (b.tgz) = 1\n" + line + "\n", file: "x/distinfo"), line) { e in
                XCTAssertTrue("\(e)".hasPrefix(want), "\(e)")
            }
        }
    }

    func testBase64ToHex() {
        // SHA256 of the empty string.
        XCTAssertEqual(Base64.hex("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertNil(Base64.hex("not base64!"))
    }

    func testDistfileWords() throws {
        func parse(_ w: String, _ sub: String? = nil) throws -> Distfile { try Distfile.parse(w, subdir: sub).get() }
        XCTAssertEqual(try parse("a-1.0.tgz"), Distfile(key: "a-1.0.tgz", remote: "a-1.0.tgz"))
        XCTAssertEqual(try parse("a-1.0.tgz", "a"), Distfile(key: "a/a-1.0.tgz", remote: "a-1.0.tgz"))
        XCTAssertEqual(try parse("a-1.0{v1.0}.tar.gz"), Distfile(key: "a-1.0.tar.gz", remote: "v1.0.tar.gz"))
        XCTAssertEqual(try parse("a-data.zip:3"), Distfile(key: "a-data.zip", remote: "a-data.zip", group: "3"))
        XCTAssertEqual(try parse("a{dl?f=a}:0"), Distfile(key: "a", remote: "dl?f=a", group: "0"))
        XCTAssertEqual(try parse("a-1.0.tgz").basename, "a-1.0.tgz")
        XCTAssertEqual(try parse("x.tgz", "g/h").basename, "x.tgz")
        for bad in ["a.zip:12", "{x}.tgz", "a{}.tgz", "a{x.tgz", "a}x.tgz"] {
            XCTAssertThrowsError(try parse(bad), bad)
        }
    }

    func testFetchURLs() {
        XCTAssertEqual(try FetchURL.make(site: "https://x.org/pub", remote: "a.tgz").get(), "https://x.org/pub/a.tgz")
        XCTAssertEqual(try FetchURL.make(site: "file:///srv/", remote: "a.tgz").get(), "file:///srv/a.tgz")
        XCTAssertThrowsError(try FetchURL.make(site: "gopher://x/", remote: "a").get()) { e in
            XCTAssertTrue("\(e)".contains("unknown URL scheme 'gopher'"), "\(e)")
        }
        XCTAssertThrowsError(try FetchURL.make(site: "x.org/pub/", remote: "a").get())
        XCTAssertEqual(FetchURL.origin("http://127.0.0.1:8080/a/b.tgz"), "http://127.0.0.1:8080")
        XCTAssertEqual(FetchURL.origin("file:///srv/a.tgz"), "file://")
    }

    func testByCipherLayout() {
        XCTAssertEqual(ByCipher.path(hex: "e3b0c442", name: "a.tgz"), "by_cipher/sha256/e3/e3b0c442/a.tgz")
    }

    func testListingKeepsWhatFetchingNeeds() {
        let out = DumpVarsOutput.parse(Substring([
            "===> x/a", "x/a.FULLPKGNAME=a-1", "x/a.DISTFILES=a-1{v1}.tgz b-1.tgz:2 c-1.tgz",
            "x/a.DIST_SUBDIR=a", "x/a.MASTER_SITES=http://m/", "x/a.SITES2=ftp://two/",
            "x/a.CHECKSUM_FILE=/p/x/a/distinfo", "x/a.MISSING_FILES=c-1.tgz",
        ].joined(separator: "\n") + "\n"))
        let r = ListingResult.interpret(out, requested: [fp("x/a")]).records[0]
        XCTAssertNil(r.broken)
        XCTAssertEqual(r.distfiles, ["a/a-1.tgz", "a/b-1.tgz", "a/c-1.tgz"])
        XCTAssertEqual(r.fetch.files.map(\.remote), ["v1.tgz", "b-1.tgz", "c-1.tgz"])
        XCTAssertEqual(r.fetch.files.map(\.manual), [false, false, true])
        XCTAssertEqual(r.fetch.sites, ["": ["http://m/"], "2": ["ftp://two/"]])
        XCTAssertEqual(r.fetch.checksumFile, "/p/x/a/distinfo")
    }

    func testAPortWaitsForItsDistfilesAndFailsWithThem() {
        let e = BuildEngine()
        e.holdsForDistfiles = true
        var a = port("x/a"), b = port("x/b", build: ["x/a"])
        a.fetch.files = [Distfile(key: "a.tgz", remote: "a.tgz")]
        b.fetch.files = [Distfile(key: "b.tgz", remote: "b.tgz")]
        e.listAll([a, b])
        XCTAssertEqual(e.takeDistfileRequests().map(\.path), [fp("x/a"), fp("x/b")])
        XCTAssertNil(e.nextJob(), "buildable before its distfiles are there")
        e.distfilesReady(fp("x/a"))
        XCTAssertEqual(e.nextJob()?.path, fp("x/a"))
        e.distfilesFailed(fp("x/b"), reason: "cannot fetch b.tgz")
        XCTAssertEqual(e.summary().brokenPaths.first?.1, "cannot fetch b.tgz")
        e.noteDistfile("x/a:a.tgz", .fetchQueued)
        XCTAssertEqual(e.takeChanges().last.map(render), "F x/a:a.tgz")
    }
}
