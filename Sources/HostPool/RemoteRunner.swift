// Tasks on a remote host: one libssh session per host, one channel per
// task, all driven by one thread that owns the session.
//
// Two ways to carry tasks, chosen at each connection (`dispatchMode`):
// - agent: when the target has an agent path (this process is bulkbuild,
//   and -D SSH_AGENT=0 was not given) and the host has an executable at
//   that same path whose `--version` prints what ours does, ONE channel
//   runs `exec PATH agent` and every task is a request on it (protocol in
//   Agent.swift): no sshd session per task. If the agent channel dies the
//   connection counts as lost (tasks end `.lost`, the host goes down and
//   reconnects, probing again).
// - channels: otherwise, one exec channel per task, as follows.
// Remote command for a task (sshd runs it through the user's shell, which
// OpenSSH makes a session and process-group leader):
//   exec /bin/sh -c 'echo "@bulkbuild-pgid $$"; exec env K=V ... BULKBUILD_TASK=MARK ARGV...'
// The first stdout line gives the process group to kill on stop(); the
// rest of stdout and all of stderr is appended to the local log. The mark
// lets the runner kill, after a reconnection, the groups of tasks that were
// lost with the connection (and only those).
import CLibSSH
import CPosix
#if canImport(Glibc)
import Glibc
#endif

/// Health of a remote host, as seen by its runner.
public enum HostEvent: Sendable, Equatable {
    /// The session is connected and authenticated (first time or again).
    case up
    /// The session died or could not be set up; tasks that were running
    /// ended `.lost`. The runner retries with back-off.
    case down(String)
}

/// How a RemoteRunner's tasks reach its host.
public enum DispatchMode: String, Sendable, Equatable {
    /// One `bulkbuild agent` channel carries every task.
    case agent
    /// One ssh exec channel (an sshd session) per task.
    case channels
}

/// Connection state of a RemoteRunner.
public enum ConnectionState: Sendable, Equatable {
    case connecting
    case up
    case down(String)
    case shutDown
}

/// Sendable by discipline, which the compiler cannot see through libssh:
/// the fields under `lock` are shared with the coordinator thread; those
/// marked "host thread" below are only touched by the runner's own thread;
/// completions and `onEvent` only run on the coordinator thread, handed
/// over through the CoordinatorQueue.
public final class RemoteRunner: TaskRunner, @unchecked Sendable {
    public let hostName: String
    public var isLocal: Bool { false }
    public let target: SSHTarget
    let queue: CoordinatorQueue
    let onEvent: ((HostEvent) -> Void)?
    let liveness: SSHLiveness
    /// Reconnection back-off: first delay, doubling up to the maximum.
    let retryFirst: Double
    let retryMax: Double

    private let lock = Mutex()
    private var inbox: [Request] = []
    private var _state: ConnectionState = .connecting
    private let wakeFd: Int32

    enum Request {
        case start(RemoteTask)
        case stop(RemoteTask, Int32)
        case shutdown(killTasks: Bool)
        /// A send, fetch or mirror (RemoteTransfers.swift).
        case transfer(FileTransfer)
    }

    /// Starts the host's thread, which connects at once.
    /// - Parameters:
    ///   - queue: completions and `onEvent` calls are posted through it.
    ///   - onEvent: host up/down, on the coordinator thread.
    public init(target: SSHTarget, queue: CoordinatorQueue, liveness: SSHLiveness = SSHLiveness(),
                retryFirst: Double = 2, retryMax: Double = 60,
                onEvent: ((HostEvent) -> Void)? = nil) {
        self.hostName = target.displayName
        self.target = target
        self.queue = queue
        self.liveness = liveness
        self.retryFirst = retryFirst
        self.retryMax = retryMax
        self.onEvent = onEvent
        self.wakeFd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        let me = self
        startThread { me.threadMain() }
    }

    /// Any thread.
    public var state: ConnectionState { lock.locked { _state } }
    /// How tasks reach the host on the current (or last) connection; nil
    /// before the first one. Known when `.up` is posted.
    public var dispatchMode: DispatchMode? { lock.locked { _mode } }
    private var _mode: DispatchMode?
    /// The last failed connection attempt's error (any thread).
    public var lastConnectError: SSHError? { lock.locked { _lastError } }
    private var _lastError: SSHError?

