// `bulkbuild agent`: the task server a RemoteRunner starts on a build host
// over ONE ssh exec channel, so that a task costs a posix_spawn there
// instead of a whole sshd session (fork, login shell, /bin/sh).
//
// Protocol. Every frame, both ways, is
//   type (1 byte, ASCII) | id (u32 little-endian) | length (u32 LE) | payload
// Requests (runner -> agent, on the agent's stdin):
//   S id  u32 argc, u32 envc, then argc+envc strings (u32 length + bytes);
//         env strings are `K=V`, added to the agent's own environment.
//         Starts task `id` (ids are chosen by the runner, never reused).
//   T id  u32 length + log path, then what S carries: starts task `id`
//         with stdout and stderr appended to that file (opened by the
//         agent, created 0644) instead of O frames. The local agent of a
//         run gets these, so that its tasks cost the run a frame, not a
//         spawn (LocalAgent.swift). Its P comes with its X, or at most
//         20 ms after the start: one wake-up of the run for a short task.
//   K id  u32 signal: sent to the task's process group.
// Replies (agent -> runner, on the agent's stdout):
//   H 0   the agent's version text, once, first.
//   P id  u32 pid: started; the pid is also its process group.
//   O id  output bytes (stdout and stderr merged, in order).
//   X id  u32 kind (0 exited, 1 killed by a signal), u32 value: the task is
//         over; every O of the task came before. Leftovers of its process
//         group are killed, as LocalRunner does.
//   E id  u32 errno, then a message: the task could not be spawned.
// Files (AgentFiles.swift, RemoteTransfers.swift; payload strings are u32
// length + bytes, u64/i64 little-endian; ROOT is empty for an absolute
// NAME, else NAME is relative to ROOT and no directory below ROOT may be a
// symbolic link; paths with NUL or `..` components are refused):
//   F id  put: u32 mode, u32 has-time, i64 mtime, u32 ns, ROOT, NAME.
//         Opens the part file .bulkbuild-part.PID.ID beside NAME (parents
//         made 0755); the first put into a directory removes part files
//         there whose agent is dead. No reply unless refused (R).
//   D id  the next bytes of the put (at most 256 KiB a frame).
//   C id  u64 size, 32-byte SHA-256, u32 flags (1: fsync first). Only when
//         size and digest match is the part file given its mode and mtime
//         and renamed to NAME: A, else R (damaged: the digest that came).
//   Q id  abandon the put: the part file goes, no reply.
//   W id  have: 32-byte SHA-256, ROOT, NAME -> A with 1 byte, 1 when a
//         regular file with that digest is there (hashed a chunk a turn).
//   G id  get: absolute path -> B id data frames, then Z id u64 size,
//         32-byte SHA-256, u32 mode (or R). Read when replies have room.
//   M id  manifest: ROOT, u8 has-only, u32 n + n names (only those
//         subdirectories), u32 n + n exclusions -> L id frames of entries
//         (u8 kind f/d/l, u32 mode, i64 size, i64 mtime, u32 ns, name,
//         link target), then A. A missing ROOT has no entries.
//   U id  remove ROOT, NAME (a directory with what it holds, never
//         following links; missing is fine) -> A or R.
//   Y id  symlink: ROOT, NAME, target (made aside, renamed over) -> A or R.
//   I id  mkdir: u32 mode, ROOT, NAME (mode set on an existing one) -> A or R.
//   R id  refused: u32 kind (0 failed, 1 damaged, 2 bad request), path,
//         message.
// When stdin ends (the channel, the connection or bulkbuild is gone), or on
// SIGTERM/SIGHUP/SIGINT, the agent kills every task's process group with
// SIGKILL, removes its part files and exits. It never blocks on stdout:
// replies are buffered, and task pipes (and gets) are not read while more
// than `highWater` bytes wait.
import CPosix
#if canImport(Glibc)
import Glibc
#endif

