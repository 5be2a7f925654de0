// The live screen of a real build: bulkbuild runs under tmux (a real
// terminal with real ncurses) on a generated tree whose builds sleep.
import Foundation
import XCTest

/// One tmux session on a tmux server of its own (its own socket, no
/// configuration file): the user's default server, shared with other test
/// runs on the machine, may be killed or configured under it. Killed with
/// its server when the test ends.
final class TmuxSession {
    let name: String
    let socket: String
    init(command: String, width: Int = 120, height: Int = 30, env: [String: String] = [:]) throws {
        guard (try? runProcess(["tmux", "-V"]))?.succeeded == true else { throw XCTSkip("tmux is not installed") }
        name = "bbdash\(getpid())\(Int.random(in: 1000...9999))"
        socket = name
        var argv = ["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)"]
        for (k, v) in env { argv += ["-e", "\(k)=\(v)"] }
        argv.append(command)
        let r = try runProcess(TmuxSession.base(socket) + argv, setEnv: ["TERM": "xterm-256color"], unsetEnv: ["TMUX"])
        guard r.succeeded else {
            // A failure, not a skip: the screen tests would not run at all.
            var why = "tmux could not start a session (\(r.status)): \(r.output)"
            if !isCharacterDevice("/dev/null") { why += " (/dev/null is not a character device)" }
            XCTFail(why)
            throw SpawnError(description: why)
        }
    }
    deinit { _ = try? runProcess(TmuxSession.base(socket) + ["kill-server"]) }

    static func base(_ socket: String) -> [String] { ["tmux", "-L", socket, "-f", "/dev/null"] }
    @discardableResult
    func run(_ args: [String]) -> RunResult? { try? runProcess(TmuxSession.base(socket) + args) }
    func sendKeys(_ keys: String...) { run(["send-keys", "-t", name] + keys) }

    func screen() -> String { screen(of: name) }
    func resize(_ w: Int, _ h: Int) { run(["resize-window", "-t", name, "-x", "\(w)", "-y", "\(h)"]) }
    func newWindow(_ command: String) -> String {
        let target = name + ":1"
        run(["new-window", "-t", target, command])
        return target
    }
    func screen(of target: String) -> String { run(["capture-pane", "-p", "-t", target])?.stdout ?? "" }
    var alive: Bool { run(["has-session", "-t", name])?.succeeded ?? false }
}

func isCharacterDevice(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR
}

final class DashboardTests: XCTestCase {
    func testScreenOfARealBuildFollowsJobsResizesShowsStoppedAndMonitorAgrees() throws {
        let tree = try TreeFixture(["--ports", "30", "--seed", "12", "--sleep", "3", "--max-deps", "1"])
        let logdir = tree.path("logs")
        let bin = try Products.bulkbuild()
        let exitFile = tree.path("exit")
        let tmux = try TmuxSession(command: "\(bin) -D PORTSDIR=\(tree.portsDir) -L \(logdir) -j 3 -D DISPLAY_TIMEOUT=1; echo $? > \(exitFile); sleep 30")
        // Job lines `path(phase) [pid]`, the Hosts line and dpb's summary.
        XCTAssertTrue(waitUntil(timeout: 30) {
            let s = tmux.screen()
            return s.contains("(build) [") && s.contains("Hosts:") && s.contains("Q=") && s.contains("T=")
        }, tmux.screen())
        let early = tmux.screen()
        XCTAssertTrue(early.contains("localhost"), early)
        XCTAssertTrue(early.contains("[\(try pidOfRun(logdir))]") || early.contains("bulkbuild"), early)
        // Counts change as jobs finish.
        let firstI = installed(early)
        XCTAssertTrue(waitUntil(timeout: 30) { installed(tmux.screen()) > firstI }, tmux.screen())

        // A second terminal: monitor draws the same counts from status.json.
        let mon = tmux.newWindow("\(bin) monitor -L \(logdir)")
        XCTAssertTrue(waitUntil(timeout: 15) { tmux.screen(of: mon).contains("I=") }, tmux.screen(of: mon))

        // Smaller terminal: every line fits, nothing garbled.
        tmux.resize(60, 15)
        XCTAssertTrue(waitUntil(timeout: 10) {
            let lines = tmux.screen().split(separator: "\n")
            return lines.count <= 15 && lines.allSatisfy { $0.count <= 60 } && tmux.screen().contains("I=")
        }, tmux.screen())

        // The stop file shows STOPPED, and the run ends after its jobs.
        try writeFile(logdir + "/stop", "")
        XCTAssertTrue(waitUntil(timeout: 15) { tmux.screen().contains("STOPPED") || fileExists(exitFile) }, tmux.screen())
        XCTAssertTrue(waitUntil(timeout: 60) { fileExists(exitFile) }, tmux.screen())
        // The terminal was given back: the shell's echo reached the screen.
        XCTAssertEqual(readFile(exitFile)?.trimmingCharacters(in: .whitespacesAndNewlines), "1",
                       "stopped with work left: exit 1")
        XCTAssertTrue(waitUntil(timeout: 15) { tmux.screen(of: mon).contains("ended") }, tmux.screen(of: mon))
    }