    /// Runs `spec` on the host. The completion comes through the queue.
    /// While the host is down the task ends `.lost` at once.
    public func start(_ spec: TaskSpec, completion: @escaping (TaskEnd) -> Void) -> TaskHandle {
        let task = RemoteTask(spec: spec, completion: completion, runner: self)
        submit(.start(task))
        return task
    }

    /// Ends the thread and the session. With `killTasks`, running tasks'
    /// process groups get SIGKILL first. Tasks still running end `.lost`.
    public func shutdown(killTasks: Bool = true) {
        submit(.shutdown(killTasks: killTasks))
    }

    /// Shuts `runners` down (killing their tasks) and waits, at most
    /// `within` seconds, until each thread has closed its session: libssh
    /// torn down by exit() under a live session could crash the process.
    public static func shutDown(_ runners: [RemoteRunner], within: Double) {
        for r in runners { r.shutdown(killTasks: true) }
        let deadline = cp_monotonic() + within
        while !runners.allSatisfy({ $0.state == .shutDown }) && cp_monotonic() < deadline { usleep(10_000) }
    }

    func submit(_ r: Request) {
        // The eventfd is written under the lock: exitThread closes it.
        let accepted: Bool = lock.locked {
            if exited { return false }
            inbox.append(r)
            var one: UInt64 = 1
            _ = write(wakeFd, &one, 8)
            return true
        }
        guard !accepted else { return }
        if case .start(let t) = r { finish(t, .lost("\(hostName): runner shut down")) }
        if case .transfer(let x) = r { complete(x, .failure(.linkLost("\(hostName): runner shut down"))) }
    }

    /// The thread is over: later requests are answered at once.
    private var exited = false

    private func exitThread() {
        let left: [Request] = lock.locked {
            exited = true
            _state = .shutDown
            close(wakeFd)
            return inbox
        }
        for case .start(let t) in left { finish(t, .lost("\(hostName): runner shut down")) }
        for case .transfer(let x) in left { complete(x, .failure(.linkLost("\(hostName): runner shut down"))) }
    }

    private func takeInbox() -> [Request] {
        var counter: UInt64 = 0
        _ = read(wakeFd, &counter, 8)
        return lock.locked { let r = inbox; inbox.removeAll(); return r }
    }

    /// Requests taken but not handled go back to the front of the inbox.
    private func putBack(_ rest: ArraySlice<Request>) {
        guard !rest.isEmpty else { return }
        lock.locked { inbox.insert(contentsOf: rest, at: 0) }
    }

    private func setState(_ s: ConnectionState) { lock.locked { _state = s } }

    private func post(_ event: HostEvent) {
        guard let cb = onEvent.map(CoordinatorBound.init) else { return }
        queue.post { cb.value(event) }
    }

    private func finish(_ task: RemoteTask, _ end: TaskEnd) {
        task.close()
        let done = CoordinatorBound(task.completion)
        queue.post { done.value(end) }
    }

    // MARK: the host thread

    private var active: [RemoteTask] = []
    /// Channels running kill commands for stop().
    private var helpers: [(ssh_channel, UnsafeMutablePointer<bb_channel_watch>?)] = []
    /// Tasks lost with the connection may still run on the host: their
    /// process groups and marks, killed once the host is back.
    private var orphans: [(pgid: Int32, mark: String)] = []
    /// Marks tasks (BULKBUILD_TASK in their environment) so a reconnected
    /// runner kills only its own leftovers, never a reused process group.
    private let markPrefix = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    private var taskCount = 0
    /// Transfers in flight (RemoteTransfers.swift).
    let carrier = CarrierState()

