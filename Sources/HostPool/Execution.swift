import Engine
import CPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One command to run for a job: a phase of a port build, a listing, an
/// init step. Output (stdout and stderr merged) is appended to `logPath`.
public struct TaskSpec: Sendable, Equatable {
    public var argv: [String]
    /// Variables added to (or replacing) the runner's base environment.
    public var environment: [String: String]
    public var logPath: String
    /// For a local task: the `BULKBUILD_TASK` value its processes carry,
    /// chosen by the caller so that it can be written into a lock before
    /// the task starts (nil: the runner makes one up).
    public var groupMark: String?
    /// Text the runner writes to the log before the task's output (a
    /// phase's header): through the descriptor the output goes to, so the
    /// run makes no write of its own for it.
    public var logHeader: String
    public init(argv: [String], environment: [String: String] = [:], logPath: String, groupMark: String? = nil,
                logHeader: String = "") {
        self.argv = argv; self.environment = environment; self.logPath = logPath; self.groupMark = groupMark
        self.logHeader = logHeader
    }
}

/// How a task ended.
public enum TaskEnd: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)
    /// The host went away before the task ended (dpb's N): requeue it.
    case lost(String)
    /// The task could not be started at all.
    case failedToStart(String)

    public var succeeded: Bool { self == .exited(0) }
    public var text: String {
        switch self {
        case .exited(let c): return "exit \(c)"
        case .signaled(let s): return "signal \(s)"
        case .lost(let why): return "lost: \(why)"
        case .failedToStart(let why): return "not started: \(why)"
        }
    }
}

/// A running task; `stop` ends its whole process group (on its host).
public protocol TaskHandle: AnyObject {
    var pid: Int32 { get }
    /// The `BULKBUILD_TASK` value in the environment of a local task's
    /// processes, by which a later run recognises its group (nil elsewhere).
    var groupMark: String? { get }
    /// TERM, or KILL when `hard`.
    func stop(hard: Bool)
}

extension TaskHandle {
    public var groupMark: String? { nil }
}

/// Runs tasks on one host. Completions are always delivered on the
/// coordinator thread, through the `CoordinatorQueue` given at creation
/// or by the coordinator's own child reaper.
public protocol TaskRunner: AnyObject {
    var hostName: String { get }
    var isLocal: Bool { get }
    func start(_ spec: TaskSpec, completion: @escaping (TaskEnd) -> Void) -> TaskHandle
}

/// Work handed to the coordinator thread from other threads (ssh sessions,
/// timers): closures queued under a lock, with an eventfd that the
/// coordinator's poll() watches.
public final class CoordinatorQueue: Sendable {
    private let pending = Synchronization.Mutex<[@Sendable () -> Void]>([])
    /// Readable when work is pending; poll() it.
    public let fd: Int32

    public init() {
        fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    deinit { close(fd) }

    /// Any thread: queue `work` and wake the coordinator.
    public func post(_ work: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(work) }
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    /// Coordinator thread: run everything queued so far.
    public func drain() {
        var counter: UInt64 = 0
        _ = read(fd, &counter, 8)
        let work = pending.withLock { queued in
            let all = queued
            queued.removeAll()
            return all
        }
        for w in work { w() }
    }
}

/// Something that belongs to the coordinator thread (a completion, a host
/// event handler) held by another thread only to be handed back through the
/// CoordinatorQueue and used there. The queue is what makes this safe: the
/// value is never touched off the coordinator thread.
public struct CoordinatorBound<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
