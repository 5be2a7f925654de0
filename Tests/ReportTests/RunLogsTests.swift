import XCTest
@testable import Report

final class RunLogsTests: XCTestCase {
    func testBuildLogLineWithParallelJob() throws {
        let lines = try RunLogs.buildLog("devel/a localhost/4*2 20.00 1234 max_stuck=1.00/depends=0.50/build=9.50!\n", file: "build.log")
        XCTAssertEqual(lines.count, 1)
        XCTAssertEqual(lines[0].cores, 2)
        XCTAssertEqual(lines[0].slots, 4)
        XCTAssertEqual(lines[0].seconds, 10)
        XCTAssertTrue(lines[0].failed)
        XCTAssertEqual(lines[0].phases.map(\.0), ["depends", "build"])
    }
}

final class RunLogsErrorTests: XCTestCase {
    func testABadEngineLineNamesFileLineAndShape() {
        let text = "1@10.00: +\n1@11.00: J: devel/a localhost \nnonsense here\n"
        XCTAssertThrowsError(try RunLogs.engineLog(text, file: "/l/engine.log")) { e in
            let m = e as? RunLogs.Malformed
            XCTAssertEqual(m?.file, "/l/engine.log")
            XCTAssertEqual(m?.line, 3)
            XCTAssertTrue(m?.description.contains("PID@EPOCH") ?? false)
        }
    }

    func testAnUnfinishedLastLineIsLeftOut() throws {
        let lines = try RunLogs.engineLog("1@11.00: J: devel/a localhost \n1@12.0", file: "e")
        XCTAssertEqual(lines, [RunLogs.EngineLine(pid: 1, time: 11, letter: "J", subject: "devel/a", extra: "localhost")])
    }

    func testBadBuildHostsAndDependsLines() {
        XCTAssertThrowsError(try RunLogs.buildLog("devel/a localhost/x 1.0 12 max_stuck=0\n", file: "b"))
        XCTAssertThrowsError(try RunLogs.buildLog("devel/a localhost/2 1.0 12 max_stuck=0/build=\n", file: "b"))
        XCTAssertThrowsError(try RunLogs.hostsLog("1@2.00: b1 exploded\n", file: "h"))
        XCTAssertThrowsError(try RunLogs.dependsLog("devel/a devel/b\n", file: "d")) { e in
            XCTAssertEqual((e as? RunLogs.Malformed)?.line, 1)
        }
    }

    func testHostsLogEvents() throws {
        let text = "7@1.00: b1 up: user u, 8 cpus, 4 jobs, tasks by agent\n7@5.00: b1 went down: link cut\n7@9.00: b1 came up\n7@9.50: b2 init failed: no make\n"
        XCTAssertEqual(try RunLogs.hostsLog(text, file: "h").map(\.event), [.up(slots: 4), .down("link cut"), .cameUp, .down("init failed: no make")])
    }

    func testPortLogKeepsTheLastJobAndTheLinesBeforeItsError() {
        let text = """
        >>> Building on old under devel/a
        >>> Running build in devel/a at 5
        old output
        >>> Building on b1 under devel/a
        >>> Running depends in devel/a at 100
        >>> Running build in devel/a at 103
        cc -c a.c
        a.c:1: error: oops
        Error: job failed with exit 1 on b1 at 110

        """
        let s = RunLogs.portLog(text, tailLines: 2)
        XCTAssertEqual(s?.host, "b1")
        XCTAssertEqual(s?.phaseStarts.map(\.0), ["depends", "build"])
        XCTAssertEqual(s?.phaseStarts.map(\.1), [100, 103])
        XCTAssertEqual(s?.errorStatus, "exit 1")
        XCTAssertEqual(s?.tail, ["cc -c a.c", "a.c:1: error: oops"])
        XCTAssertNil(RunLogs.portLog("no header\n"))
    }

    func testTheJudgedEstimate() {
        let e = RunLogs.estimate("9@50.00: ENG-\n9@60.00: ETA estimate made at 12s into the run: 40s left; it took 50s (error -10s, -20.0%)\n")
        XCTAssertEqual(e, RunReport.Estimate(madeAt: 12, predicted: 40, actual: 50, error: -10, percent: -20))
        // A run that ended within a second of its estimate has no share.
        let short = RunLogs.estimate("9@60.00: ETA estimate made at 4s into the run: 14s left; it took 0s (error +14s)\n")
        XCTAssertEqual(short, RunReport.Estimate(madeAt: 4, predicted: 14, actual: 0, error: 14, percent: nil))
    }
}