    private func threadMain() {
        defer { exitThread() }
        var delay = retryFirst
        var announcedDown = false
        while true {
            let session: SSHSession
            do {
                session = try SSHSession.connect(target, liveness: liveness)
            } catch {
                let why = (error as? SSHError)?.description ?? "\(error)"
                lock.locked { _lastError = error as? SSHError }
                setState(.down(why))
                if !announcedDown { announcedDown = true; post(.down(why)) }
                if waitWhileDown(seconds: delay, reason: why) { return }
                delay = min(delay * 2, retryMax)
                continue
            }
            delay = retryFirst
            announcedDown = false
            let agent = openAgent(on: session)
            lock.locked { _mode = agent == nil ? .channels : .agent }
            setState(.up)
            post(.up)
            let outcome = withExtendedLifetime(session) { runConnected(session, agent: agent) }
            switch outcome {
            case .shutdown:
                return
            case .lost(let why):
                let reason = "\(hostName): connection lost: \(why)"
                // The host's down event first, then the ends of the tasks it
                // lost: the coordinator never starts a job on a host whose
                // tasks are coming back lost.
                setState(.down(reason))
                announcedDown = true
                post(.down(reason))
                for t in active {
                    if t.pgid > 0 { orphans.append((t.pgid, t.mark)) }
                    finish(t, .lost(reason))
                }
                active.removeAll()
                loseTransfers(reason)
                dropHelpers()
                if waitWhileDown(seconds: delay, reason: reason) { return }
                delay = min(delay * 2, retryMax)
            }
        }
    }

    /// Sleeps, answering requests: new tasks are lost at once. True when
    /// asked to shut down.
    private func waitWhileDown(seconds: Double, reason: String) -> Bool {
        let until = cp_monotonic() + seconds
        while true {
            let batch = takeInbox()
            for (i, r) in batch.enumerated() {
                switch r {
                case .start(let t): finish(t, .lost("\(hostName) is down: \(reason)"))
                case .transfer(let x): complete(x, .failure(.linkLost("\(hostName) is down: \(reason)")))
                case .stop: break
                case .shutdown:
                    putBack(batch[(i + 1)...])
                    setState(.shutDown)
                    return true
                }
            }
            let left = until - cp_monotonic()
            if left <= 0 { return false }
            var p = pollfd(fd: wakeFd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32(min(left, 3600) * 1000) + 1)
        }
    }

    private enum Outcome { case shutdown, lost(String) }

    private func runConnected(_ s: SSHSession, agent: AgentLink?) -> Outcome {
        defer { agent?.release() }
        // The event only serves to make libssh read and dispatch what the
        // socket has (channel reads stop doing so once a channel saw EOF).
        guard let event = ssh_event_new() else { return .lost("cannot create an ssh event") }
        _ = ssh_event_add_session(event, s.raw)
        defer {
            _ = ssh_event_remove_session(event, s.raw)
            ssh_event_free(event)
        }
        killOrphans(on: s)
        var lastKeepalive = cp_monotonic()
        var buf = [UInt8](repeating: 0, count: 32768)
        while true {
            // Requests: starts, stops, shutdown.
            let batch = takeInbox()
            for (i, r) in batch.enumerated() {
                switch r {
                case .start(let t):
                    let why = agent.map { launch(t, through: $0) } ?? launch(t, on: s)
                    if let why = why { putBack(batch[(i + 1)...]); return .lost(why) }
                case .stop(let t, let sig):
                    let why = agent.map { signal(t, sig, through: $0) } ?? signal(t, sig, on: s)
                    if let why = why { putBack(batch[(i + 1)...]); return .lost(why) }
                case .transfer(let x):
                    begin(x, agent: agent)
                    if let why = carrier.broken { putBack(batch[(i + 1)...]); return .lost(why) }
                case .shutdown(let kill):
                    putBack(batch[(i + 1)...])
                    if let a = agent {
                        // Closing the channel makes the agent kill them all.
                        if kill { for t in a.tasks.values { _ = signal(t, SIGKILL, through: a) } }
                    } else if kill {
                        for t in active where t.pgid > 0 {
                            _ = try? s.exec("kill -s KILL -- -\(t.pgid) 2>/dev/null")
                        }
                    }
                    for t in active { finish(t, .lost("\(hostName): runner shut down")) }
                    active.removeAll()
                    loseTransfers("\(hostName): runner shut down")
                    dropHelpers()
                    setState(.shutDown)
                    return .shutdown
                }
            }
            // Move data until nothing more is buffered.
            var progress = true
            // A stream from the agent that never pauses (a large get) must
            // not keep requests and puts waiting: after a few rounds the
            // loop goes on, and looks again without sleeping.
            var rounds = 0
            var moreToRead = false
            while progress {
                progress = false
                if let a = agent {
                    // Any libssh call may take packets off the socket into
                    // channel buffers, where poll() cannot see them: the
                    // agent channel is read last, stdout last of all.
                    reapHelpers()
                    switch pump(a, &buf, s) {
                    case .idle, .finished: break
                    case .progress: progress = true
                    case .lost(let why): return .lost(why)
                    }
                    rounds += 1
                    if progress && rounds >= 4 { moreToRead = true; break }
                    continue
                }
                var i = 0
                while i < active.count {
                    let t = active[i]
                    switch pump(t, &buf, s) {
                    case .idle: i += 1
                    case .progress: progress = true; i += 1
                    case .finished(let end):
                        active.remove(at: i)
                        finish(t, end)
                        progress = true
                    case .lost(let why):
                        return .lost(why)
                    }
                }
                reapHelpers()
            }
            // One turn of the puts, then replies and task output again.
            if let a = agent {
                if carrier.busy { feedPuts(a) }
                if let why = carrier.broken { return .lost(why) }
            }
            if !s.isConnected { return .lost(s.lastError) }

            let now = cp_monotonic()
            if now - lastKeepalive >= liveness.keepaliveEvery {
                lastKeepalive = now
                if ssh_send_keepalive(s.raw) != SSH_OK || !s.isConnected {
                    return .lost(s.lastError)
                }
                // (It may have read replies: read the channel again.)
                if agent != nil { continue }
            }
            let wait = carrier.busy || moreToRead ? 0 : max(0, liveness.keepaliveEvery - (cp_monotonic() - lastKeepalive))
            var fds = [pollfd(fd: s.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeFd, events: Int16(POLLIN), revents: 0)]
            let n = poll(&fds, 2, Int32(wait * 1000) + 1)
            if n > 0 && fds[0].revents != 0 {
                // Let libssh read and dispatch whatever arrived.
                if ssh_event_dopoll(event, 0) == SSH_ERROR || !s.isConnected {
                    return .lost(s.lastError)
                }
            }
        }
    }

