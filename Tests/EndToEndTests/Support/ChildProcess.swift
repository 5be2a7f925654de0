// A child process for end-to-end tests, started with posix_spawn (never
// Foundation.Process, whose children may inherit a blocked signal mask).
// The child leads its own process group, has every signal at its default
// disposition and an empty mask, reads /dev/null, and writes stdout and
// stderr to files, so a test can kill the whole group and read the output.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a child ended.
struct ExitStatus: Equatable, CustomStringConvertible {
    /// Exit code when the child exited normally.
    let exitCode: Int32?
    /// Signal number when a signal killed the child.
    let signal: Int32?

    init(raw: Int32) {
        let low = raw & 0x7f
        if low == 0 {
            exitCode = (raw >> 8) & 0xff
            signal = nil
        } else {
            exitCode = nil
            signal = low
        }
    }

    init(exitCode: Int32?, signal: Int32?) {
        self.exitCode = exitCode
        self.signal = signal
    }

    var succeeded: Bool { exitCode == 0 }
    var description: String {
        if let c = exitCode { return "exit \(c)" }
        return "signal \(signal ?? 0)"
    }
}

struct SpawnError: Error, CustomStringConvertible {
    let description: String
}

/// The outcome of `runProcess` / `ChildProcess.finish`.
struct RunResult {
    let status: ExitStatus
    let stdout: String
    let stderr: String
    /// True when the timeout expired and the process group was killed.
    let timedOut: Bool
    let duration: TimeInterval

    var exitCode: Int32? { status.exitCode }
    var succeeded: Bool { status.succeeded && !timedOut }
    /// stdout then stderr (identical to stdout when they were merged).
    var output: String { stdout == stderr ? stdout : stdout + stderr }
}

// glibc declares these only under _GNU_SOURCE, so look them up at run time.
private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
private let addCloseFrom: AddCloseFrom? = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np")
    .map { unsafeBitCast($0, to: AddCloseFrom.self) }
private let addChdir: AddChdir? = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np")
    .map { unsafeBitCast($0, to: AddChdir.self) }

final class ChildProcess {
    let argv: [String]
    let environment: [String: String]
    let cwd: String?
    let stdoutPath: String
    let stderrPath: String
    let mergeOutput: Bool

    private(set) var pid: pid_t = 0
    private(set) var status: ExitStatus?
    private(set) var timedOut = false
    private var startTime = Date()
    private var ownedDir: String?

    /// - Parameters:
    ///   - argv: program (searched in PATH when it has no `/`) and arguments.
    ///   - environment: the whole environment; nil inherits this process's.
    ///   - setEnv / unsetEnv: changes applied on top of it.
    ///   - cwd: working directory of the child.
    ///   - stdoutPath / stderrPath: capture files (truncated); nil uses a
    ///     private temp file removed with this object.
    ///   - mergeOutput: stderr goes to the stdout file.
    init(_ argv: [String], environment: [String: String]? = nil, setEnv: [String: String] = [:],
         unsetEnv: [String] = [], cwd: String? = nil, stdoutPath: String? = nil,
         stderrPath: String? = nil, mergeOutput: Bool = false) {
        precondition(!argv.isEmpty, "argv must name a program")
        self.argv = argv
        var env = environment ?? ProcessInfo.processInfo.environment
        for (k, v) in setEnv { env[k] = v }
        for k in unsetEnv { env.removeValue(forKey: k) }
        self.environment = env
        self.cwd = cwd
        self.mergeOutput = mergeOutput
        var dir: String? = nil
        func scratch(_ name: String) -> String {
            if dir == nil { dir = try? makeTempDir(prefix: "child") }
            // Never a fixed name in the shared temp directory.
            return dir.map { $0 + "/" + name }
                ?? NSTemporaryDirectory() + "/bulkbuild-child-\(getpid())-\(UUID().uuidString)-" + name
        }
        let out = stdoutPath ?? scratch("stdout")
        self.stdoutPath = out
        self.stderrPath = mergeOutput ? out : (stderrPath ?? scratch("stderr"))
        ownedDir = dir
    }

