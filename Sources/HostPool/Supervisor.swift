import CPosix
#if canImport(Glibc)
import Glibc
#endif

/// Ends this run's local process groups when the run itself dies without
/// ending them (kill -9, the OOM killer, a crash). A small helper process,
/// `bulkbuild supervise`, reads the groups the run starts and ends from a
/// pipe; when the pipe closes, every group still listed and still carrying
/// its mark is killed. A normal run has ended its groups by then, so the
/// helper just exits.
///
/// Lines on the pipe: `+ PGID MARK` when a group starts, `- PGID` when it
/// ended.
public final class Supervisor {
    let fd: Int32
    public let pid: pid_t

    init(fd: Int32, pid: pid_t) { self.fd = fd; self.pid = pid }

    /// Starts `executable supervise` with the read end of a new pipe as its
    /// stdin. Nil with the reason when it cannot be started.
    public static func start(executable: String) -> Result<Supervisor, SpawnError> {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            return .failure(SpawnError(text: "pipe: \(String(cString: strerror(cp_errno())))"))
        }
        // Neither end may leak into the tasks (or other helpers) spawned later.
        _ = cp_set_cloexec(fds[0])
        _ = cp_set_cloexec(fds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        _ = cp_spawn_closefrom(&actions, 3)
        let argv = [executable, "supervise"]
        let env = currentEnvironment().map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let rc = withGroupSpawnAttributes { attr in
            withCStrings(argv) { cargv in
                withCStrings(env) { cenv in posix_spawn(&pid, executable, &actions, attr, cargv, cenv) }
            }
        }
        Glibc.close(fds[0])
        guard rc == 0 else {
            Glibc.close(fds[1])
            return .failure(SpawnError(text: "cannot run \(executable) supervise: \(String(cString: strerror(rc)))"))
        }
        return .success(Supervisor(fd: fds[1], pid: pid))
    }

    public func started(pgid: pid_t, mark: String) { send("+ \(pgid) \(mark)\n") }
    public func ended(pgid: pid_t) { send("- \(pgid)\n") }

    /// Closes the pipe: the helper kills what is still listed and exits.
    public func close() {
        Glibc.close(fd)
    }

    private func send(_ line: String) {
        // A line is far below PIPE_BUF: one write lands whole. If the helper
        // is gone, EPIPE is ignored (SIGPIPE is ignored by the run).
        writeAll(fd, line)
    }
}

/// The helper's loop: keep the list, and on end of input kill what is left.
/// Runs in a process group of its own, deaf to the terminal's signals, so
/// that the ^C that stops the run cannot take it away first.
public func runSupervisor(input: Int32) -> Int32 {
    for s in [SIGINT, SIGHUP, SIGTERM, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE] { signal(s, SIG_IGN) }
    var live: [pid_t: String] = [:]
    var pending: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
        if n < 0 && cp_errno() == EINTR { continue }
        if n <= 0 { break }
        pending.append(contentsOf: chunk[0..<n])
        while let nl = pending.firstIndex(of: 10) {
            let words = String(decoding: pending[..<nl], as: UTF8.self).split(separator: " ")
            pending.removeSubrange(...nl)
            guard words.count >= 2, let pgid = pid_t(words[1]), pgid > 1 else { continue }
            if words[0] == "+", words.count >= 3 { live[pgid] = String(words[2]) }
            if words[0] == "-" { live.removeValue(forKey: pgid) }
        }
    }
    ProcessGroups.end(groups: live, grace: 3)
    return 0
}

/// The processes of a group that still carry a task's mark, read from
/// /proc: a process group id may be reused once its processes are gone, so
/// a group is only killed while one of its members has `BULKBUILD_TASK=mark`
/// in its environment.
public enum ProcessGroups {
    public static let markVariable = "BULKBUILD_TASK"

    /// Pids whose process group is `pgid` and whose environment holds the mark.
    public static func marked(pgid: pid_t, mark: String) -> [pid_t] {
        // No process in that group at all: no need to read /proc.
        guard pgid > 1, kill(-pgid, 0) == 0 || cp_errno() == EPERM else { return [] }
        let wanted = "\(markVariable)=\(mark)"
        return processes().filter { processGroup(of: $0) == pgid && environmentContains(pid: $0, wanted) }
    }

    /// The process groups that hold a process carrying the mark, whatever
    /// their ids (a job's phases each had a group of their own). Reads the
    /// environment of every process this user may read: for stale locks
    /// at start-up, not for every task.
    public static func groups(carrying mark: String) -> Set<pid_t> {
        let wanted = "\(markVariable)=\(mark)"
        var out = Set<pid_t>()
        for pid in processes() where pid != getpid() && environmentContains(pid: pid, wanted) {
            if let group = processGroup(of: pid), group > 1 { out.insert(group) }
        }
        return out
    }

    /// The pids in /proc now.
    static func processes() -> [pid_t] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var out: [pid_t] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if let pid = pid_t(name) { out.append(pid) }
        }
        return out
    }

    /// The process group of `pid` from /proc/PID/stat (nil when gone or a zombie).
    static func processGroup(of pid: pid_t) -> pid_t? {
        guard let stat = readWholeFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the name: state, ppid, pgrp.
        guard fields.count > 2, fields[0] != "Z", fields[0] != "X" else { return nil }
        return pid_t(fields[2])
    }

    static func environmentContains(pid: pid_t, _ entry: String) -> Bool {
        guard let env = readWholeFile("/proc/\(pid)/environ") else { return false }
        return env.split(separator: "\0").contains { $0 == entry }
    }

    /// TERM to each group (pgid: mark) while it carries its mark, KILL
    /// after `grace` seconds, and waits (up to `grace` more) until no marked
    /// member is left. All groups share the grace period: one after
    /// another, 32 jobs would take 32 graces. Returns the groups that still
    /// have a marked member.
    @discardableResult
    public static func end(groups: [pid_t: String], grace: Double) -> Set<pid_t> {
        var left = groups.filter { $0.key > 1 && !marked(pgid: $0.key, mark: $0.value).isEmpty }
        for pgid in left.keys { kill(-pgid, SIGTERM) }
        let start = cp_monotonic()
        var hard = false
        while !left.isEmpty {
            let waited = cp_monotonic() - start
            if waited >= 2 * grace { break }
            if !hard && waited >= grace {
                for pgid in left.keys { kill(-pgid, SIGKILL) }
                hard = true
            }
            usleep(20_000)
            left = left.filter { !marked(pgid: $0.key, mark: $0.value).isEmpty }
        }
        return Set(left.keys)
    }
}