    /// Opens the task's log and marks it; returns its environment, or nil
    /// when the task ended at once (finished as failed to start).
    private func prepare(_ t: RemoteTask) -> [String: String]? {
        guard !t.spec.argv.isEmpty else {
            finish(t, .failedToStart("empty command"))
            return nil
        }
        let fd = cp_open_append(t.spec.logPath, 0o644)
        if fd < 0 {
            finish(t, .failedToStart("cannot open the log \(t.spec.logPath): \(String(cString: strerror(cp_errno())))"))
            return nil
        }
        t.logFd = fd
        if !t.spec.logHeader.isEmpty { _ = writeAll(fd, t.spec.logHeader) }
        taskCount += 1
        t.mark = "\(markPrefix)-\(taskCount)"
        var env = t.spec.environment
        env["BULKBUILD_TASK"] = t.mark
        return env
    }

    /// Starts a task's channel; returns a reason when the session died.
    private func launch(_ t: RemoteTask, on s: SSHSession) -> String? {
        guard let env = prepare(t) else { return nil }
        let inner = "echo \"@bulkbuild-pgid $$\"; exec "
            + shellCommand(argv: t.spec.argv, environment: env)
        let command = "exec /bin/sh -c " + shellQuote(inner)
        do {
            let (ch, watch) = try s.exec(command)
            t.channel = ch
            t.watch = watch
            active.append(t)
            return nil
        } catch let e as SSHError {
            if e.kind == .lost || !s.isConnected {
                finish(t, .lost("\(hostName): connection lost: \(e.description)"))
                return e.description
            }
            finish(t, .failedToStart("\(hostName): \(e.description)"))
            return nil
        } catch {
            finish(t, .failedToStart("\(hostName): \(error)"))
            return nil
        }
    }

    /// Sends `sig` to the task's process group (now, or once its group is
    /// known).
    private func signal(_ t: RemoteTask, _ sig: Int32, on s: SSHSession) -> String? {
        guard active.contains(where: { $0 === t }) else {
            // Not started yet on this session, or already over.
            if t.channel == nil { t.pendingSignal = sig }
            return nil
        }
        t.stoppedWith = sig
        guard t.pgid > 0 else { t.pendingSignal = sig; return nil }
        return sendKill(t.pgid, sig, on: s)
    }