/// Frame types of the agent protocol.
enum AgentFrame {
    static let start = UInt8(ascii: "S"), kill = UInt8(ascii: "K"), startInFile = UInt8(ascii: "T")
    static let hello = UInt8(ascii: "H"), started = UInt8(ascii: "P"), output = UInt8(ascii: "O")
    static let exit = UInt8(ascii: "X"), spawnError = UInt8(ascii: "E")
    static let headerSize = 9
    /// Longest a T task's P reply waits to go with other replies.
    static let startHold = 0.02
    /// Longest payload accepted (a start request with a huge environment).
    static let maxPayload = 64 << 20

    static func appendU32(_ v: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(v & 0xff)); out.append(UInt8((v >> 8) & 0xff))
        out.append(UInt8((v >> 16) & 0xff)); out.append(UInt8(v >> 24))
    }

    static func u32(_ b: ArraySlice<UInt8>, _ at: Int) -> UInt32 {
        let i = b.startIndex + at
        return UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    static func header(_ type: UInt8, _ id: UInt32, _ length: Int, to out: inout [UInt8]) {
        out.append(type)
        appendU32(id, to: &out)
        appendU32(UInt32(length), to: &out)
    }

    static func append(_ type: UInt8, _ id: UInt32, _ payload: [UInt8], to out: inout [UInt8]) {
        header(type, id, payload.count, to: &out)
        out.append(contentsOf: payload)
    }

    static func start(id: UInt32, argv: [String], environment: [String]) -> [UInt8] {
        var p: [UInt8] = []
        appendU32(UInt32(argv.count), to: &p)
        appendU32(UInt32(environment.count), to: &p)
        for s in argv + environment {
            appendU32(UInt32(s.utf8.count), to: &p)
            p.append(contentsOf: s.utf8)
        }
        var out: [UInt8] = []
        append(start, id, p, to: &out)
        return out
    }

    /// A T request: the log path, the text to write to the log first, then
    /// the same payload as S.
    static func startInFile(id: UInt32, logPath: String, logHeader: String, argv: [String], environment: [String],
                            to out: inout [UInt8]) {
        let strings = argv + environment
        var length = 16 + logPath.utf8.count + logHeader.utf8.count
        for s in strings { length += 4 + s.utf8.count }
        header(startInFile, id, length, to: &out)
        appendU32(UInt32(logPath.utf8.count), to: &out)
        out.append(contentsOf: logPath.utf8)
        appendU32(UInt32(logHeader.utf8.count), to: &out)
        out.append(contentsOf: logHeader.utf8)
        appendU32(UInt32(argv.count), to: &out)
        appendU32(UInt32(environment.count), to: &out)
        for s in strings {
            appendU32(UInt32(s.utf8.count), to: &out)
            out.append(contentsOf: s.utf8)
        }
    }

    /// Splits a T payload into the log path, the log header and the S
    /// payload after them.
    static func parseStartInFile(_ p: ArraySlice<UInt8>) -> (logPath: String, logHeader: ArraySlice<UInt8>,
                                                              rest: ArraySlice<UInt8>)? {
        guard p.count >= 4 else { return nil }
        let n = Int(u32(p, 0))
        guard n > 0, p.count - 4 >= n + 4 else { return nil }
        let s = p.startIndex + 4
        let path = p[s..<(s + n)]
        guard !path.contains(0) else { return nil }
        let h = Int(u32(p, 4 + n))
        let hs = s + n + 4
        guard p.endIndex - hs >= h else { return nil }
        return (String(decoding: path, as: UTF8.self), p[hs..<(hs + h)], p[(hs + h)...])
    }

    static func words(_ values: [UInt32]) -> [UInt8] {
        var p: [UInt8] = []
        for v in values { appendU32(v, to: &p) }
        return p
    }

    /// Parses the start payload: argv and `K=V` strings.
    static func parseStart(_ p: ArraySlice<UInt8>) -> (argv: [String], env: [String])? {
        guard p.count >= 8 else { return nil }
        let argc = Int(u32(p, 0)), envc = Int(u32(p, 4))
        var at = 8
        var strings: [String] = []
        for _ in 0..<(argc + envc) {
            guard p.count - at >= 4 else { return nil }
            let n = Int(u32(p, at)); at += 4
            guard p.count - at >= n else { return nil }
            let s = p.startIndex + at
            strings.append(String(decoding: p[s..<(s + n)], as: UTF8.self))
            at += n
        }
        return (Array(strings[..<argc]), Array(strings[argc...]))
    }
}

