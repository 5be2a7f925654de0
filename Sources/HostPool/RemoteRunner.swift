// Tasks on a remote host: one libssh session per host, one channel per
// task, all driven by one thread that owns the session.
//
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

/// Connection state of a RemoteRunner.
public enum ConnectionState: Sendable, Equatable {
    case connecting
    case up
    case down(String)
    case shutDown
}

public final class RemoteRunner: TaskRunner {
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

    func submit(_ r: Request) {
        // The eventfd is written under the lock: exitThread closes it.
        let accepted: Bool = lock.locked {
            if exited { return false }
            inbox.append(r)
            var one: UInt64 = 1
            _ = write(wakeFd, &one, 8)
            return true
        }
        if !accepted, case .start(let t) = r {
            finish(t, .lost("\(hostName): runner shut down"))
        }
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
        guard let cb = onEvent else { return }
        queue.post { cb(event) }
    }

    private func finish(_ task: RemoteTask, _ end: TaskEnd) {
        task.close()
        let done = task.completion
        queue.post { done(end) }
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
            setState(.up)
            post(.up)
            let outcome = runConnected(session)
            switch outcome {
            case .shutdown:
                return
            case .lost(let why):
                let reason = "\(hostName): connection lost: \(why)"
                for t in active {
                    if t.pgid > 0 { orphans.append((t.pgid, t.mark)) }
                    finish(t, .lost(reason))
                }
                active.removeAll()
                dropHelpers()
                setState(.down(reason))
                announcedDown = true
                post(.down(reason))
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

    private func runConnected(_ s: SSHSession) -> Outcome {
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
                    if let why = launch(t, on: s) { putBack(batch[(i + 1)...]); return .lost(why) }
                case .stop(let t, let sig):
                    if let why = signal(t, sig, on: s) { putBack(batch[(i + 1)...]); return .lost(why) }
                case .shutdown(let kill):
                    putBack(batch[(i + 1)...])
                    if kill {
                        for t in active where t.pgid > 0 {
                            _ = try? s.exec("kill -s KILL -- -\(t.pgid) 2>/dev/null")
                        }
                    }
                    for t in active { finish(t, .lost("\(hostName): runner shut down")) }
                    active.removeAll()
                    dropHelpers()
                    setState(.shutDown)
                    return .shutdown
                }
            }
            // Move data until nothing more is buffered.
            var progress = true
            while progress {
                progress = false
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
            if !s.isConnected { return .lost(s.lastError) }

            let now = cp_monotonic()
            if now - lastKeepalive >= liveness.keepaliveEvery {
                lastKeepalive = now
                if ssh_send_keepalive(s.raw) != SSH_OK || !s.isConnected {
                    return .lost(s.lastError)
                }
            }
            let wait = max(0, liveness.keepaliveEvery - (cp_monotonic() - lastKeepalive))
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

    /// Starts a task's channel; returns a reason when the session died.
    private func launch(_ t: RemoteTask, on s: SSHSession) -> String? {
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
        taskCount += 1
        t.mark = "\(markPrefix)-\(taskCount)"
        var env = t.spec.environment
        env["BULKBUILD_TASK"] = t.mark
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

    private enum Pump { case idle, progress, finished(TaskEnd), lost(String) }

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
final class RemoteTask: TaskHandle {
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

    init(spec: TaskSpec, completion: @escaping (TaskEnd) -> Void, runner: RemoteRunner) {
        self.spec = spec; self.completion = completion; self.runner = runner
    }

    var pid: Int32 { lock.locked { _pgid } }
    var pgid: Int32 { pid }

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
