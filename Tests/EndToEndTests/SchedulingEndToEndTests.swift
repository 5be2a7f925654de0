// End-to-end tests of the scheduling side: the real bulkbuild binary on
// generated trees, for stuck and timed-out jobs, build-stats, parallel
// swallowing, affinity files, `bulkbuild simulate` and performance.log.
import Foundation
import XCTest

final class SchedulingEndToEndTests: XCTestCase {
    /// A fresh marker in the environment of bulkbuild and of everything it
    /// starts, to find leftover processes without guessing at names.
    /// The run is watched until some marked process besides bulkbuild
    /// shows up (a job), so the check for leftovers is known to see them.
    func runMarked(_ bulk: Bulk, _ extra: [String], marker: String, timeout: TimeInterval = 120) throws -> RunResult {
        let p = ChildProcess([try Products.bulkbuild()] + bulk.args(extra), setEnv: ["BULKBUILD_E2E_MARK": marker])
        try p.start()
        XCTAssertTrue(waitUntil(timeout: 30) { processesMarked(marker).count >= 2 },
                      "no job process carries the marker: the leftover check would prove nothing")
        return p.finish(timeout: timeout)
    }

    /// Pids of live processes whose environment holds the marker.
    func processesMarked(_ marker: String) -> [pid_t] {
        processesWithEnvironment(prefix: "BULKBUILD_E2E_MARK=\(marker)")
    }

    /// `KEY=value` lines of the tree's print-data.
    func printData(_ tree: TreeFixture) throws -> [String: String] {
        let r = try tree.make("print-data")
        XCTAssertTrue(r.succeeded, r.output)
        var out: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            out[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return out
    }

    func statsFile(_ tree: TreeFixture) throws -> String {
        let data = try printData(tree)
        let distdir = data["DISTDIR"] ?? tree.treePath("distfiles")
        return distdir + "/build-stats/" + tree.arch
    }

    /// `bulkbuild simulate --json ...` parsed.
    func simulate(_ bulk: Bulk, _ extra: [String]) throws -> [String: Any] {
        let r = try runProcess([try Products.bulkbuild(), "simulate", "--json"] + bulk.args(extra), timeout: 120)
        XCTAssertEqual(r.exitCode, 0, r.output)
        let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            XCTFail("not a JSON object: \(r.stdout)")
            return [:]
        }
        return object
    }

    func number(_ json: [String: Any], _ key: String) -> Double {
        (json[key] as? NSNumber)?.doubleValue ?? -1
    }

    func firstBuildable(_ tree: TreeFixture) -> ManifestPort? {
        tree.manifest.ports.first { !$0.ignored && $0.kind == "plain" && $0.deps.isEmpty }
    }

    // MARK: - Stuck jobs and time limits

    func testStuckJobIsKilledEndsInErrorAndLeavesNoProcess() throws {
        let (bulk, _) = try runSleepers(ports: 2, parameter: "STUCK_TIMEOUT=3", reason: "stuck at build")
        // build.log's max_stuck counts the silence that got the job killed.
        for line in bulk.lines("build.log") {
            let field = line.split(separator: " ").first { $0.hasPrefix("max_stuck=") }
            let value = field.flatMap { Double($0.dropFirst("max_stuck=".count).prefix { $0 != "/" }) } ?? 0
            XCTAssertGreaterThanOrEqual(value, 3, line)
        }
    }

    /// Ports without dependencies whose build sleeps 30 s, run with a 3 s
    /// limit `parameter`.
    @discardableResult
    func runSleepers(ports: Int, parameter: String, reason: String) throws -> (Bulk, TreeFixture) {
        let tree = try TreeFixture(["--ports", "\(ports)", "--max-deps", "0", "--sleep", "30", "--seed", "3"])
        let bulk = Bulk(tree: tree)
        let marker = UUID().uuidString
        let r = try runMarked(bulk, ["-j", "\(ports)", "-D", parameter], marker: marker)
        assertKilled(bulk, tree, r, marker: marker, reason: reason)
        return (bulk, tree)
    }

