import Glibc
import Foundation

/// Runs a command with posix_spawn (not Foundation's Process, whose
/// children may inherit blocked signals) and collects its output.
struct Spawned {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
    var timedOut: Bool
    var out: String { String(decoding: stdout, as: UTF8.self) }
}

/// The environment of this process with `overrides` applied (nil removes).
func environment(_ overrides: [String: String?]) -> [String] {
    var env: [String: String] = ProcessInfo.processInfo.environment
    for (k, v) in overrides { env[k] = v ?? nil }
    return env.map { "\($0.key)=\($0.value)" }
}

@discardableResult
func spawn(_ argv: [String], env: [String]? = nil, timeout: Double = 20) -> Spawned {
    var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
    precondition(pipe(&outPipe) == 0 && pipe(&errPipe) == 0)
    var fa = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fa)
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&fa, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&fa, errPipe[1], 2)
    for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&fa, fd) }
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attr, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, sig) }
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    let cEnv: [UnsafeMutablePointer<CChar>?] = (env ?? environment([:])).map { strdup($0) } + [nil]
    defer {
        for p in cArgs + cEnv { free(p) }
        posix_spawn_file_actions_destroy(&fa)
        posix_spawnattr_destroy(&attr)
    }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &fa, &attr, cArgs, cEnv)
    close(outPipe[1]); close(errPipe[1])
    guard rc == 0 else {
        close(outPipe[0]); close(errPipe[0])
        return Spawned(status: 127, stdout: [], stderr: "spawn \(argv[0]): \(String(cString: strerror(rc)))", timedOut: false)
    }
    var out: [UInt8] = [], err: [UInt8] = []
    var open = [outPipe[0], errPipe[0]]
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    var buf = [UInt8](repeating: 0, count: 65536)
    while !open.isEmpty {
        let left = deadline.timeIntervalSinceNow
        if left <= 0 { timedOut = true; kill(pid, SIGKILL); break }
        var pfds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if poll(&pfds, nfds_t(pfds.count), Int32(min(left, 1) * 1000)) <= 0 { continue }
        for p in pfds where p.revents != 0 {
            let n = read(p.fd, &buf, buf.count)
            if n <= 0 {
                close(p.fd); open.removeAll { $0 == p.fd }
            } else if p.fd == outPipe[0] {
                out += buf[0..<n]
            } else {
                err += buf[0..<n]
            }
        }
    }
    for fd in open { close(fd) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return Spawned(status: code, stdout: out, stderr: String(decoding: err, as: UTF8.self), timedOut: timedOut)
}

/// The `bulkbuild` executable built next to this test bundle.
func bulkbuildBinary() -> String? {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return nil }
    var dir = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    // .../debug/bulkbuildPackageTests.xctest
    while let slash = dir.lastIndex(of: "/") {
        dir = String(dir[..<slash])
        let candidate = dir + "/bulkbuild"
        if access(candidate, X_OK) == 0 { return candidate }
        if dir.hasSuffix("/debug") || dir.hasSuffix("/release") || dir.isEmpty { break }
    }
    return nil
}

func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}