    deinit {
        if pid > 0 && status == nil {
            kill(-pid, SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, 0)
        }
        if let d = ownedDir { removeTree(d) }
    }

    /// Starts the child in the background; returns its pid (= its process group).
    @discardableResult
    func start() throws -> pid_t {
        precondition(pid == 0, "already started")
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }

        let flags = Int32(POSIX_SPAWN_SETPGROUP) | Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        posix_spawnattr_setflags(&attr, Int16(flags))
        posix_spawnattr_setpgroup(&attr, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attr, &all)

        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fa, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if mergeOutput {
            posix_spawn_file_actions_adddup2(&fa, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&fa, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        if let close = addCloseFrom { _ = close(&fa, 3) }
        if let dir = cwd {
            guard let chdir = addChdir else { throw SpawnError(description: "posix_spawn_file_actions_addchdir_np is missing") }
            guard chdir(&fa, dir) == 0 else { throw SpawnError(description: "cannot chdir to \(dir)") }
        }

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var child: pid_t = 0
        startTime = Date()
        let rc = posix_spawnp(&child, argv[0], &fa, &attr, cArgs, cEnv)
        guard rc == 0 else {
            throw SpawnError(description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        pid = child
        return child
    }

    /// Reaps the child if it has ended; nil while it runs.
    private func poll() -> ExitStatus? {
        if let s = status { return s }
        guard pid > 0 else { return nil }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, WNOHANG)
        if r == pid {
            status = ExitStatus(raw: raw)
        } else if r < 0 && errno == ECHILD {
            status = ExitStatus(exitCode: nil, signal: nil)
        }
        return status
    }

    /// Waits until the child ends, at most `timeout` seconds (nil: forever).
    /// Returns nil when it is still running at the deadline.
    @discardableResult
    func wait(timeout: TimeInterval? = nil) -> ExitStatus? {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var pause: useconds_t = 1000
        while true {
            if let s = poll() { return s }
            if let d = deadline, Date() >= d { return nil }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }

    var isRunning: Bool { pid > 0 && poll() == nil }

    /// Sends `sig` to the child's whole process group (or only the child).
    func signal(_ sig: Int32, group: Bool = true) {
        guard pid > 0, poll() == nil else { return }
        kill(group ? -pid : pid, sig)
    }

    /// SIGTERM to the group, then SIGKILL after `grace` seconds; reaps it.
    @discardableResult
    func terminate(grace: TimeInterval = 2) -> ExitStatus {
        signal(SIGTERM)
        if let s = wait(timeout: grace) {
            kill(-pid, SIGKILL)   // stragglers of the group
            return s
        }
        kill(-pid, SIGKILL)
        return wait()!
    }

    /// Waits (killing the group at the timeout) and collects the output.
    func finish(timeout: TimeInterval? = nil) -> RunResult {
        var s = wait(timeout: timeout)
        if s == nil {
            timedOut = true
            s = terminate(grace: 1)
        }
        return RunResult(status: s!, stdout: stdout, stderr: stderr, timedOut: timedOut,
                         duration: Date().timeIntervalSince(startTime))
    }

    var stdout: String { readFile(stdoutPath) ?? "" }
    var stderr: String { readFile(stderrPath) ?? "" }
}

/// Runs a command to completion; on timeout its process group is killed
/// and `timedOut` is set.
func runProcess(_ argv: [String], environment: [String: String]? = nil, setEnv: [String: String] = [:],
                unsetEnv: [String] = [], cwd: String? = nil, mergeOutput: Bool = false,
                timeout: TimeInterval? = 120) throws -> RunResult {
    let p = ChildProcess(argv, environment: environment, setEnv: setEnv, unsetEnv: unsetEnv,
                         cwd: cwd, mergeOutput: mergeOutput)
    try p.start()
    return p.finish(timeout: timeout)
}