/// Splits a byte stream into frames; `next()` returns complete ones.
struct AgentFrameReader {
    private var buf: [UInt8] = []
    private var at = 0

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if at > 0 && at == buf.count { buf.removeAll(keepingCapacity: true); at = 0 }
        buf.append(contentsOf: bytes)
    }

    enum Next { case frame(type: UInt8, id: UInt32, payload: ArraySlice<UInt8>), needMore, bad }

    /// Feeds what non-blocking `fd` has now, read through `chunk`. Nil
    /// while the stream goes on; at its end 0, or the errno of a failed read.
    mutating func fill(from fd: Int32, through chunk: inout [UInt8]) -> Int32? {
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let e = cp_errno()
                if e == EINTR { continue }
                return e == EAGAIN || e == EWOULDBLOCK ? nil : e
            }
            if n == 0 { return 0 }
            chunk.withUnsafeBytes { feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if n < chunk.count { return nil }
        }
    }

    /// The next whole frame; `bad` for a length over the limit.
    mutating func next() -> Next {
        let left = buf.count - at
        guard left >= AgentFrame.headerSize else { compact(); return .needMore }
        let h = buf[at..<(at + AgentFrame.headerSize)]
        let length = Int(AgentFrame.u32(h, 5))
        if length > AgentFrame.maxPayload { return .bad }
        guard left >= AgentFrame.headerSize + length else { compact(); return .needMore }
        let start = at + AgentFrame.headerSize
        at = start + length
        return .frame(type: h[h.startIndex], id: AgentFrame.u32(h, 1), payload: buf[start..<(start + length)])
    }

    private mutating func compact() {
        if at > 65536 && at * 2 > buf.count {
            buf.removeFirst(at)
            at = 0
        }
    }
}

/// Spawns `argv` in its own process group with an empty signal mask and
/// default dispositions, stdin from /dev/null and stdout+stderr into a new
/// pipe. Returns the pid and the pipe's non-blocking, close-on-exec read
/// end, or errno.
func spawnWithPipe(argv: [String], environment: [String: String]) -> Result<(pid_t, Int32), SpawnFailure> {
    guard !argv.isEmpty else { return .failure(SpawnFailure(errno: EINVAL, text: "empty command")) }
    var fds: [Int32] = [-1, -1]
    // (Children get closefrom(3), so the moment without close-on-exec is
    // harmless.)
    guard pipe(&fds) == 0, cp_set_cloexec(fds[0]) == 0, cp_set_cloexec(fds[1]) == 0 else {
        let e = cp_errno()
        return .failure(SpawnFailure(errno: e, text: "cannot make a pipe: \(String(cString: strerror(e)))"))
    }
    defer { close(fds[1]) }
    switch spawnTask(argv: argv, environment: environment, output: fds[1]) {
    case .success(let pid):
        _ = cp_set_nonblock(fds[0])
        return .success((pid, fds[0]))
    case .failure(let f):
        close(fds[0])
        return .failure(f)
    }
}

/// Spawns `argv` as `spawnWithPipe` does, with stdout and stderr appended
/// to `logPath` (created 0644), after `header`.
func spawnIntoFile(argv: [String], environment: [String: String], logPath: String,
                   header: ArraySlice<UInt8> = []) -> Result<pid_t, SpawnFailure> {
    let fd = cp_open_append(logPath, 0o644)
    guard fd >= 0 else {
        let e = cp_errno()
        return .failure(SpawnFailure(errno: e, text: "cannot open \(logPath): \(String(cString: strerror(e)))"))
    }
    defer { close(fd) }
    if !header.isEmpty { _ = header.withUnsafeBytes { writeAll(fd, $0.baseAddress!, $0.count) } }
    return spawnTask(argv: argv, environment: environment, output: fd)
}

