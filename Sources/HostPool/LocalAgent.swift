import CPosix
#if canImport(Glibc)
import Glibc
#endif

/// A `bulkbuild agent` on this machine, reached through two pipes, that
/// spawns the run's local tasks. A phase then costs the run one small frame
/// written and two read instead of a posix_spawn (a clone, a stack mapped
/// and unmapped, the signal and fd set-up) and a wait: at thousands of
/// ports, the spawns were a third of the run's own CPU.
///
/// Tasks go as T requests (Agent.swift): the agent appends their output to
/// the log itself, so no output passes through the run. The agent is in a
/// process group of its own (the terminal's ^C is for the run, which ends
/// tasks its own way); when the run dies its pipe closes and the agent
/// kills every task's group, as the supervisor does for directly spawned
/// ones.
///
/// Coordinator thread only: `readAvailable()` is called when `fd` is
/// readable (the run's poll loop watches it) and runs completions there.
public final class LocalAgent {
    /// Read end of the agent's replies (non-blocking).
    public let fd: Int32
    /// Write end of the agent's requests.
    let requests: Int32
    public let pid: pid_t
    let queue: CoordinatorQueue
    private var reader = AgentFrameReader()
    private var tasks: [UInt32: AgentTask] = [:]
    private var nextId: UInt32 = 1
    private var chunk = [UInt8](repeating: 0, count: 65536)
    private var frame: [UInt8] = []
    /// Why the agent is gone (nil while it serves).
    public private(set) var failure: String?
    /// Told once when the agent goes away (on the coordinator thread).
    public var onFailure: ((String) -> Void)?

    init(fd: Int32, requests: Int32, pid: pid_t, queue: CoordinatorQueue) {
        self.fd = fd; self.requests = requests; self.pid = pid; self.queue = queue
    }

    public var isServing: Bool { failure == nil }
    /// Tasks sent and not ended yet.
    public var running: Int { tasks.count }