final class RunAnalysisTests: XCTestCase {
    /// a (0-10) and b (0-4) on two slots; c needs a and starts at 10; d
    /// needs b but waits for a slot until c's host frees one at 20.
    func inputs(status: Bool = true) throws -> RunInputs {
        let engine = try RunLogs.engineLog("""
        5@0.00: J: x/a h 
        5@0.00: J: x/b h 
        5@4.00: B: x/b 
        5@10.00: B: x/a 
        5@10.00: J: x/c h 
        5@12.00: J: x/e h 
        5@20.00: B: x/c 
        5@20.00: J: x/d h 
        5@19.00: E: x/e 
        5@25.00: B: x/d 
        5@25.00: !: x/f because of x/e
        5@25.00: !: x/g IGNORE: not here

        """, file: "engine.log")
        let builds = try RunLogs.buildLog("""
        x/d h/2 9.00 10 max_stuck=0.00/build=9.00
        x/b h/2 4.00 10 max_stuck=0.00/build=4.00
        x/a h/2 10.00 10 max_stuck=0.00/build=10.00
        x/c h/2 10.00 10 max_stuck=0.00/build=10.00
        x/e h/2 7.00 10 max_stuck=0.00/depends=1.00/build=6.00!
        x/d h/2 5.00 10 max_stuck=0.00/build=5.00

        """, file: "build.log")
        let depends = try RunLogs.dependsLog("x/a build run\nx/b build run\nx/c build x/a run\nx/d build x/b run\nx/e build run\n", file: "d")
        return RunInputs(logDir: "/l", engine: engine, builds: builds, depends: depends, now: 30)
    }

    func testJobsLanesChainBoundsAndHistory() throws {
        let r = RunReport(try inputs())
        XCTAssertEqual(r.jobs.map(\.path), ["x/a", "x/b", "x/c", "x/e", "x/d"])
        XCTAssertEqual(r.jobs.map(\.lane), [0, 1, 0, 1, 0])
        XCTAssertEqual(r.hosts.map(\.name), ["h"])
        XCTAssertEqual(r.hosts[0].slots, 2)
        XCTAssertEqual(r.counts.built, 4)
        XCTAssertEqual(r.counts.failed, 1)
        XCTAssertEqual(r.counts.blocked, 1)
        XCTAssertEqual(r.counts.ignored, 1)
        XCTAssertEqual(r.failures.first?.phase, "build")
        XCTAssertEqual(r.criticalPath.map { r.jobs[$0].path }, ["x/a", "x/c", "x/d"])
        XCTAssertEqual(r.criticalLinks, ["dependency", "slot", "end"])
        let b = try XCTUnwrap(r.bounds)
        XCTAssertEqual(b.criticalPath, 20)        // a then c
        XCTAssertEqual(b.work, 36)
        XCTAssertEqual(b.buildSpan, 25)
        // x/d built before in 9 s: this run's 5 s are compared with that.
        let d = try XCTUnwrap(r.slowest.first { $0.path == "x/d" })
        XCTAssertEqual(d.historyMean, 9)
        XCTAssertEqual(d.ratio ?? 0, 5.0 / 9, accuracy: 1e-9)
        XCTAssertNil(r.slowest.first { $0.path == "x/a" }?.historyMean)
    }

    func testARunningBuildEndsItsOpenJobsAtTheReportTime() throws {
        var i = try inputs()
        i.engine.removeAll { $0.subject == "x/d" && $0.letter == "B" }
        let r = RunReport(i)
        XCTAssertFalse(r.ended)
        XCTAssertEqual(r.end, 30)
        XCTAssertEqual(r.jobs.first { $0.path == "x/d" }?.outcome, .running)
        XCTAssertEqual(r.jobs.first { $0.path == "x/d" }?.end, 30)
    }

    func testOnlyTheLastRunOfTheDirectoryCounts() throws {
        var i = try inputs()
        i.engine.insert(RunLogs.EngineLine(pid: 4, time: -100, letter: "J", subject: "x/old", extra: "h"), at: 0)
        XCTAssertFalse(RunReport(i).jobs.contains { $0.path == "x/old" })
    }

    func testWithoutDependsTheChainIsSlotsOnlyAndANoteSaysWhy() throws {
        var i = try inputs()
        i.depends = nil
        let r = RunReport(i)
        XCTAssertFalse(r.criticalLinks.contains("dependency"))
        XCTAssertTrue(r.notes.contains { $0.contains("depends.log") })
    }

    func testTheHTMLHasABarPerJobAndEscapesWhatItShows() throws {
        var i = try inputs()
        i.engine.append(RunLogs.EngineLine(pid: 5, time: 25, letter: "!", subject: "x/h", extra: "IGNORE: <script>"))
        let html = ReportHTML.render(RunReport(i))
        XCTAssertEqual(html.components(separatedBy: "class=\"bar ").count - 1, 5)
        XCTAssertFalse(html.contains("<script>\"") || html.contains("IGNORE: <script>"))
        XCTAssertTrue(html.contains("IGNORE: &lt;script&gt;"))
        XCTAssertFalse(html.contains("http://") && html.contains("src=\"http"))
    }
}