    /// Every port ended E (exit 1) well before its 30 s sleep, with
    /// `KILLED:` and the reason in its log and a failed build.log line,
    /// and nothing it started is left.
    func assertKilled(_ bulk: Bulk, _ tree: TreeFixture, _ r: RunResult, marker: String, reason: String,
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.exitCode, 1, r.output, file: file, line: line)
        XCTAssertLessThan(r.duration, 29, "the jobs were not killed before their sleep ended", file: file, line: line)
        for p in tree.manifest.ports {
            let path = p.paths[0]
            XCTAssertTrue(bulk.engineLines("E").contains { $0.contains(": E: \(path) ") }, "\(path) is not E",
                          file: file, line: line)
            let log = readFile(bulk.logdir + "/paths/\(path).log") ?? ""
            XCTAssertTrue(log.contains("KILLED:") && log.contains(reason), log, file: file, line: line)
            XCTAssertTrue(bulk.lines("build.log").contains { $0.hasPrefix(path + " ") && $0.hasSuffix("!") },
                          file: file, line: line)
        }
        XCTAssertTrue(waitUntil(timeout: 5) { processesMarked(marker).isEmpty },
                      "processes left: \(processesMarked(marker))", file: file, line: line)
    }

    func testBuildTimeoutKillsALongJob() throws {
        let (bulk, tree) = try runSleepers(ports: 1, parameter: "BUILD_TIMEOUT=3", reason: "over BUILD_TIMEOUT at build")
        let log = readFile(bulk.logdir + "/paths/\(tree.manifest.ports[0].paths[0]).log") ?? ""
        XCTAssertFalse(log.contains("stuck at"), "no STUCK_TIMEOUT was set: \(log)")
    }

    // MARK: - Build-stats

    func testBuildStatsRoundTripNoBuildStatsAndPrimingFromBuildLog() throws {
        let tree = try TreeFixture(["--ports", "6", "--seed", "21", "--max-deps", "2"])
        let bulk = Bulk(tree: tree)
        let stats = try statsFile(tree)
        let first = try bulk.run(["-j", "2"])
        XCTAssertEqual(first.exitCode, 0, first.output)
        let built = tree.builtLog().map { $0.fullpkgpath }
        XCTAssertFalse(built.isEmpty)
        let lines = (readFile(stats) ?? "").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, built.count, "one stats line per build: \(lines)")
        let pattern = try NSRegularExpression(pattern: #"^\S+ host=localhost time=\d+(\.\d+)? size=\d+ ts=\d+$"#)
        for line in lines {
            XCTAssertNotNil(pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), line)
        }
        XCTAssertEqual(Set(lines.map { String($0.split(separator: " ")[0]) }), Set(built))
        // performance.log: engine passes and display passes.
        let perf = bulk.lines("performance.log")
        XCTAssertTrue(perf.contains { $0.contains(": ENG+ ") }, perf.joined(separator: "\n"))
        XCTAssertTrue(perf.contains { $0.contains(": REP") }, perf.joined(separator: "\n"))
        let eng = try NSRegularExpression(pattern: #"^\d+@\d+\.\d\d: ENG\+ \d+\.\d\d \d+\.\d{4}$"#)
        for line in perf where line.contains("ENG+") {
            XCTAssertNotNil(eng.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), line)
        }

        // Rebuild everything with NO_BUILD_STATS: the file does not grow.
        let before = readFile(stats)
        for f in tree.packageFiles() { removeTree(tree.packagesDir + "/" + f) }
        let second = try bulk.run(["-j", "2", "-D", "NO_BUILD_STATS=1"])
        XCTAssertEqual(second.exitCode, 0, second.output)
        XCTAssertEqual(tree.builtLog().count, 2 * built.count, "the second run rebuilt everything")
        XCTAssertEqual(readFile(stats), before, "NO_BUILD_STATS=1 appended to \(stats)")

        // -b LOGDIR/build.log primes the weights (stats file ignored here).
        let primed = try simulate(bulk, ["-D", "NO_BUILD_STATS=1", "-b", bulk.logdir + "/build.log"])
        XCTAssertGreaterThan(number(primed, "paths_with_history"), 0, "\(primed)")
        let cold = try simulate(bulk, ["-D", "NO_BUILD_STATS=1"])
        XCTAssertEqual(number(cold, "paths_with_history"), 0, "\(cold)")
        let warm = try simulate(bulk, [])
        XCTAssertEqual(number(warm, "paths_with_history"), Double(Set(built).count), "\(warm)")
    }

    // MARK: - Parallel ports

    func testParallelPortGetsMakeJobsInBuildOnlyAndTheTailsIdleCores() throws {
        var found: (TreeFixture, ManifestPort)?
        for seed in 1...20 {
            let t = try TreeFixture(["--ports", "12", "--seed", "\(seed)", "--max-deps", "1", "--sleep", "1",
                                     "--scalable", "0.8", "--phase-share", "0.5"])
            if let p = t.manifest.ports.first(where: { $0.properties.contains("parallel") && !$0.ignored && $0.kind == "plain" }) {
                found = (t, p)
                break
            }
            t.cleanup()
        }
        guard let (tree, port) = found else { throw XCTSkip("no generated tree with a parallel port") }
        let bulk = Bulk(tree: tree)
        let r = try bulk.run(["-j", "4"])
        XCTAssertEqual(r.exitCode, 0, r.output)
        let path = port.paths[0]
        let log = readFile(bulk.logdir + "/paths/\(path).log") ?? ""
        // parallel=/2 on 4 jobs: max(2, 4/2) = 2, and more when the queue ran dry.
        let given = log.split(separator: "\n").filter { $0.contains("MAKE_JOBS=") }
        XCTAssertEqual(given.count, 1, log)
        XCTAssertTrue(given.first?.hasPrefix("===> Building for ") ?? false, log)
        let cores = given.first.flatMap { Int($0.split(separator: "=").last ?? "") } ?? 0
        XCTAssertTrue((2...4).contains(cores), log)
        XCTAssertTrue(log.contains("===> Configuring for \(path)\n"), log)
        let line = bulk.lines("build.log").first { $0.hasPrefix(path + " ") }
        XCTAssertTrue(line?.contains(" localhost/4*\(cores) ") ?? false, line ?? "")
        // The others are not parallel.
        for other in tree.manifest.ports where !other.properties.contains("parallel") && !other.ignored {
            if let l = bulk.lines("build.log").first(where: { $0.hasPrefix(other.paths[0] + " ") }) {
                XCTAssertTrue(l.contains(" localhost/4 "), l)
            }
            let text = readFile(bulk.logdir + "/paths/\(other.paths[0]).log") ?? ""
            XCTAssertFalse(text.contains("MAKE_JOBS"), text)
        }
    }

    // MARK: - Affinity

    func testAffinityFilesAppearDuringABuildAndGoAwayOnSuccess() throws {
        let tree = try TreeFixture(["--ports", "2", "--max-deps", "0", "--sleep", "3", "--seed", "5"])
        let bulk = Bulk(tree: tree)
        let p = try bulk.start(["-j", "2"])
        let dir = bulk.logdir + "/affinity"
        var seen: [String: String] = [:]
        waitUntil(timeout: 60) {
            // A replace passes through NAME.tmp.PID.N; a file gone since the
            // listing keeps what was read before.
            for name in listDirectory(dir) where !name.contains(".tmp.") {
                if let text = readFile(dir + "/" + name) { seen[name] = text }
            }
            return seen.count == 2 || p.wait(timeout: 0) != nil
        }
        let r = p.finish(timeout: 120)
        XCTAssertEqual(r.exitCode, 0, r.output)
        XCTAssertEqual(seen.count, 2, "affinity files seen: \(seen)")
        for port in tree.manifest.ports {
            let path = port.paths[0]
            let name = path.replacingOccurrences(of: "/", with: ".")
            XCTAssertEqual(seen[name], "host=localhost\npath=\(path)\n")
        }
        XCTAssertEqual(listDirectory(dir), [], "affinity files left after success")
    }

    // MARK: - simulate

    func testSimulateJsonHasEveryKeyAndAnotherHostShortensTheBuild() throws {
        let tree = try TreeFixture(["--ports", "10", "--seed", "8", "--max-deps", "2", "--sleep", "0.2-0.8"])
        let bulk = Bulk(tree: tree)
        let r = try bulk.run(["-j", "2"])
        XCTAssertEqual(r.exitCode, 0, r.output)
        let one = try simulate(bulk, ["-j", "1"])
        for key in ["makespan_s", "lower_bound_s", "tight_lower_bound_s", "critical_path_s", "work_s", "slots", "utilisation",
                    "built", "paths_with_history", "busiest_path"] {
            XCTAssertNotNil(one[key], "\(key) missing in \(one)")
        }
        XCTAssertGreaterThan(number(one, "paths_with_history"), 0)
        XCTAssertGreaterThan(number(one, "makespan_s"), 0)
        XCTAssertGreaterThanOrEqual(number(one, "makespan_s"), number(one, "tight_lower_bound_s"))
        XCTAssertGreaterThanOrEqual(number(one, "tight_lower_bound_s"), number(one, "lower_bound_s"))
        XCTAssertGreaterThanOrEqual(number(one, "lower_bound_s"), number(one, "critical_path_s"))
        XCTAssertEqual(number(one, "slots"), 1)
        XCTAssertGreaterThan(number(one, "utilisation"), 0)
        XCTAssertLessThanOrEqual(number(one, "utilisation"), 1.0001)
        XCTAssertFalse((one["busiest_path"] as? [String] ?? []).isEmpty)
        let more = try simulate(bulk, ["-j", "1", "--add-host", "b1 jobs=4 sf=2"])
        XCTAssertEqual(number(more, "slots"), 5)
        XCTAssertGreaterThanOrEqual(number(more, "makespan_s"), number(more, "tight_lower_bound_s"))
        XCTAssertLessThan(number(more, "makespan_s"), number(one, "makespan_s"), "one: \(one)\nmore: \(more)")
        XCTAssertEqual(number(more, "built"), number(one, "built"))
    }

    /// A port whose last build in build.log was parallel is simulated by
    /// the model: its phases around the build on one slot, the build on
    /// its cores, so its work is the build on one core (not its time).
    func testSimulateFeedsParallelPortsFromBuildLogPhaseTimes() throws {
        let tree = try TreeFixture(["--ports", "40", "--seed", "4", "--sleep", "2-10", "--scalable", "0.8"])
        let bulk = Bulk(tree: tree)
        let parallel = tree.manifest.ports.filter { $0.properties.contains("parallel") && !$0.ignored }
        XCTAssertFalse(parallel.isEmpty, "the tree has parallel ports")
        // Every port took 10 s; a parallel one 3 + 4 + 3 s with its build on 2 cores.
        var stats = ""
        for p in tree.manifest.ports where !p.ignored { stats += "\(p.pkgpath) host=localhost time=10 size=100 ts=1\n" }
        let statsPath = try statsFile(tree)
        try FileManager.default.createDirectory(atPath: (statsPath as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try stats.write(toFile: statsPath, atomically: true, encoding: .utf8)
        let without = try simulate(bulk, ["-j", "4"])
        try FileManager.default.createDirectory(atPath: bulk.logdir, withIntermediateDirectories: true)
        let log = parallel.map { "\($0.pkgpath) localhost/4*2 20.00 100 max_stuck=4/configure=3.00/build=4.00/fake=3.00\n" }
        try log.joined().write(toFile: bulk.logdir + "/build.log", atomically: true, encoding: .utf8)
        let with = try simulate(bulk, ["-j", "4"])
        XCTAssertEqual(number(with, "work_s") - number(without, "work_s"), 4 * Double(parallel.count), accuracy: 0.05,
                       "without: \(without)\nwith: \(with)")
        XCTAssertEqual(number(with, "built"), number(without, "built"))
        XCTAssertGreaterThanOrEqual(number(with, "makespan_s"), number(with, "tight_lower_bound_s"))
    }
}
