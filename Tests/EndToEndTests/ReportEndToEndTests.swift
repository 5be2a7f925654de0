// `bulkbuild report` on real runs of the real binary, and the page opened
// in a real headless browser (Debian's chromium; skipped without it).
import Foundation
import XCTest

final class ReportEndToEndTests: XCTestCase {
    func chromium() throws -> String {
        for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        throw XCTSkip("no chromium (make check's set-up installs Debian's chromium)")
    }

    /// The page after its script ran, as the browser has it.
    func dumpDOM(_ page: String) throws -> String {
        let r = try runProcess([try chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                                "file://" + page], timeout: 120)
        XCTAssertTrue(r.succeeded, r.stderr)
        return r.stdout
    }

    func testReportOfARunWithFailuresOpensInABrowserWithABarPerJob() throws {
        let tree = try TreeFixture(["--ports", "24", "--seed", "3", "--fail", "x11/p0004", "--ignored", "1",
                                    "--sleep", "0.1-0.4"], prefix: "report-e2e")
        let logdir = tree.path("logs")
        let auto = tree.path("auto.html")
        let run = try runProcess([try Products.bulkbuild(), "-D", "PORTSDIR=\(tree.portsDir)", "-L", logdir, "-j", "3",
                                  "-D", "REPORT=\(auto)"], timeout: 300)
        XCTAssertEqual(run.exitCode, 1, run.output)
        XCTAssertTrue(fileExists(auto), "-D REPORT wrote nothing")

        let json = try runProcess([try Products.bulkbuild(), "report", "-L", logdir, "--json", "-o", tree.path("r.json")])
        XCTAssertEqual(json.exitCode, 0, json.output)
        let r = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tree.path("r.json")))) as? [String: Any])
        let jobs = try XCTUnwrap(r["jobs"] as? [[String: Any]])
        let built = tree.manifest.ports.filter { !$0.ignored && !$0.fail }.count
        XCTAssertGreaterThan(jobs.count, 0)
        XCTAssertLessThanOrEqual(jobs.count, built + 1)
        let failures = try XCTUnwrap(r["failures"] as? [[String: Any]])
        XCTAssertEqual(failures.map { $0["path"] as? String }, ["x11/p0004"])
        XCTAssertNotNil(failures.first?["phase"] as? String)
        XCTAssertFalse((failures.first?["tail"] as? [String] ?? []).isEmpty)
        for key in ["counts", "hosts", "criticalPath", "criticalLinks", "bounds", "skipped", "slowest", "wallSeconds"] {
            XCTAssertNotNil(r[key], "no \(key) in the JSON")
        }

        // The page in the log directory links the logs relatively.
        let html = try runProcess([try Products.bulkbuild(), "report", "-L", logdir])
        XCTAssertEqual(html.exitCode, 0, html.output)
        let page = logdir + "/report.html"
        let text = try XCTUnwrap(readFile(page))
        XCTAssertTrue(text.contains("href=\"paths/x11/p0004.log\""))
        XCTAssertFalse(text.contains("<script src") || text.contains("<link ") || text.contains("@import"), "the page loads something")

        let dom = try dumpDOM(page)
        XCTAssertTrue(dom.contains("data-ready=\"1\""), "the page's script did not run to its end")
        XCTAssertTrue(dom.contains("<pre id=\"jserror\" hidden=\"\"></pre>"), "a script error: \(dom.prefix(600))")
        XCTAssertEqual(dom.components(separatedBy: "data-j=\"").count - 1, jobs.count)
        XCTAssertTrue(dom.contains("<span id=\"drawn\">\(jobs.count)</span>"))

        let shot = tree.path("shot.png")
        let s = try runProcess([try chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                "--window-size=1400,1000", "--screenshot=\(shot)", "file://" + page], timeout: 120)
        XCTAssertTrue(s.succeeded, s.stderr)
        XCTAssertGreaterThan((try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0, 10_000)
    }

    func testReportOfARunningBuildLeavesItAlone() throws {
        let tree = try TreeFixture(["--ports", "6", "--seed", "5", "--sleep", "1.5-2"], prefix: "report-running")
        let logdir = tree.path("logs")
        let p = ChildProcess([try Products.bulkbuild(), "-D", "PORTSDIR=\(tree.portsDir)", "-L", logdir, "-j", "1"])
        _ = try p.start()
        XCTAssertTrue(waitUntil(timeout: 60) { (readFile(logdir + "/engine.log") ?? "").contains(": J: ") })
        let r = try runProcess([try Products.bulkbuild(), "report", "-L", logdir, "--json", "-o", "-"])
        XCTAssertEqual(r.exitCode, 0, r.output)
        XCTAssertTrue(r.stdout.contains("\"ended\" : false"), r.stdout.prefix(400).description)
        XCTAssertTrue(r.stdout.contains("\"outcome\" : \"running\""))
        let end = p.finish(timeout: 120)
        XCTAssertEqual(end.exitCode, 0, end.output)
    }

    func testNotALogDirectoryIsAClearError() throws {
        let tmp = try makeTempDir(prefix: "report-none")
        defer { removeTree(tmp) }
        let r = try runProcess([try Products.bulkbuild(), "report", "-L", tmp])
        XCTAssertEqual(r.exitCode, 2)
        XCTAssertTrue(r.stderr.contains("no engine.log"), r.stderr)
        try writeFile(tmp + "/engine.log", "garbage line\n")
        let bad = try runProcess([try Products.bulkbuild(), "report", "-L", tmp])
        XCTAssertEqual(bad.exitCode, 2)
        XCTAssertTrue(bad.stderr.contains("engine.log:1: expected"), bad.stderr)
    }
}