    private func sendKill(_ pgid: Int32, _ sig: Int32, on s: SSHSession) -> String? {
        let name = sig == SIGKILL ? "KILL" : "TERM"
        do {
            helpers.append(try s.exec("kill -s \(name) -- -\(pgid) 2>/dev/null"))
            return nil
        } catch let e as SSHError {
            return (e.kind == .lost || !s.isConnected) ? e.description : nil
        } catch { return nil }
    }

    /// Kills the process groups of tasks lost with the previous connection,
    /// when their leader still carries our mark (Linux /proc).
    private func killOrphans(on s: SSHSession) {
        guard !orphans.isEmpty else { return }
        let script = orphans.map { o in
            "grep -qxz \(shellQuote("BULKBUILD_TASK=\(o.mark)")) /proc/\(o.pgid)/environ 2>/dev/null && kill -s KILL -- -\(o.pgid) 2>/dev/null"
        }.joined(separator: "; ") + "; true"
        orphans.removeAll()
        if let h = try? s.exec("/bin/sh -c " + shellQuote(script)) { helpers.append(h) }
    }

    private func reapHelpers() {
        helpers.removeAll { (ch, watch) in
            var junk = [UInt8](repeating: 0, count: 256)
            while ssh_channel_read_nonblocking(ch, &junk, 256, 0) > 0 {}
            while ssh_channel_read_nonblocking(ch, &junk, 256, 1) > 0 {}
            guard ssh_channel_is_closed(ch) != 0 else { return false }
            ssh_channel_free(ch)
            free(watch)
            return true
        }
    }

    private func dropHelpers() {
        for (ch, watch) in helpers { ssh_channel_free(ch); free(watch) }
        helpers.removeAll()
    }

    enum Pump { case idle, progress, finished(TaskEnd), lost(String) }

    private func pump(_ t: RemoteTask, _ buf: inout [UInt8], _ s: SSHSession) -> Pump {
        guard let ch = t.channel else { return .finished(.lost("no channel")) }
        var moved = false
        for stream: Int32 in [0, 1] {
            while true {
                let n = buf.withUnsafeMutableBytes {
                    ssh_channel_read_nonblocking(ch, $0.baseAddress, UInt32($0.count), stream)
                }
                if n > 0 {
                    moved = true
                    buf.withUnsafeBytes { t.output(UnsafeRawBufferPointer(rebasing: $0[0..<Int(n)]),
                                                   isStderr: stream == 1) }
                    if stream == 0, t.pgid > 0, let sig = t.pendingSignal {
                        t.pendingSignal = nil
                        t.stoppedWith = sig
                        if let why = sendKill(t.pgid, sig, on: s) { return .lost(why) }
                    }
                    continue
                }
                if n == SSH_ERROR {
                    if !s.isConnected { return .lost(s.lastError) }
                    return .finished(.lost("\(hostName): channel error: \(s.lastError)"))
                }
                break // 0: nothing buffered; SSH_EOF: this stream is over
            }
        }
        if !s.isConnected { return .lost(s.lastError) }
        guard ssh_channel_is_closed(ch) != 0 else { return moved ? .progress : .idle }
        t.flushHeader()
        let status = ssh_channel_get_exit_status(ch)
        var signalName: String? = nil
        if let w = t.watch, w.pointee.has_signal != 0 {
            signalName = withUnsafeBytes(of: w.pointee.signal) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
        }
        if status >= 0 && signalName == nil { return .finished(.exited(Int32(status))) }
        if let name = signalName, let num = signalNumber(name) { return .finished(.signaled(num)) }
        if let sig = t.stoppedWith { return .finished(.signaled(sig)) }
        return .finished(.signaled(SIGKILL))
    }
}

// MARK: agent mode

/// The `bulkbuild agent` channel of one connection. Host thread only.
final class AgentLink {
    let channel: ssh_channel
    let watch: UnsafeMutablePointer<bb_channel_watch>?
    var reader = AgentFrameReader()
    var tasks: [UInt32: RemoteTask] = [:]
    var lastId: UInt32 = 0
    /// The end of what the agent wrote on stderr, for messages.
    var stderrTail: [UInt8] = []