    /// Starts `executable agent` with a pipe each way. The reaper collects
    /// it when it exits; `queue` carries the ends of tasks lost with it.
    public static func start(executable: String, reaper: ChildReaper, queue: CoordinatorQueue) -> Result<LocalAgent, SpawnError> {
        var toAgent: [Int32] = [-1, -1], fromAgent: [Int32] = [-1, -1]
        guard pipe(&toAgent) == 0 else { return .failure(SpawnError(text: "pipe: \(String(cString: strerror(cp_errno())))")) }
        guard pipe(&fromAgent) == 0 else {
            Glibc.close(toAgent[0]); Glibc.close(toAgent[1])
            return .failure(SpawnError(text: "pipe: \(String(cString: strerror(cp_errno())))"))
        }
        for f in toAgent + fromAgent { _ = cp_set_cloexec(f) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toAgent[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromAgent[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        _ = cp_spawn_closefrom(&actions, 3)
        var pid: pid_t = 0
        let rc = withGroupSpawnAttributes { attr in
            withCStrings([executable, "agent"]) { cargv in
                withChildEnvironment([:]) { cenv in posix_spawn(&pid, executable, &actions, attr, cargv, cenv) }
            }
        }
        Glibc.close(toAgent[0])
        Glibc.close(fromAgent[1])
        guard rc == 0 else {
            Glibc.close(toAgent[1]); Glibc.close(fromAgent[0])
            return .failure(SpawnError(text: "cannot run \(executable) agent: \(String(cString: strerror(rc)))"))
        }
        _ = cp_set_nonblock(fromAgent[0])
        let agent = LocalAgent(fd: fromAgent[0], requests: toAgent[1], pid: pid, queue: queue)
        reaper.register(pid) { [weak agent] end in
            // Replies still in the pipe are read first; then its tasks end.
            agent?.readAvailable()
            agent?.gone("the local agent (pid \(pid)) ended: \(end.text)")
        }
        return .success(agent)
    }

    /// Sends `spec` (with the mark already in its environment). The
    /// completion runs on the coordinator thread, from `readAvailable`.
    func start(_ spec: TaskSpec, mark: String, completion: @escaping (TaskEnd) -> Void) -> TaskHandle {
        let id = nextId
        nextId &+= 1
        let task = AgentTask(id: id, mark: mark, agent: self, completion: completion)
        frame.removeAll(keepingCapacity: true)
        AgentFrame.startInFile(id: id, logPath: spec.logPath, logHeader: spec.logHeader, argv: spec.argv,
                               environment: spec.environment.map { "\($0.key)=\($0.value)" }, to: &frame)
        tasks[id] = task
        if !send(frame) { gone("cannot write to the local agent: \(String(cString: strerror(cp_errno())))") }
        return task
    }

    func signal(_ task: AgentTask, _ sig: Int32) {
        guard tasks[task.id] != nil else { return }
        frame.removeAll(keepingCapacity: true)
        AgentFrame.append(AgentFrame.kill, task.id, AgentFrame.words([UInt32(bitPattern: sig)]), to: &frame)
        _ = send(frame)
    }

    private func send(_ bytes: [UInt8]) -> Bool {
        guard failure == nil else { return false }
        // Blocking: the agent reads its requests at all times (it buffers
        // its replies instead of blocking on them), so this cannot wait on
        // the run.
        return bytes.withUnsafeBytes { writeAll(requests, $0.baseAddress!, $0.count) }
    }

    /// Reads and acts on every reply that has come. True when a task ended
    /// (or the agent is gone), false when tasks only started.
    @discardableResult
    public func readAvailable() -> Bool {
        guard failure == nil else { return true }
        guard let end = reader.fill(from: fd, through: &chunk) else { return handleFrames() }
        _ = handleFrames()
        gone(end == 0 ? "the local agent closed its pipe" : "reading from the local agent: \(String(cString: strerror(end)))")
        return true
    }

    /// True when a task ended.
    private func handleFrames() -> Bool {
        var ended = false
        while true {
            switch reader.next() {
            case .needMore: return ended
            case .bad:
                gone("the local agent sent a malformed frame")
                return true
            case .frame(let type, let id, let payload):
                switch type {
                case AgentFrame.started:
                    if payload.count >= 4 { tasks[id]?.pid = Int32(bitPattern: AgentFrame.u32(payload, 0)) }
                case AgentFrame.exit:
                    guard payload.count >= 8, let t = tasks.removeValue(forKey: id) else { continue }
                    let kind = AgentFrame.u32(payload, 0), value = Int32(bitPattern: AgentFrame.u32(payload, 4))
                    ended = true
                    t.finish(kind == 0 ? .exited(value) : .signaled(value))
                case AgentFrame.spawnError:
                    guard let t = tasks.removeValue(forKey: id) else { continue }
                    let text = payload.count > 4 ? String(decoding: payload.dropFirst(4), as: UTF8.self) : "spawn failed"
                    ended = true
                    t.finish(.failedToStart(text))
                default:
                    // H (hello) and nothing else is expected here.
                    continue
                }
            }
        }
    }

    /// The agent is gone: its tasks' groups are killed (the agent may have
    /// died without doing so) and the tasks end `.lost`, to be redone. The
    /// ends are posted, not run here: this may happen inside `start`.
    func gone(_ why: String) {
        guard failure == nil else { return }
        failure = why
        Glibc.close(requests)
        Glibc.close(fd)
        let left = tasks.values.sorted { $0.id < $1.id }
        tasks.removeAll()
        for t in left {
            if t.pid > 0 {
                kill(-t.pid, SIGKILL)
            } else if let mark = t.groupMark {
                // Its start was not told yet (the agent holds it back a
                // moment): its processes are found by their mark.
                for g in ProcessGroups.groups(carrying: mark) { kill(-g, SIGKILL) }
            }
        }
        let ends = CoordinatorBound({ [onFailure] in
            for t in left { t.finish(.lost(why)) }
            onFailure?(why)
        })
        queue.post { ends.value() }
    }

    /// The run is over: the agent kills what is left and exits.
    public func close() {
        guard failure == nil else { return }
        failure = "closed"
        Glibc.close(requests)
        Glibc.close(fd)
    }

    /// The agent's own CPU so far (user, system seconds), from /proc.
    public func usage() -> (user: Double, system: Double)? {
        guard let stat = readWholeFile("/proc/\(pid)/stat"), let end = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        // After the name: state is field 3; utime and stime are 14 and 15.
        guard fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) else { return nil }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (u / hz, s / hz)
    }
}

/// A task sent to the local agent. Its pid (its process group) is known
/// once the agent said it started.
final class AgentTask: TaskHandle {
    let id: UInt32
    var pid: Int32 = 0
    let groupMark: String?
    private weak var agent: LocalAgent?
    private var completion: ((TaskEnd) -> Void)?

    init(id: UInt32, mark: String, agent: LocalAgent, completion: @escaping (TaskEnd) -> Void) {
        self.id = id; self.groupMark = mark; self.agent = agent; self.completion = completion
    }

    func stop(hard: Bool) { agent?.signal(self, hard ? SIGKILL : SIGTERM) }

    func finish(_ end: TaskEnd) {
        let c = completion
        completion = nil
        c?(end)
    }
}
