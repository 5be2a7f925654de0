// Fetch jobs against a real HTTP server on 127.0.0.1. The server is
// Python's http.server with a small handler: that is enough here because
// what is under test is bulkbuild's side (curl's timeouts, verification,
// sites in order, dead sites, the cache), and the handler can act every
// failure a mirror shows (dead, slow, wrong file, truncated, redirect,
// stalled mid-transfer) and log every access, which a test needs to count
// fetches.
import Foundation
import XCTest

/// The handler: GET /MODE/NAME serves DIR/good/NAME (or DIR/wrong/NAME for
/// MODE wrong) as MODE says; every request path is appended to the log.
private let serverScript = #"""
import http.server, os, socketserver, sys, time
root, logpath, portfile = sys.argv[1:4]
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def empty(self, code, extra=()):
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def do_GET(self):
        with open(logpath, "a") as f:
            f.write(self.path + "\n")
        parts = self.path.split("/", 2)
        if len(parts) < 3:
            return self.empty(404)
        mode, name = parts[1], parts[2]
        if mode == "redirect":
            return self.empty(302, [("Location", "/good/" + name)])
        try:
            with open(os.path.join(root, "wrong" if mode == "wrong" else "good", name), "rb") as f:
                data = f.read()
        except OSError:
            return self.empty(404)
        if mode == "slow":
            time.sleep(1)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if mode in ("trunc", "stall"):
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            if mode == "stall":
                time.sleep(60)
            self.close_connection = True
            return
        self.wfile.write(data)
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
server = Server(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
"""#

/// One port of the hand-made tree.
private struct TreePort {
    var pkgpath: String
    var distfiles: [String]
    var sites: [String]
    var extra: [String] = []
}

/// A tree whose `checksum` phase records the SHA256 of every distfile it
/// is given (`used.log`), so a test can tell which bytes a build used.
private final class FetchTree {
    let root: String
    var server: ChildProcess?
    var port = 0

    init() throws {
        root = try makeTempDir(prefix: "bulkbuild-fetch")
        for d in ["srv/good", "srv/wrong", "ports", "distfiles"] {
            try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        try writeFile(root + "/ports/Makefile", """
            T := \(root)
            print-data:
            \t@printf '%s\\n' "PACKAGE_REPOSITORY=$(T)/packages" "DISTDIR=$(T)/distfiles" "MACHINE_ARCH=$(shell uname -m)"
            dump-vars:
            \t@cat $(T)/listing
            depends prepare patch configure build fake clean fetch:
            \t@echo "$@ $$SUBDIR"
            checksum:
            \t@for f in $$(cat "$(T)/ports/$$SUBDIR/distfiles"); do sha256sum "$(T)/distfiles/$$f" >> $(T)/used.log || exit 1; done
            package:
            \t@mkdir -p $(T)/packages/$(shell uname -m)/all && touch $(T)/packages/$(shell uname -m)/all/$$(basename $$SUBDIR)-1.tgz

            """)
    }

    deinit {
        _ = server?.terminate(grace: 1)
        if ProcessInfo.processInfo.environment["BULKBUILD_KEEP_TMP"] == nil { removeTree(root) }
    }

    /// A distfile the good site serves; `wrong` gets another file of the
    /// same name and size. Returns its distinfo lines.
    func addDistfile(_ name: String, size: Int = 100_000) throws -> String {
        var bytes = [UInt8](repeating: 0, count: size)
        var x = UInt32(truncatingIfNeeded: name.hashValue) | 1
        for i in bytes.indices { x ^= x << 13; x ^= x >> 17; x ^= x << 5; bytes[i] = UInt8(x & 0xff) }
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/srv/good/" + name))
        try Data(bytes.reversed()).write(to: URL(fileURLWithPath: root + "/srv/wrong/" + name))
        return "SHA256 (\(name)) = \(try sha256(root + "/srv/good/" + name))\nSIZE (\(name)) = \(size)\n"
    }

    func sha256(_ path: String) throws -> String {
        let r = try runProcess(["python3", "-c", "import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],'rb').read()).digest()).decode())", path])
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func hexSHA256(_ path: String) throws -> String {
        let r = try runProcess(["sha256sum", path])
        return String(r.stdout.prefix(64))
    }

    func startServer() throws {
        let p = ChildProcess(["python3", "-c", serverScript, root + "/srv", root + "/access.log", root + "/port"])
        try p.start()
        server = p
        XCTAssertTrue(waitUntil(timeout: 10) { fileExists(self.root + "/port") }, "the HTTP server did not start")
        port = Int(readFile(root + "/port") ?? "") ?? 0
    }

    func site(_ mode: String) -> String { "http://127.0.0.1:\(port)/\(mode)/" }
    /// Nothing listens on port 1: connection refused.
    let deadSite = "http://127.0.0.1:1/dead/"

    func write(_ ports: [TreePort], distinfo: String) throws {
        try writeFile(root + "/distinfo", distinfo)
        var listing = ""
        for p in ports {
            try FileManager.default.createDirectory(atPath: root + "/ports/" + p.pkgpath, withIntermediateDirectories: true)
            try writeFile(root + "/ports/" + p.pkgpath + "/distfiles", p.distfiles.joined(separator: "\n") + "\n")
            let name = String(p.pkgpath.split(separator: "/").last!)
            listing += "===> \(p.pkgpath)\n\(p.pkgpath).FULLPKGNAME=\(name)-1\n"
            listing += "\(p.pkgpath).DISTFILES=\(p.distfiles.joined(separator: " "))\n"
            listing += "\(p.pkgpath).SITES=\(p.sites.joined(separator: " "))\n"
            if !p.extra.contains(where: { $0.hasPrefix("CHECKSUM_FILE=") }) {
                listing += "\(p.pkgpath).CHECKSUM_FILE=\(root)/distinfo\n"
            }
            for e in p.extra { listing += "\(p.pkgpath).\(e)\n" }
        }
        try writeFile(root + "/listing", listing)
    }

    func run(_ args: [String]) throws -> RunResult {
        try runProcess([try Products.bulkbuild(), "-D", "PORTSDIR=\(root)/ports", "-L", root + "/logs", "-x",
                        "-D", "FETCH_CONNECT_TIMEOUT=2", "-D", "FETCH_STALL_TIMEOUT=2"] + args,
                       mergeOutput: true, timeout: 180)
    }

    var accesses: [String] { (readFile(root + "/access.log") ?? "").split(separator: "\n").map(String.init) }
    func log(_ name: String) -> String { readFile(root + "/logs/" + name) ?? "" }
    /// SHA256 (hex) of every file a build's checksum phase was given.
    var used: [String] { (readFile(root + "/used.log") ?? "").split(separator: "\n").map { String($0.prefix(64)) } }
    func hasPackage(_ name: String) -> Bool {
        listDirectory(root + "/packages").flatMap { listDirectory(root + "/packages/\($0)/all") }.contains(name + "-1.tgz")
    }
}

final class FetchTests: XCTestCase {
    func testASharedDistfileIsFetchedOnceAndBuildsOnlyEverSeeVerifiedFiles() throws {
        let t = try FetchTree()
        try t.startServer()
        var sums = ""
        for n in ["shared-1.tgz", "a-1.tgz", "b-1.tgz", "c-1.tgz"] { sums += try t.addDistfile(n) }
        // a: a dead site, a wrong file, a truncated one, then the real one.
        // b: slow but whole. c: a redirect to the real one.
        try t.write([
            TreePort(pkgpath: "cat/a", distfiles: ["shared-1.tgz", "a-1.tgz"],
                     sites: [t.deadSite, t.site("wrong"), t.site("trunc"), t.site("good")]),
            TreePort(pkgpath: "cat/b", distfiles: ["shared-1.tgz", "b-1.tgz"], sites: [t.deadSite, t.site("slow")]),
            TreePort(pkgpath: "cat/c", distfiles: ["shared-1.tgz", "c-1.tgz"], sites: [t.site("redirect")]),
        ], distinfo: sums)
        // One fetch job, so that the dead site has failed before the next
        // file starts (two jobs may both start on it at once).
        let r = try t.run(["-f", "1"])
        XCTAssertEqual(r.exitCode, 0, r.stdout)
        for p in ["a", "b", "c"] { XCTAssertTrue(t.hasPackage(p), p) }
        // Fetched exactly once between the three ports.
        XCTAssertEqual(t.accesses.filter { $0.hasSuffix("/shared-1.tgz") && !$0.hasPrefix("/wrong") && !$0.hasPrefix("/trunc") }.count, 1,
                       t.accesses.joined(separator: "\n"))
        // Every file a build saw is the real one.
        let good = try Set(["shared-1.tgz", "a-1.tgz", "b-1.tgz", "c-1.tgz"].map { try t.hexSHA256(t.root + "/srv/good/" + $0) })
        XCTAssertEqual(t.used.count, 6)
        XCTAssertTrue(t.used.allSatisfy(good.contains), t.used.joined(separator: "\n"))
        // The wrong file was kept aside, never under its real name.
        let distfiles = listDirectory(t.root + "/distfiles")
        XCTAssertTrue(distfiles.contains { $0.hasPrefix("a-1.tgz.bad-") || $0.hasPrefix("shared-1.tgz.bad-") }, "\(distfiles)")
        XCTAssertFalse(distfiles.contains { $0.hasSuffix(".part") })
        // The dead site was tried once, then remembered.
        let bad = t.log("fetch/bad.log")
        XCTAssertEqual(bad.components(separatedBy: "127.0.0.1:1/").count - 1, 1, bad)
        XCTAssertTrue(bad.contains("/wrong/") && bad.contains("/trunc/"), bad)
        XCTAssertTrue(t.log("fetch/good.log").contains("KB/s"))
        // engine.log names distfiles path:distfile with F then B, and the
        // builds ran checksum instead of fetch.
        let engine = t.log("engine.log")
        XCTAssertTrue(engine.range(of: #": F: cat/[abc]:shared-1\.tgz "#, options: .regularExpression) != nil, engine)
        XCTAssertTrue(engine.range(of: #": B: cat/[abc]:shared-1\.tgz "#, options: .regularExpression) != nil, engine)
        XCTAssertTrue(t.log("paths/cat/a.log").contains(">>> Running checksum in cat/a"))
        XCTAssertFalse(t.log("paths/cat/a.log").contains(">>> Running fetch in"))
        // The cache: by_cipher/sha256/XX/HEX/NAME.
        let hex = try t.hexSHA256(t.root + "/srv/good/shared-1.tgz")
        XCTAssertTrue(fileExists(t.root + "/distfiles/by_cipher/sha256/\(hex.prefix(2))/\(hex)/shared-1.tgz"))
        XCTAssertTrue(fileExists(t.root + "/logs/dist/shared-1.tgz.log"))
    }

    func testAFileNoSiteGetsRightFailsItsPortAndDependentsWithTheReason() throws {
        let t = try FetchTree()
        try t.startServer()
        let sums = try t.addDistfile("x-1.tgz") + t.addDistfile("y-1.tgz")
        try t.write([
            TreePort(pkgpath: "cat/x", distfiles: ["x-1.tgz"], sites: [t.site("stall"), t.site("wrong")]),
            TreePort(pkgpath: "cat/y", distfiles: ["y-1.tgz"], sites: [t.site("good")],
                     extra: ["BUILD_DEPENDS=cat/x"]),
        ], distinfo: sums)
        let r = try t.run(["-f", "2"])
        XCTAssertEqual(r.exitCode, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("broken: cat/x: cannot fetch x-1.tgz"), r.stdout)
        XCTAssertTrue(r.stdout.contains("broken: cat/y: because of cat/x"), r.stdout)
        XCTAssertFalse(t.hasPackage("x"))
        XCTAssertFalse(t.hasPackage("y"))
        // No build ever saw a bad or partial file.
        let good = try t.hexSHA256(t.root + "/srv/good/x-1.tgz")
        XCTAssertFalse(t.used.contains { $0 != good })
        XCTAssertFalse(fileExists(t.root + "/distfiles/x-1.tgz"))
        let log = t.log("dist/x-1.tgz.log")
        XCTAssertTrue(log.contains("curl exit 28") && log.contains("SHA256"), log)
    }

    func testFetchOnlyMirrorsEveryDistfileAndBuildsNothing() throws {
        let t = try FetchTree()
        try t.startServer()
        var sums = ""
        for n in ["m1-1.tgz", "m2-1.tgz", "ign-1.tgz", "hand-1.tgz"] { sums += try t.addDistfile(n, size: 5000) }
        try t.write([
            TreePort(pkgpath: "cat/m1", distfiles: ["m1-1.tgz"], sites: [t.site("good")]),
            TreePort(pkgpath: "cat/m2", distfiles: ["m2-1.tgz"], sites: [t.site("good")], extra: ["BUILD_DEPENDS=cat/m1"]),
            TreePort(pkgpath: "cat/ign", distfiles: ["ign-1.tgz"], sites: [t.site("good")], extra: ["IGNORE=is only for sparc64"]),
            TreePort(pkgpath: "cat/hand", distfiles: ["hand-1.tgz"], sites: [t.site("good")],
                     extra: ["FETCH_MANUALLY=hand-1.tgz"]),
        ], distinfo: sums)
        let r = try t.run(["-F", "2"])
        XCTAssertEqual(r.exitCode, 0, r.stdout)
        // The screen's last word is about fetching, not a stalled build.
        XCTAssertTrue(r.stdout.contains("bulkbuild: fetch run over after "), r.stdout)
        XCTAssertFalse(r.stdout.contains(" done, 0 built"), r.stdout)
        for n in ["m1-1.tgz", "m2-1.tgz", "ign-1.tgz"] {
            XCTAssertEqual(try t.hexSHA256(t.root + "/distfiles/" + n), try t.hexSHA256(t.root + "/srv/good/" + n), n)
        }
        XCTAssertFalse(fileExists(t.root + "/distfiles/hand-1.tgz"))
        XCTAssertFalse(t.accesses.contains { $0.contains("hand-1.tgz") })
        XCTAssertTrue(t.log("fetch/manually.log").contains("cat/hand: hand-1.tgz"))
        XCTAssertTrue(r.stdout.contains("3 fetched") && r.stdout.contains("1 to fetch by hand"), r.stdout)
        // Nothing was built.
        XCTAssertTrue(t.used.isEmpty)
        XCTAssertFalse(fileExists(t.root + "/packages"))
        XCTAssertTrue(listDirectory(t.root + "/logs/paths").isEmpty)

        // A renamed distfile with the same checksum comes from the cache.
        let before = t.accesses.count
        let renamed = sums.replacingOccurrences(of: "(m1-1.tgz)", with: "(m1-1.0.tgz)")
        try t.write([TreePort(pkgpath: "cat/m1", distfiles: ["m1-1.0.tgz"], sites: [t.site("good")])], distinfo: renamed)
        let again = try t.run(["-F", "1"])
        XCTAssertEqual(again.exitCode, 0, again.stdout)
        XCTAssertEqual(t.accesses.count, before, "fetched what the cache had")
        XCTAssertEqual(try t.hexSHA256(t.root + "/distfiles/m1-1.0.tgz"), try t.hexSHA256(t.root + "/srv/good/m1-1.tgz"))
    }

    func testBadDistinfoAndUnknownSchemeFailTheirPortsWithClearReasons() throws {
        let t = try FetchTree()
        let sums = try t.addDistfile("ok-1.tgz", size: 100)
        try writeFile(t.root + "/bad-distinfo", "SHA256 (b-1.tgz) = not-base64\n")
        try t.write([
            TreePort(pkgpath: "cat/s", distfiles: ["ok-1.tgz"], sites: ["gopher://127.0.0.1/"]),
            TreePort(pkgpath: "cat/b", distfiles: ["b-1.tgz"], sites: ["file://\(t.root)/srv/good/"],
                     extra: ["CHECKSUM_FILE=\(t.root)/bad-distinfo"]),
        ], distinfo: sums)
        let r = try t.run(["-F", "1"])
        XCTAssertEqual(r.exitCode, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("unknown URL scheme 'gopher'"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\(t.root)/bad-distinfo:1: SHA256 must be 44 characters of base64"), r.stdout)
    }
}