    init(channel: ssh_channel, watch: UnsafeMutablePointer<bb_channel_watch>?) {
        self.channel = channel; self.watch = watch
    }

    /// Closes the channel: the agent sees its input end and kills its tasks.
    func release() { releaseChannel(channel, watch) }

    var stderrText: String {
        String(decoding: stderrTail, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    }
}

/// Closes and frees a channel that may still get messages: its watch is
/// detached first, as libssh keeps a channel freed before the peer closed
/// it until the close arrives, and calls its callbacks meanwhile.
func releaseChannel(_ ch: ssh_channel, _ watch: UnsafeMutablePointer<bb_channel_watch>?) {
    if let w = watch { _ = ssh_remove_channel_callbacks(ch, &w.pointee.cb) }
    if ssh_channel_is_closed(ch) == 0 {
        _ = ssh_channel_send_eof(ch)
        _ = ssh_channel_close(ch)
    }
    ssh_channel_free(ch)
    free(watch)
}

/// `PATH --version` run here, once per path (nil when it cannot run).
private let versionLock = Mutex()
nonisolated(unsafe) private var versionCache: [String: String] = [:]

func localVersion(of path: String) -> String? {
    if let v = versionLock.locked({ versionCache[path] }) { return v }
    guard case .success(let (pid, pipe)) = spawnWithPipe(argv: [path, "--version"],
                                                         environment: [:])
    else { return nil }
    // A pidfd waits for this very child even if a reaper of the process
    // (waitpid(-1)) collects it first.
    let pidfd = cp_pidfd_open(pid)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    let deadline = cp_monotonic() + 10
    var complete = false
    while cp_monotonic() < deadline {
        var p = pollfd(fd: pipe, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, 200)
        let n = chunk.withUnsafeMutableBytes { read(pipe, $0.baseAddress, $0.count) }
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]); continue }
        if n == 0 { complete = true; break }
        if cp_errno() != EAGAIN && cp_errno() != EINTR { break }
    }
    close(pipe)
    if pidfd >= 0 {
        if !complete { kill(pid, SIGKILL) }
        var info = siginfo_t()
        _ = waitid(idtype_t(rawValue: 3), id_t(pidfd), &info, WEXITED)  // P_PIDFD
        close(pidfd)
    }
    guard complete else { return nil }
    let text = trimmed(String(decoding: bytes, as: UTF8.self))
    guard !text.isEmpty else { return nil }
    versionLock.locked { versionCache[path] = text }
    return text
}

