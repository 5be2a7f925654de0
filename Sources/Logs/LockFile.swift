import CPosix
import Engine
import Foundation

/// Lock files in the lock directory: one per bare pkgpath (`devel.gmake`),
/// created with O_EXCL so two processes never build the same directory,
/// kept after an error so a person can look, fix and remove it.
public struct LockDirectory: Sendable {
    public let root: String
    public let files: any FileStore
    public init(root: String, files: any FileStore = PosixFileStore.shared) { self.root = root; self.files = files }

    public func path(for pkgpath: PkgPath) -> String { root + "/" + pkgpath.dotted }
    /// The per-host lock that serializes depends/prepare/junk.
    public func hostLockPath(host: String) -> String { root + "/" + hostLockName(host: host) }
    public func hostLockName(host: String) -> String { "host:" + host }

    public enum CreateResult: Equatable { case created, alreadyLocked }

    /// Creates the lock with its first lines, or reports it exists.
    public func create(_ name: String, lines: [(String, String)]) throws -> CreateResult {
        // An empty lock would block the port (or the host) for good: a
        // failed write removes it.
        try files.createExclusive(root + "/" + name, with: LockDirectory.render(lines)) ? .created : .alreadyLocked
    }

    public func lock(_ pkgpath: PkgPath, lines: [(String, String)]) throws -> CreateResult {
        try create(pkgpath.dotted, lines: lines)
    }

    /// Adds `key=value` lines to an existing lock (a lock removed by a
    /// person meanwhile is left alone).
    public func append(_ name: String, lines: [(String, String)]) throws {
        // A lock that is gone stays gone.
        _ = try files.appendIfPresent(LockDirectory.render(lines), to: root + "/" + name)
    }

    public func remove(_ name: String) { files.remove(root + "/" + name) }
    public func exists(_ name: String) -> Bool { files.exists(root + "/" + name) }
    /// mkdir -p of the lock directory.
    public func create() throws { try files.makeDirectory(root) }

    /// Lock lines that are flags, written bare (dpb's `nojunk`).
    static let flags: Set<String> = ["nojunk"]

    static func render(_ lines: [(String, String)]) -> String {
        lines.map { $0.1.isEmpty && flags.contains($0.0) ? "\($0.0)\n" : "\($0.0)=\($0.1)\n" }.joined()
    }

    /// Parses `key=value` lines (a bare word is a flag with empty value).
    public static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if let eq = line.firstIndex(of: "=") {
                out[String(line[..<eq])] = String(line[line.index(after: eq)...])
            } else {
                out[String(line)] = ""
            }
        }
        return out
    }

    /// Every lock file name now present.
    public func names() -> Set<String> {
        Set(files.list(root) ?? [])
            .filter { !$0.hasPrefix(".") && !$0.contains(".tmp.") }
    }

    public func contents(_ name: String) -> [String: String]? {
        files.read(root + "/" + name).map(LockDirectory.parse)
    }

    /// The bulkbuild process that made a lock, from its `dpb=PID on HOST` line.
    public static func owner(_ contents: [String: String]) -> (pid: Int32, host: String)? {
        guard let words = contents["dpb"]?.split(separator: " "), words.count >= 3, words[1] == "on",
              let pid = Int32(words[0]) else { return nil }
        return (pid, String(words[2]))
    }

    /// The pid of the bulkbuild of `host` that made this lock and is gone:
    /// nil while it lives, or when another host's run (or no run) made it.
    /// A process that started after the lock was made (its `start` line)
    /// is not its maker: the pid was used again, after a reboot or a long
    /// time, and the maker is gone.
    public static func deadOwner(_ contents: [String: String], host: String, isAlive: (Int32) -> Bool,
                                 startedAt: (Int32) -> Double? = processStartTime) -> Int32? {
        guard let owner = owner(contents), owner.host == host else { return nil }
        if !isAlive(owner.pid) { return owner.pid }
        if let made = contents["start"]?.split(separator: " ").first.flatMap({ Double($0) }),
           let began = startedAt(owner.pid), began > made + 2 {
            return owner.pid
        }
        return nil
    }

    /// Removes locks left by dead bulkbuild processes of this host that did
    /// not end in error (an error lock waits for a person). Returns the
    /// lock names it removed with the path each one locked.
    /// `endTask` gets the lock's fields first and must make sure the task
    /// group it records (`pgid=`, `task=`) is gone; when it cannot, the lock
    /// stays.
    public func cleanStale(host: String, isAlive: (Int32) -> Bool,
                           endTask: ([String: String]) -> Bool = { _ in true }) -> [(name: String, locked: String)] {
        var removed: [(name: String, locked: String)] = []
        for name in names() {
            guard let c = contents(name), LockDirectory.deadOwner(c, host: host, isAlive: isAlive) != nil,
                  endTask(c) else { continue }
            if c["error"] != nil { continue }
            if let status = c["status"], status != "0", !status.isEmpty { continue }
            remove(name)
            removed.append((name, c["locked"] ?? ""))
        }
        return removed.sorted { $0.name < $1.name }
    }
}

/// Whether a process is alive: kill(0) succeeds on zombies, so /proc is
/// checked too.
/// When process `pid` of this machine started (epoch seconds), from
/// /proc: nil when that cannot be told.
public func processStartTime(_ pid: Int32) -> Double? {
    guard let stat = FileIO.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")"),
          let system = FileIO.read("/proc/stat") else { return nil }
    // Field 22 of stat, the 20th after the command's closing parenthesis:
    // clock ticks after boot.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 19, let ticks = Double(fields[19]),
          let line = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
          let boot = Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) else { return nil }
    let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
    return hz > 0 ? boot + ticks / hz : nil
}

public func processIsAlive(_ pid: Int32) -> Bool {
    guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
    guard let stat = FileIO.read("/proc/\(pid)/stat") else { return true }
    if let close = stat.lastIndex(of: ")") {
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        if let state = rest.first, state == "Z" || state == "X" { return false }
    }
    return true
}