/// The spawn itself: own process group, stdin /dev/null, `output` as
/// stdout and stderr, nothing else open; the environment is this
/// process's with `environment` in place of the entries of those names.
private func spawnTask(argv: [String], environment: [String: String], output: Int32) -> Result<pid_t, SpawnFailure> {
    guard !argv.isEmpty else { return .failure(SpawnFailure(errno: EINVAL, text: "empty command")) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, output, 1)
    posix_spawn_file_actions_adddup2(&actions, output, 2)
    _ = cp_spawn_closefrom(&actions, 3)

    // A PATH given with the task is the one its command is looked up in
    // (as `env PATH=... cmd` does over a channel).
    // (Without one, posix_spawnp looks in this process's PATH.)
    var command = argv[0]
    if !command.contains("/"), let path = environment["PATH"] {
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + command
            var st = stat()
            if access(candidate, X_OK) == 0 && stat(candidate, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
                command = candidate
                break
            }
        }
    }
    var pid: pid_t = 0
    let rc = withGroupSpawnAttributes { attr in
        withCStrings(argv) { cargv in
            withChildEnvironment(environment) { cenv in
                posix_spawnp(&pid, command, &actions, attr, cargv, cenv)
            }
        }
    }
    if rc != 0 {
        return .failure(SpawnFailure(errno: rc, text: "cannot run \(argv[0]): \(String(cString: strerror(rc)))"))
    }
    return .success(pid)
}

/// Spawn attributes for a task: its own process group, an empty signal
/// mask and every signal at its default disposition.
func withGroupSpawnAttributes<R>(_ body: (UnsafePointer<posix_spawnattr_t>) -> R) -> R {
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attr, &mask)
    var all = sigset_t()
    sigfillset(&all)
    sigdelset(&all, SIGKILL)
    sigdelset(&all, SIGSTOP)
    posix_spawnattr_setsigdefault(&attr, &all)
    posix_spawnattr_setpgroup(&attr, 0)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    return withUnsafePointer(to: &attr) { body($0) }
}

/// `text` without leading and trailing white space.
func trimmed(_ text: String) -> String {
    let u = Array(text.utf8)
    let isSpace: (UInt8) -> Bool = { $0 == 32 || ($0 >= 9 && $0 <= 13) }
    guard let first = u.firstIndex(where: { !isSpace($0) }), let last = u.lastIndex(where: { !isSpace($0) }) else {
        return ""
    }
    return String(decoding: u[first...last], as: UTF8.self)
}

struct SpawnFailure: Error {
    var errno: Int32
    var text: String
}

/// The agent: serves requests from `input` and replies on `output` until
/// `input` ends. Returns the exit status for the process.
public func runTaskAgent(input: Int32, output: Int32, version: String) -> Int32 {
    TaskAgent(input: input, output: output).run(version: version)
}

final class TaskAgent {
    final class Task {
        let id: UInt32
        let pid: pid_t
        var pipe: Int32
        init(id: UInt32, pid: pid_t, pipe: Int32) { self.id = id; self.pid = pid; self.pipe = pipe }
    }

    let input: Int32
    let output: Int32
    var inputOpen = true
    var reader = AgentFrameReader()
    var out: [UInt8] = []
    var outAt = 0
    var byPid: [pid_t: Task] = [:]
    var byId: [UInt32: Task] = [:]
    var signalFd: Int32 = -1
    /// Task output is not read while more than this waits for stdout.
    let highWater = 1 << 20
    var chunk = [UInt8](repeating: 0, count: 65536)
    let files = AgentFileServer()
    var heldStarts: [UInt8] = []
    var heldSince = 0.0

    init(input: Int32, output: Int32) { self.input = input; self.output = output }