extension RemoteRunner {
    /// Starts the agent when the host has our binary at our path; nil for
    /// one channel per task. Probe: `test -x PATH && PATH --version` must
    /// print what it prints here, then the agent must say hello (H) within
    /// the connection timeout.
    func openAgent(on s: SSHSession) -> AgentLink? {
        guard target.useAgent, let path = target.agentPath, let version = localVersion(of: path) else {
            return nil
        }
        let q = shellQuote(path)
        guard let (probe, probeWatch) = try? s.exec("test -x \(q) && \(q) --version 2>/dev/null") else { return nil }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let deadline = cp_monotonic() + Double(target.connectTimeout)
        while cp_monotonic() < deadline && out.count < 65536 {
            let n = chunk.withUnsafeMutableBytes { ssh_channel_read_timeout(probe, $0.baseAddress, 4096, 0, 500) }
            if n > 0 { out.append(contentsOf: chunk[0..<Int(n)]); continue }
            if n == SSH_ERROR || ssh_channel_is_eof(probe) != 0 { break }
        }
        releaseChannel(probe, probeWatch)
        guard trimmed(String(decoding: out, as: UTF8.self)) == version else { return nil }

        guard let (ch, watch) = try? s.exec("exec \(q) agent", keepInput: true) else { return nil }
        let link = AgentLink(channel: ch, watch: watch)
        while cp_monotonic() < deadline {
            let n = chunk.withUnsafeMutableBytes { ssh_channel_read_timeout(ch, $0.baseAddress, 4096, 0, 500) }
            if n > 0 {
                chunk.withUnsafeBytes { link.reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<Int(n)])) }
                // (The version was checked by the probe.)
                switch link.reader.next() {
                case .frame(AgentFrame.hello, _, _): return link
                case .needMore: continue
                default: break
                }
                break
            }
            if n == SSH_ERROR || ssh_channel_is_eof(ch) != 0 { break }
        }
        link.release()
        return nil
    }

    /// Sends a start request; returns a reason when the agent or the
    /// session died.
    func launch(_ t: RemoteTask, through a: AgentLink) -> String? {
        guard let env = prepare(t) else { return nil }
        a.lastId &+= 1
        t.agentId = a.lastId
        a.tasks[t.agentId] = t
        active.append(t)
        let frame = AgentFrame.start(id: t.agentId, argv: t.spec.argv,
                                     environment: env.keys.sorted().map { "\($0)=\(env[$0]!)" })
        return send(frame, to: a)
    }

    func signal(_ t: RemoteTask, _ sig: Int32, through a: AgentLink) -> String? {
        guard t.agentId != 0, a.tasks[t.agentId] === t else { return nil }
        t.stoppedWith = sig
        var frame: [UInt8] = []
        AgentFrame.append(AgentFrame.kill, t.agentId, AgentFrame.words([UInt32(bitPattern: sig)]), to: &frame)
        return send(frame, to: a)
    }

    func send(_ frame: [UInt8], to a: AgentLink) -> String? {
        let n = frame.withUnsafeBytes { ssh_channel_write(a.channel, $0.baseAddress, UInt32($0.count)) }
        if n == frame.count { return nil }
        let why = session(of: a).map { $0 } ?? "cannot write to the agent"
        return trimmed("\(why) \(a.stderrText)")
    }

    private func session(of a: AgentLink) -> String? {
        guard let raw = ssh_channel_get_session(a.channel) else { return nil }
        return ssh_is_connected(raw) != 0 ? "the agent stopped reading" : SSHSession.errorText(raw)
    }

    /// Reads the agent's replies; `.lost` when the agent or the session
    /// ended.
    func pump(_ a: AgentLink, _ buf: inout [UInt8], _ s: SSHSession) -> Pump {
        // stderr first: reading it may move replies into the stdout buffer.
        while true {
            let n = buf.withUnsafeMutableBytes {
                ssh_channel_read_nonblocking(a.channel, $0.baseAddress, UInt32($0.count), 1)
            }
            guard n > 0 else { break }
            a.stderrTail.append(contentsOf: buf[0..<Int(n)])
            if a.stderrTail.count > 4096 { a.stderrTail.removeFirst(a.stderrTail.count - 4096) }
        }
        var moved = false
        for reads in 1... {
            let n = buf.withUnsafeMutableBytes {
                ssh_channel_read_nonblocking(a.channel, $0.baseAddress, UInt32($0.count), 0)
            }
            if n > 0 {
                moved = true
                buf.withUnsafeBytes { a.reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<Int(n)])) }
                if let why = handleReplies(a) { return .lost(why) }
                // (At most 2 MiB at a time: see runConnected.)
                if reads >= 64 { return .progress }
                continue
            }
            if n == SSH_ERROR { return .lost(s.isConnected ? "agent channel error: \(s.lastError)" : s.lastError) }
            break
        }
        if !s.isConnected { return .lost(s.lastError) }
        if ssh_channel_is_eof(a.channel) != 0 || ssh_channel_is_closed(a.channel) != 0 {
            return .lost(trimmed("the agent ended \(a.stderrText)"))
        }
        return moved ? .progress : .idle
    }

    private func handleReplies(_ a: AgentLink) -> String? {
        while true {
            switch a.reader.next() {
            case .needMore: return nil
            case .bad: return "garbled reply from the agent"
            case .frame(let type, let id, let payload):
                guard let t = a.tasks[id] else { fileReply(type, id, payload); continue }
                switch type {
                case AgentFrame.output:
                    payload.withUnsafeBytes { _ = writeAll(t.logFd, $0.baseAddress!, $0.count) }
                case AgentFrame.started where payload.count >= 4:
                    t.setPgid(Int32(bitPattern: AgentFrame.u32(payload, 0)))
                case AgentFrame.exit where payload.count >= 8:
                    let value = Int32(bitPattern: AgentFrame.u32(payload, 4))
                    done(t, a, AgentFrame.u32(payload, 0) == 0 ? .exited(value) : .signaled(value))
                case AgentFrame.spawnError where payload.count >= 4:
                    // As a shell would: 127 when not found, 126 otherwise,
                    // with the reason in the log.
                    let err = Int32(bitPattern: AgentFrame.u32(payload, 0))
                    writeAll(t.logFd, "\(hostName): " + String(decoding: payload.dropFirst(4), as: UTF8.self) + "\n")
                    done(t, a, .exited(err == ENOENT ? 127 : 126))
                default: break
                }
            }
        }
    }

    private func done(_ t: RemoteTask, _ a: AgentLink, _ end: TaskEnd) {
        a.tasks.removeValue(forKey: t.agentId)
        if let i = active.firstIndex(where: { $0 === t }) { active.remove(at: i) }
        finish(t, end)
    }
}

