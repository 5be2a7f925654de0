import CPosix
import Engine
#if canImport(Glibc)
import Glibc
#endif

/// Children spawned by this process and what to do when each one exits.
/// The coordinator calls `reap()` when SIGCHLD arrives (through its
/// signalfd), on its own thread.
public final class ChildReaper {
    private var handlers: [pid_t: (TaskEnd) -> Void] = [:]
    public init() {}

    public func register(_ pid: pid_t, _ handler: @escaping (TaskEnd) -> Void) {
        handlers[pid] = handler
    }

    public var count: Int { handlers.count }

    /// Collects every exited child; runs the handlers of the ones we know.
    public func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            let end: TaskEnd
            if cp_wifexited(status) != 0 {
                end = .exited(cp_wexitstatus(status))
            } else if cp_wifsignaled(status) != 0 {
                end = .signaled(cp_wtermsig(status))
            } else {
                continue
            }
            if let h = handlers.removeValue(forKey: pid) { h(end) }
        }
    }
}

/// Spawns a command in its own process group with default signal
/// handling and an empty signal mask, stdin from /dev/null and stdout and
/// stderr appended to `logPath` after `header`. Returns the pid or an
/// error text.
public func spawnInGroup(argv: [String], environment: [String: String], logPath: String,
                         header: String = "") -> Result<pid_t, SpawnError> {
    guard !argv.isEmpty else { return .failure(SpawnError(text: "empty command")) }
    let logFD = cp_open_append(logPath, 0o644)
    guard logFD >= 0 else {
        return .failure(SpawnError(text: "cannot open \(logPath): \(String(cString: strerror(cp_errno())))"))
    }
    defer { close(logFD) }
    if !header.isEmpty { _ = writeAll(logFD, header) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, logFD, 1)
    posix_spawn_file_actions_adddup2(&actions, logFD, 2)
    _ = cp_spawn_closefrom(&actions, 3)

    var pid: pid_t = 0
    let rc = withGroupSpawnAttributes { attr in
        withCStrings(argv) { cargv in
            withChildEnvironment(environment) { cenv in
                posix_spawnp(&pid, argv[0], &actions, attr, cargv, cenv)
            }
        }
    }
    if rc != 0 {
        return .failure(SpawnError(text: "cannot run \(argv[0]): \(String(cString: strerror(rc)))"))
    }
    return .success(pid)
}

public struct SpawnError: Error, Equatable, CustomStringConvertible {
    public let text: String
    public var description: String { text }
}

func currentEnvironment() -> [String: String] {
    var out: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
        let s = String(cString: entry)
        if let eq = s.firstIndex(of: "=") {
            out[String(s[..<eq])] = String(s[s.index(after: eq)...])
        }
        p += 1
    }
    return out
}

/// This process's environment as it is now, with `overrides` in place of
/// the entries of the same names. Entries are handed on as they are, not
/// parsed into a dictionary and copied: every phase of every port spawns.
func withChildEnvironment<R>(_ overrides: [String: String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let names = overrides.keys.map { Array("\($0)=".utf8CString.dropLast()) }
    var inherited: [UnsafeMutablePointer<CChar>?] = []
    var p = environ
    while let entry = p.pointee {
        if !names.contains(where: { strncmp(entry, $0, $0.count) == 0 }) { inherited.append(entry) }
        p += 1
    }
    return withCStrings(overrides.map { "\($0.key)=\($0.value)" }) { added in body(inherited + added) }
}

func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    ptrs.append(nil)
    defer { for p in ptrs where p != nil { free(p) } }
    return body(ptrs)
}

/// A local process group.
public final class LocalTask: TaskHandle {
    public let pid: Int32
    public let groupMark: String?
    public private(set) var ended = false
    init(pid: Int32, mark: String?) { self.pid = pid; self.groupMark = mark }
    public func stop(hard: Bool) {
        guard !ended else { return }
        kill(-pid, hard ? SIGKILL : SIGTERM)
    }
    func markEnded() { ended = true }
}

final class FailedTask: TaskHandle {
    let pid: Int32 = 0
    func stop(hard: Bool) {}
}

/// Runs tasks on this machine: through the run's local agent when it has
/// one that serves, else with posix_spawn here.
public final class LocalRunner: TaskRunner {
    public let hostName: String
    public let isLocal = true
    let reaper: ChildReaper
    let queue: CoordinatorQueue
    /// Told of every group, so none outlives this process (nil: not watched).
    let supervisor: Supervisor?
    /// Spawns the tasks instead of this process (nil, or gone: spawn here).
    public var agent: LocalAgent?
    private let markPrefix = "L\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    private var taskCount = 0

    public init(hostName: String, reaper: ChildReaper, queue: CoordinatorQueue, supervisor: Supervisor? = nil) {
        self.hostName = hostName
        self.reaper = reaper
        self.queue = queue
        self.supervisor = supervisor
    }

    public func start(_ spec: TaskSpec, completion: @escaping (TaskEnd) -> Void) -> TaskHandle {
        taskCount += 1
        let mark = spec.groupMark ?? "\(markPrefix)-\(taskCount)"
        var environment = spec.environment
        environment[ProcessGroups.markVariable] = mark
        if let agent, agent.isServing {
            var sent = spec
            sent.environment = environment
            return agent.start(sent, mark: mark, completion: completion)
        }
        switch spawnInGroup(argv: spec.argv, environment: environment, logPath: spec.logPath, header: spec.logHeader) {
        case .success(let pid):
            let task = LocalTask(pid: pid, mark: mark)
            supervisor?.started(pgid: pid, mark: mark)
            reaper.register(pid) { [supervisor] end in
                task.markEnded()
                // Kill anything the task left behind in its group.
                kill(-pid, SIGKILL)
                supervisor?.ended(pgid: pid)
                completion(end)
            }
            return task
        case .failure(let err):
            // Report asynchronously so callers see one code path.
            let done = CoordinatorBound(completion)
            queue.post { done.value(.failedToStart(err.text)) }
            return FailedTask()
        }
    }
}
