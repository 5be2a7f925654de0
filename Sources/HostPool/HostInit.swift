// The init job of a host: who we are there, how many CPUs, a library
// signature, then the STARTUP script. Runs through the host's TaskRunner,
// so it works the same on localhost and over ssh.
//
// Library signature: sha256 (hex) of
//   the C library version line (`getconf GNU_LIBC_VERSION`, else the first
//   line of `ldd --version`), then, one per line, the sorted unique
//   basenames matching `*.so` or `*.so.N[.N...]` found directly in
//   /lib /lib64 /usr/lib /usr/lib64 /usr/local/lib /lib/*-linux-gnu
//   /usr/lib/*-linux-gnu.
// Two hosts with the same signature have the same libc and the same set of
// shared library versions installed, so packages built on one run on the
// other. The caller compares each host's signature with the first host's.
import CPosix
#if canImport(Glibc)
import Glibc
#endif

/// What host init learnt.
public struct HostFacts: Sendable, Equatable {
    public var user: String
    public var cpus: Int
    public var arch: String
    public var libc: String
    public var signature: String
    public var libraryCount: Int

    public init(user: String, cpus: Int, arch: String, libc: String, signature: String, libraryCount: Int) {
        self.user = user; self.cpus = cpus; self.arch = arch; self.libc = libc
        self.signature = signature; self.libraryCount = libraryCount
    }

    /// Why this host does not match `reference` (the first host), or nil.
    public func signatureMismatch(with reference: HostFacts, referenceName: String) -> String? {
        guard signature != reference.signature else { return nil }
        var why = "library signature \(signature.prefix(12)) differs from \(referenceName)'s \(reference.signature.prefix(12))"
        if libc != reference.libc { why += " (libc: \(libc) vs \(reference.libc))" }
        else if libraryCount != reference.libraryCount {
            why += " (\(libraryCount) vs \(reference.libraryCount) shared libraries)"
        }
        return why
    }
}

public struct HostInitError: Error, Equatable, CustomStringConvertible {
    public var host: String
    public var reason: String
    /// The host went away during init (retry later) rather than failed.
    public var lost: Bool
    public var description: String { "\(host): \(reason)" }
}

public enum HostInit {
    /// Shell script printing `bulkbuild-fact KEY=VALUE` lines.
    public static let probeScript = """
        libc=$(getconf GNU_LIBC_VERSION 2>/dev/null || ldd --version 2>&1 | head -n 1)
        libs=$(for d in /lib /lib64 /usr/lib /usr/lib64 /usr/local/lib /lib/*-linux-gnu /usr/lib/*-linux-gnu; do
            [ -d "$d" ] && ls -1 "$d"; done 2>/dev/null | grep -E '\\.so(\\.[0-9]+)*$' | LC_ALL=C sort -u)
        echo "bulkbuild-fact user=$(id -un)"
        echo "bulkbuild-fact cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || sysctl -n hw.ncpuonline 2>/dev/null)"
        echo "bulkbuild-fact arch=$(uname -m)"
        echo "bulkbuild-fact libc=$libc"
        echo "bulkbuild-fact libraries=$(printf '%s\\n' "$libs" | grep -c .)"
        echo "bulkbuild-fact signature=$(printf '%s\\n%s\\n' "$libc" "$libs" | sha256sum | cut -d' ' -f1)"
        """

    /// Runs a STARTUP script given as text: written to a temporary file on
    /// the host, made executable (so its #! line counts), run, removed.
    static let startupWrapper = """
        f=$(mktemp "${TMPDIR:-/tmp}/bulkbuild-startup.XXXXXX") || exit 1
        printf '%s' "$1" > "$f" && chmod 700 "$f" && "$f"
        s=$?; rm -f "$f"; exit $s
        """

    /// Log file of a host's init: `LOGDIR/init.HOST.log`.
    public static func logPath(logDir: String, host: String) -> String {
        "\(logDir)/init.\(host).log"
    }

    /// Runs the probe, then the STARTUP script (a LOCAL file) if any.
    /// `completion` runs on the coordinator thread (from task completions).
    /// `readLog` reads the init log the runner writes (the run's file store).
    public static func run(on runner: TaskRunner, logDir: String, startupScript: String?,
                           readLog: (@Sendable (String) -> String?)? = nil,
                           completion: @escaping (Result<HostFacts, HostInitError>) -> Void) {
        let readLog = readLog ?? { readWholeFile($0) }
        let host = runner.hostName
        let log = logPath(logDir: logDir, host: host)
        func fail(_ why: String, lost: Bool = false) {
            completion(.failure(HostInitError(host: host, reason: why, lost: lost)))
        }
        var script: String? = nil
        if let path = startupScript {
            guard let text = readWholeFile(path) else {
                fail("cannot read the STARTUP script \(path)"); return
            }
            script = text
        }
        let before = readLog(log)?.utf8.count ?? 0
        let probe = TaskSpec(argv: ["/bin/sh", "-c", probeScript], environment: ["LC_ALL": "C"], logPath: log)
        _ = runner.start(probe) { end in
            guard end.succeeded else {
                if case .lost(let why) = end { fail("init lost: \(why)", lost: true) }
                else { fail("init probe failed (\(end.text)); see \(log)") }
                return
            }
            let facts: HostFacts
            switch parseFacts(readFrom(readLog(log), offset: before)) {
            case .success(let f): facts = f
            case .failure(let e): fail("\(e.reason); see \(log)"); return
            }
            guard let text = script else { completion(.success(facts)); return }
            let spec = TaskSpec(argv: ["/bin/sh", "-c", startupWrapper, "bulkbuild-startup", text],
                                logPath: log)
            _ = runner.start(spec) { end in
                if end.succeeded { completion(.success(facts)) }
                else if case .lost(let why) = end { fail("STARTUP lost: \(why)", lost: true) }
                else { fail("STARTUP script \(startupScript!) failed (\(end.text)); see \(log)") }
            }
        }
    }

    /// Reads the `bulkbuild-fact` lines of the probe's output.
    public static func parseFacts(_ output: String) -> Result<HostFacts, HostInitError> {
        let v = parseFactLines(output)
        func bad(_ what: String) -> Result<HostFacts, HostInitError> {
            .failure(HostInitError(host: "", reason: what, lost: false))
        }
        guard let user = v["user"], !user.isEmpty else { return bad("could not learn the user name (id -un)") }
        guard let cpus = v["cpus"].flatMap({ Int($0) }), cpus > 0 else {
            return bad("could not learn the CPU count (getconf _NPROCESSORS_ONLN)")
        }
        guard let sig = v["signature"], sig.count == 64 else {
            return bad("could not compute the library signature (sha256sum missing?)")
        }
        return .success(HostFacts(user: user, cpus: cpus, arch: v["arch"] ?? "",
                                  libc: v["libc"] ?? "", signature: sig,
                                  libraryCount: Int(v["libraries"] ?? "") ?? 0))
    }
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}

/// The file's content from `offset` on ("" when unreadable).
func readFrom(_ path: String, offset: Int) -> String { readFrom(readWholeFile(path), offset: offset) }

/// The text from `offset` on ("" when there is none).
func readFrom(_ text: String?, offset: Int) -> String {
    guard let all = text else { return "" }
    let u = Array(all.utf8)
    guard offset < u.count else { return "" }
    return String(decoding: u[offset...], as: UTF8.self)
}