    func run(version: String) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGCHLD, SIGTERM, SIGHUP, SIGINT] { sigaddset(&set, s) }
        _ = cp_sigmask(SIG_BLOCK, &set, nil)
        signalFd = signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard signalFd >= 0 else { return 1 }
        _ = cp_set_nonblock(input)
        _ = cp_set_nonblock(output)
        // Tasks get this process's environment (with their own entries in
        // place); a mark it was started with is not theirs.
        unsetenv("BULKBUILD_TASK")
        AgentFrame.append(AgentFrame.hello, 0, Array(version.utf8), to: &out)

        var fds: [pollfd] = []
        var pollTasks: [Task] = []
        while inputOpen {
            fds.removeAll(keepingCapacity: true)
            pollTasks.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: signalFd, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: output, events: out.count > outAt ? Int16(POLLOUT) : 0, revents: 0))
            if out.count - outAt < highWater {
                for t in byId.values where t.pipe >= 0 {
                    fds.append(pollfd(fd: t.pipe, events: Int16(POLLIN), revents: 0))
                    pollTasks.append(t)
                }
            }
            // A get in progress goes on while the replies have room.
            let roomForFiles = files.hasGets && out.count - outAt < highWater
            let holding = heldStarts.isEmpty ? -1 : Int32(max(0, (heldSince + AgentFrame.startHold - cp_monotonic()) * 1000)) + 1
            let n = poll(&fds, nfds_t(fds.count), roomForFiles ? 0 : holding)
            if n < 0 {
                if cp_errno() == EINTR { continue }
                break
            }
            if fds[2].revents != 0 && !flush() { break }
            for (i, t) in pollTasks.enumerated() where fds[i + 3].revents != 0 && t.pipe >= 0 {
                readPipe(t, all: false)
            }
            if fds[1].revents != 0 && !handleSignals() { break }
            if fds[0].revents != 0 { readInput() }
            if files.hasGets && out.count - outAt < highWater { files.pumpGets(reply: reply) }
            if !heldStarts.isEmpty && cp_monotonic() >= heldSince + AgentFrame.startHold { releaseStarts() }
            if out.count > outAt && !flush() { break }
        }
        killEverything()
        return 0
    }

    /// Writes what it can; false when stdout is gone.
    func flush() -> Bool {
        while outAt < out.count {
            let n = out.withUnsafeBytes { write(output, $0.baseAddress! + outAt, out.count - outAt) }
            if n < 0 {
                let e = cp_errno()
                if e == EINTR { continue }
                if e == EAGAIN || e == EWOULDBLOCK { break }
                return false
            }
            outAt += n
        }
        if outAt == out.count { out.removeAll(keepingCapacity: out.capacity <= 4 << 20); outAt = 0 }
        else if outAt > 1 << 20 { out.removeFirst(outAt); outAt = 0 }
        return true
    }

    func readInput() {
        if reader.fill(from: input, through: &chunk) != nil {
            inputOpen = false
            return
        }
        while true {
            switch reader.next() {
            case .needMore: return
            case .bad: inputOpen = false; return
            case .frame(AgentFrame.start, let id, let payload): start(id, payload, logPath: nil, logHeader: [])
            case .frame(AgentFrame.startInFile, let id, let payload):
                if let (logPath, logHeader, rest) = AgentFrame.parseStartInFile(payload) {
                    start(id, rest, logPath: logPath, logHeader: logHeader)
                } else {
                    reply(AgentFrame.spawnError, id, AgentFrame.words([UInt32(EINVAL)]) + Array("bad start request".utf8))
                }
            case .frame(AgentFrame.kill, let id, let payload):
                if payload.count >= 4, let t = byId[id] {
                    kill(-t.pid, Int32(bitPattern: AgentFrame.u32(payload, 0)))
                }
            case .frame(let type, let id, let payload): _ = files.handle(type, id, payload, reply: reply)
            }
        }
    }

    /// Starts a task: its output goes to O frames, or (`logPath`) into
    /// that file.
    func start(_ id: UInt32, _ payload: ArraySlice<UInt8>, logPath: String?, logHeader: ArraySlice<UInt8>) {
        guard let (argv, extra) = AgentFrame.parseStart(payload) else {
            reply(AgentFrame.spawnError, id, AgentFrame.words([UInt32(EINVAL)]) + Array("bad start request".utf8))
            return
        }
        var env: [String: String] = [:]
        for kv in extra {
            if let eq = kv.firstIndex(of: "=") { env[String(kv[..<eq])] = String(kv[kv.index(after: eq)...]) }
        }
        let spawned: Result<(pid_t, Int32), SpawnFailure>
        if let logPath {
            spawned = spawnIntoFile(argv: argv, environment: env, logPath: logPath, header: logHeader).map { ($0, -1) }
        } else {
            spawned = spawnWithPipe(argv: argv, environment: env)
        }
        switch spawned {
        case .success(let (pid, pipe)):
            let t = Task(id: id, pid: pid, pipe: pipe)
            byId[id] = t
            byPid[pid] = t
            if logPath != nil {
                // A local task's start is told with its end, or after a
                // moment: most phases are short, and every reply wakes the run.
                if heldStarts.isEmpty { heldSince = cp_monotonic() }
                AgentFrame.append(AgentFrame.started, id, AgentFrame.words([UInt32(bitPattern: pid)]), to: &heldStarts)
            } else {
                reply(AgentFrame.started, id, AgentFrame.words([UInt32(bitPattern: pid)]))
            }
        case .failure(let f):
            reply(AgentFrame.spawnError, id, AgentFrame.words([UInt32(bitPattern: f.errno)]) + Array(f.text.utf8))
        }
    }

    func reply(_ type: UInt8, _ id: UInt32, _ payload: [UInt8]) {
        // A task's start goes before its end.
        if !heldStarts.isEmpty { releaseStarts() }
        AgentFrame.append(type, id, payload, to: &out)
    }

    /// Start replies of T tasks held back (at most `AgentFrame.startHold`).
    func releaseStarts() {
        out.append(contentsOf: heldStarts)
        heldStarts.removeAll(keepingCapacity: true)
    }

    /// Moves the task's pipe into O frames: one read, or (`all`) until it
    /// is empty. Closes the pipe at its end.
    func readPipe(_ t: Task, all: Bool) {
        while t.pipe >= 0 {
            let n = chunk.withUnsafeMutableBytes { read(t.pipe, $0.baseAddress, $0.count) }
            if n > 0 {
                AgentFrame.header(AgentFrame.output, t.id, n, to: &out)
                out.append(contentsOf: chunk[0..<n])
                if !all { return }
                continue
            }
            if n < 0 {
                let e = cp_errno()
                if e == EINTR { continue }
                if e == EAGAIN || e == EWOULDBLOCK { return }
            }
            close(t.pipe)
            t.pipe = -1
        }
    }

    /// False when told to end.
    func handleSignals() -> Bool {
        var info = signalfd_siginfo()
        var keepOn = true
        while read(signalFd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            if Int32(info.ssi_signo) != SIGCHLD { keepOn = false }
        }
        reap()
        return keepOn
    }

    func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            guard cp_wifexited(status) != 0 || cp_wifsignaled(status) != 0, let t = byPid.removeValue(forKey: pid) else {
                continue
            }
            byId.removeValue(forKey: t.id)
            // What is left of the group goes (as with LocalRunner); what the
            // leader wrote is in the pipe already.
            kill(-pid, SIGKILL)
            readPipe(t, all: true)
            if t.pipe >= 0 { close(t.pipe); t.pipe = -1 }
            let end: [UInt32] = cp_wifexited(status) != 0
                ? [0, UInt32(cp_wexitstatus(status))] : [1, UInt32(cp_wtermsig(status))]
            reply(AgentFrame.exit, t.id, AgentFrame.words(end))
        }
    }

    /// Input is over: no task outlives the connection.
    func killEverything() {
        files.removeEverything()
        for t in byId.values { kill(-t.pid, SIGKILL) }
        let deadline = cp_monotonic() + 2
        while !byPid.isEmpty && cp_monotonic() < deadline {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0 { byPid.removeValue(forKey: pid); continue }
            if pid < 0 { break }
            usleep(5000)
        }
        _ = flush()
    }
}