/// Signal number for an ssh signal name (`TERM`, `KILL`...).
func signalNumber(_ name: String) -> Int32? {
    let table: [String: Int32] = ["HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL,
                                  "ABRT": SIGABRT, "FPE": SIGFPE, "KILL": SIGKILL, "SEGV": SIGSEGV,
                                  "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM,
                                  "USR1": SIGUSR1, "USR2": SIGUSR2, "BUS": SIGBUS]
    return table[name]
}

/// A task on a remote host. `pid` is its remote process group (0 until the
/// host told it).
/// Sendable by the same discipline as RemoteRunner: `_pgid` is under the
/// lock, the rest belongs to the host thread, `completion` to the
/// coordinator thread.
final class RemoteTask: TaskHandle, @unchecked Sendable {
    let spec: TaskSpec
    let completion: (TaskEnd) -> Void
    weak var runner: RemoteRunner?
    private let lock = Mutex()
    private var _pgid: Int32 = 0

    // Host thread only.
    var channel: ssh_channel?
    var watch: UnsafeMutablePointer<bb_channel_watch>?
    var logFd: Int32 = -1
    var header: [UInt8] = []
    var headerDone = false
    var pendingSignal: Int32?
    var stoppedWith: Int32?
    var mark = ""
    /// Its id on the agent channel (0: none).
    var agentId: UInt32 = 0

    init(spec: TaskSpec, completion: @escaping (TaskEnd) -> Void, runner: RemoteRunner) {
        self.spec = spec; self.completion = completion; self.runner = runner
    }

    var pid: Int32 { lock.locked { _pgid } }
    var pgid: Int32 { pid }
    func setPgid(_ g: Int32) { lock.locked { _pgid = g } }

    func stop(hard: Bool) {
        runner?.submit(.stop(self, hard ? SIGKILL : SIGTERM))
    }

    /// Output from the host: the first stdout line is the pgid line.
    func output(_ data: UnsafeRawBufferPointer, isStderr: Bool) {
        if isStderr || headerDone {
            writeAll(logFd, data.baseAddress!, data.count)
            return
        }
        if let nl = data.firstIndex(of: UInt8(ascii: "\n")) {
            header.append(contentsOf: data[..<nl])
            headerDone = true
            let line = String(decoding: header, as: UTF8.self)
            if line.hasPrefix("@bulkbuild-pgid "), let g = Int32(line.dropFirst(16)) {
                lock.locked { _pgid = g }
            } else {
                header.append(UInt8(ascii: "\n"))
                _ = header.withUnsafeBytes { writeAll(logFd, $0.baseAddress!, $0.count) }
            }
            header = []
            let rest = UnsafeRawBufferPointer(rebasing: data[(nl + 1)...])
            if rest.count > 0 { writeAll(logFd, rest.baseAddress!, rest.count) }
        } else {
            header.append(contentsOf: data)
        }
    }

    /// At the end: output that never finished the first line goes to the log.
    func flushHeader() {
        if !headerDone && !header.isEmpty {
            _ = header.withUnsafeBytes { writeAll(logFd, $0.baseAddress!, $0.count) }
        }
        header = []
        headerDone = true
    }

    /// Host thread: release the channel and the log.
    func close() {
        if let ch = channel {
            ssh_channel_free(ch)
            channel = nil
        }
        if let w = watch { free(w); watch = nil }
        if logFd >= 0 { Glibc.close(logFd); logFd = -1 }
    }
}