    func testDumbTerminalAndPipeGetPlainLinesWithoutEscapes() throws {
        let tree = try TreeFixture(["--ports", "6", "--seed", "3", "--sleep", "0.2"])
        let bin = try Products.bulkbuild()
        let piped = try runProcess([bin, "-D", "PORTSDIR=\(tree.portsDir)", "-L", tree.path("logs"), "-j", "2"],
                                   setEnv: ["TERM": "xterm"])
        XCTAssertEqual(piped.exitCode, 0, piped.output)
        XCTAssertFalse(piped.stdout.contains("\u{1b}"), "escape sequences in piped output")
        XCTAssertTrue(piped.stdout.contains("started "), piped.stdout)
        XCTAssertTrue(piped.stdout.contains("built "), piped.stdout)
        // A real terminal that is `dumb`: plain lines too.
        let out = tree.path("dumb.out")
        let tmux = try TmuxSession(command: "TERM=dumb \(bin) -D PORTSDIR=\(tree.portsDir) -L \(tree.path("logs2")) -j 2 -c > \(out) 2>&1 < /dev/tty; sleep 30",
                                   env: ["TERM": "dumb"])
        XCTAssertTrue(waitUntil(timeout: 60) { (readFile(out) ?? "").contains("everything asked for") }, readFile(out) ?? "")
        XCTAssertFalse((readFile(out) ?? "").contains("\u{1b}"))
        _ = tmux
    }

    func testCtrlZGivesTheTerminalBackAndFgRedraws() throws {
        let tree = try TreeFixture(["--ports", "20", "--seed", "3", "--sleep", "2", "--max-deps", "1"])
        let tmux = try TmuxSession(command: "bash --norc --noprofile -i", width: 100, height: 25)
        tmux.sendKeys("\(try Products.bulkbuild()) -D PORTSDIR=\(tree.portsDir) -L \(tree.path("logs")) -j 2", "Enter")
        XCTAssertTrue(waitUntil(timeout: 20) { tmux.screen().contains("Hosts:") }, tmux.screen())
        tmux.sendKeys("C-z")
        // The screen is left and the shell reports the stopped job.
        XCTAssertTrue(waitUntil(timeout: 10) { tmux.screen().contains("Stopped") }, tmux.screen())
        XCTAssertFalse(tmux.screen().contains("Hosts:"), tmux.screen())
        tmux.sendKeys("fg", "Enter")
        XCTAssertTrue(waitUntil(timeout: 10) { tmux.screen().contains("Hosts:") && tmux.screen().contains("I=") },
                      tmux.screen())
        // And the run still finishes.
        XCTAssertTrue(waitUntil(timeout: 90) { tmux.screen().contains("everything asked for") }, tmux.screen())
    }

    func pidOfRun(_ logdir: String) throws -> String {
        let status = readFile(logdir + "/status.json") ?? ""
        guard let r = status.range(of: #""pid"\s*:\s*(\d+)"#, options: .regularExpression) else { return "?" }
        return String(status[r].filter { $0.isNumber })
    }
}

/// The I= count on a screen, or -1.
func installed(_ screen: String) -> Int {
    guard let r = screen.range(of: #"I=\d+"#, options: .regularExpression) else { return -1 }
    return Int(screen[r].dropFirst(2)) ?? -1
}
