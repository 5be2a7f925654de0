// `bulkbuild hosts test|status`: connect to every host of the hosts files
// and say whether bulkbuild could build there (and, for status, how busy
// it is). The logic lives here so the tests can drive it directly.
import CPosix
#if canImport(Glibc)
import Glibc
#endif

public struct UsageError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

public struct HostsCheckOptions: Equatable {
    public enum Mode: String { case test, status }
    public var mode: Mode
    public var hostsFiles: [String] = []
    public var defines: [String: String] = [:]
    public var logDir: String?
    public var arch: String?

    public static let usage = """
        usage: bulkbuild hosts test|status -h hostsfile [-h hostsfile ...] [-D PARAM=value ...]
                                           [-L logdir] [-A arch]
        """

    /// Parses the words after `hosts`; the error text is for standard error.
    public static func parse(_ args: [String]) -> Result<HostsCheckOptions, UsageError> {
        guard let first = args.first, let mode = Mode(rawValue: first) else {
            return .failure(UsageError(description: "bulkbuild hosts: expected 'test' or 'status'\n" + usage))
        }
        var o = HostsCheckOptions(mode: mode)
        var i = 1
        func value(_ flag: String) -> String? {
            if args[i].count > 2 { return String(args[i].dropFirst(2)) }
            i += 1
            return i < args.count ? args[i] : nil
        }
        while i < args.count {
            let a = args[i]
            guard a.hasPrefix("-"), a.count >= 2 else {
                return .failure(UsageError(description: "bulkbuild hosts: unexpected argument '\(a)'\n" + usage))
            }
            let flag = String(a.prefix(2))
            guard ["-h", "-D", "-L", "-A"].contains(flag) else {
                return .failure(UsageError(description: "bulkbuild hosts: unknown option \(a)\n" + usage))
            }
            guard let v = value(flag) else {
                return .failure(UsageError(description: "bulkbuild hosts: \(flag) needs a value\n" + usage))
            }
            switch flag {
            case "-h": o.hostsFiles.append(v)
            case "-L": o.logDir = v
            case "-A": o.arch = v
            default:
                guard let eq = v.firstIndex(of: "="), eq != v.startIndex else {
                    return .failure(UsageError(description: "bulkbuild hosts: -D expects PARAM=value, got '\(v)'"))
                }
                o.defines[String(v[..<eq])] = String(v[v.index(after: eq)...])
            }
            i += 1
        }
        if o.hostsFiles.isEmpty {
            return .failure(UsageError(description: "bulkbuild hosts: at least one -h hostsfile is needed\n" + usage))
        }
        return .success(o)
    }
}

/// What was found on one host.
public struct HostReport: Equatable {
    public var name: String
    public var local: Bool
    public var lines: [(String, String)] = []
    /// Why the host cannot be used; nil when it can.
    public var problem: String?
    public var facts: HostFacts?

    public static func == (a: HostReport, b: HostReport) -> Bool {
        a.name == b.name && a.problem == b.problem && a.facts == b.facts
            && a.lines.map { $0.0 + "\u{0}" + $0.1 } == b.lines.map { $0.0 + "\u{0}" + $0.1 }
    }

    mutating func add(_ key: String, _ value: String) { lines.append((key, value)) }
    mutating func fail(_ why: String) { if problem == nil { problem = why } }

    /// One block: `NAME: ok` or `NAME: UNUSABLE: why`, then indented lines.
    public var text: String {
        var out = "\(name): " + (problem.map { "UNUSABLE: \($0)" } ?? "ok") + "\n"
        let width = lines.map { $0.0.count }.max() ?? 0
        for (k, v) in lines {
            out += "  " + k + String(repeating: " ", count: width - k.count + 2) + v + "\n"
        }
        return out
    }
}

public enum HostsCheck {
    /// Runs the command; `print` receives standard output text, `printError`
    /// standard error text. Returns the exit status (0, 1 or 2).
    public static func run(_ args: [String], print: (String) -> Void,
                           printError: (String) -> Void) -> Int32 {
        let opts: HostsCheckOptions
        switch HostsCheckOptions.parse(args) {
        case .success(let o): opts = o
        case .failure(let msg): printError(msg.description); return 2
        }
        let arch = opts.arch ?? machineName()
        let file: HostsFile
        do {
            file = try HostsFile.load(paths: opts.hostsFiles, targetArch: arch, localNames: localHostNames(),
                                      localArch: machineName())
        } catch {
            printError("bulkbuild hosts: \(error)")
            return 2
        }
        for note in file.notes { printError(note) }
        var params = file.parameterValues
        for (k, v) in opts.defines { params[k] = v }   // the command line wins
        if file.hosts.isEmpty {
            // A usage error, as for the build, which refuses the same file.
            printError("bulkbuild hosts: no host to check in \(opts.hostsFiles.joined(separator: ", "))")
            return 2
        }
        var reports = check(hosts: file.hosts, parameters: params, mode: opts.mode,
                            logDir: opts.logDir)
        if let startup = params["STARTUP"] {
            // Not run here (it may change the hosts); only checked.
            if access(startup, R_OK) == 0 {
                print("STARTUP script \(startup): readable (run by host init, not by this check)\n")
            } else {
                for i in reports.indices { reports[i].fail("STARTUP script \(startup) is not readable") }
            }
        }
        for r in reports { print(r.text) }
        let bad = reports.filter { $0.problem != nil }
        if bad.isEmpty {
            print("\(reports.count) host\(reports.count == 1 ? "" : "s") usable\n")
            return 0
        }
        printError("bulkbuild hosts: \(bad.count) of \(reports.count) host\(reports.count == 1 ? "" : "s") unusable: "
            + bad.map { "\($0.name) (\($0.problem!))" }.joined(separator: "; "))
        return 1
    }

    /// `hosts status`'s jobs line: what a parallel port would get there.
    static func jobsLine(_ p: HostProperties, jobs: Int) -> String {
        let cores = p.parallel.cores(forJobs: jobs)
        return "\(jobs)\(p.jobs == nil ? " (CPU count)" : ""), parallel \(p.parallel) = \(cores) core\(cores == 1 ? "" : "s"), sf \(p.sf)"
    }

    /// Checks every host at once (remote ones connect in parallel).
    public static func check(hosts: [HostConfig], parameters: [String: String],
                             mode: HostsCheckOptions.Mode, logDir: String?,
                             timeout: Double = 120) -> [HostReport] {
        let driver = SyncDriver()
        let portsDir = parameters["PORTSDIR"] ?? getenv("PORTSDIR").map { String(cString: $0) } ?? "/usr/ports"
        let make = parameters["MAKE"] ?? "make"
        let logs = logDir ?? defaultLogDir()
        _ = mkdir(logs, 0o755)
        var reports: [HostReport] = []
        var runners: [TaskRunner] = []
        for h in hosts {
            if h.isLocal {
                runners.append(LocalRunner(hostName: h.name, reaper: driver.reaper, queue: driver.queue))
            } else {
                runners.append(RemoteRunner(target: SSHTarget(host: h, parameters: parameters),
                                            queue: driver.queue, retryFirst: 3600, retryMax: 3600))
            }
            reports.append(HostReport(name: h.name, local: h.isLocal))
        }
        defer { RemoteRunner.shutDown(runners.compactMap { $0 as? RemoteRunner }, within: 5) }

        // 1. Connection and authentication.
        _ = driver.run(until: {
            runners.allSatisfy { r in
                guard let rr = r as? RemoteRunner else { return true }
                return rr.state != .connecting
            }
        }, timeout: timeout)
        var usable: [Int] = []
        for (i, r) in runners.enumerated() {
            let h = hosts[i]
            guard let rr = r as? RemoteRunner else {
                reports[i].add("connection", "local (no ssh)")
                usable.append(i)
                continue
            }
            if rr.state == .up {
                reports[i].add("connection", "ssh to \(rr.target.address): reachable, authenticated")
                usable.append(i)
                continue
            }
            let err = rr.lastConnectError
            var why = err?.description ?? "no answer within \(Int(timeout)) s"
            if why.hasPrefix("\(h.name): ") { why = String(why.dropFirst(h.name.count + 2)) }
            switch err?.kind {
            case .auth?: reports[i].add("connection", "reachable, NOT authenticated")
            case .hostKeyUnknown?, .hostKeyChanged?: reports[i].add("connection", "reachable, host key refused")
            default: reports[i].add("connection", "NOT reachable")
            }
            reports[i].fail(why)
        }

        // The master's tree, for copy hosts: where its copies go there.
        let master = hosts.contains(where: \.isCopy)
            ? CopyHostNeeds.measure(portsDir: portsDir, make: make, driver: driver, logDir: logs) : nil

        // 2. Facts (user, CPUs, signature) and the environment check.
        var facts: [Int: HostFacts] = [:]
        var checks: [Int: [String: String]] = [:]
        var clock: [Int: Double] = [:]
        var pending = 0
        for i in usable {
            let r = runners[i]
            pending += 1
            HostInit.run(on: r, logDir: logs, startupScript: nil) { result in
                switch result {
                case .success(let f): facts[i] = f
                case .failure(let e): reports[i].fail(e.reason)
                }
                pending -= 1
            }
            let checkLog = "\(logs)/hosts-check.\(hosts[i].name).log"
            let before = fileSize(checkLog)
            pending += 1
            var argv = ["/bin/sh", "-c", checkScript, "check", portsDir, make]
            if hosts[i].isCopy, let m = master {
                argv = ["/bin/sh", "-c", CopyHostNeeds.script, "check", portsDir, make, m.repository, m.distdir]
            }
            driver.start(r, TaskSpec(argv: argv, environment: ["LC_ALL": "C"], logPath: checkLog)) { end in
                if end.succeeded {
                    checks[i] = parseFactLines(readFrom(checkLog, offset: before))
                } else {
                    reports[i].fail("environment check failed (\(end.text)); see \(checkLog)")
                }
                pending -= 1
            }
        }
        _ = driver.run(until: { pending == 0 }, timeout: timeout)
        if mode == .status {
            // Clock offset: remote time against the local midpoint, one host
            // at a time so the measure is not queued behind other work.
            for i in usable where reports[i].problem == nil {
                let log = "\(logs)/hosts-check.\(hosts[i].name).log"
                let before = fileSize(log)
                let t0 = cp_now()
                let end = driver.runTask(runners[i], TaskSpec(argv: ["date", "+%s.%N"], logPath: log), timeout: 30)
                let t1 = cp_now()
                if end.succeeded, let remote = Double(readFrom(log, offset: before)
                    .split(separator: "\n").last.map(String.init) ?? "") {
                    clock[i] = remote - (t0 + t1) / 2
                }
            }
        }

        // 3. The reports.
        var reference: (String, HostFacts)? = nil
        for i in reports.indices {
            guard let f = facts[i] else {
                if usable.contains(i) { reports[i].fail("host init did not finish") }
                continue
            }
            reports[i].facts = f
            let jobs = hosts[i].properties.jobs ?? f.cpus
            reports[i].add("user", "\(f.user), \(f.cpus) CPU\(f.cpus == 1 ? "" : "s"), \(f.arch)")
            if let (refName, ref) = reference {
                if let why = f.signatureMismatch(with: ref, referenceName: refName) {
                    reports[i].add("signature", "\(f.signature.prefix(16)) MISMATCH")
                    reports[i].fail(why)
                } else {
                    reports[i].add("signature", "\(f.signature.prefix(16)) (same as \(refName))")
                }
            } else {
                reference = (hosts[i].name, f)
                reports[i].add("signature", "\(f.signature.prefix(16)) (\(f.libraryCount) libraries, \(f.libc))")
            }
            guard let c = checks[i] else { continue }
            if let m = c["make"], !m.isEmpty { reports[i].add("make", m) } else {
                reports[i].add("make", "NOT FOUND (\(make))")
                reports[i].fail("\(make) not found in PATH")
            }
            if hosts[i].isCopy, let m = master {
                m.report(c, mode: (runners[i] as? RemoteRunner)?.dispatchMode, portsDir: portsDir, into: &reports[i])
            } else {
                let pd = c["portsdir"] ?? "missing"
                reports[i].add("PORTSDIR", "\(portsDir): \(pd)")
                if pd != "ok" { reports[i].fail("PORTSDIR \(portsDir) \(pd)") }
                let repo = c["repository"] ?? "\(portsDir)/packages"
                let rs = c["repository_state"] ?? "missing"
                reports[i].add("packages", "\(repo): \(rs)")
                if !(rs == "writable" || rs.hasPrefix("will be created")) {
                    reports[i].fail("package repository \(repo) \(rs)")
                }
            }
            if mode == .status {
                if let l = c["load"], let one = Double(l.split(separator: " ").first ?? "") {
                    reports[i].add("load", "\(l) (normalised by \(jobs) jobs: \(format2(one / Double(jobs))))")
                }
                reports[i].add("free disk", "PORTSDIR \(kib(c["portsdir_free"])), packages \(kib(c["repository_free"]))")
                if let off = clock[i] {
                    reports[i].add("clock", "\(off >= 0 ? "+" : "")\(Int((off * 1000).rounded())) ms against this machine")
                } else {
                    reports[i].add("clock", "unknown")
                }
                reports[i].add("jobs", jobsLine(hosts[i].properties, jobs: jobs))
            }
        }
        return reports
    }

    /// Shell script: $1 PORTSDIR, $2 MAKE. Prints `bulkbuild-fact` lines.
    static let checkScript = """
        p=$1; mk=$2
        echo "bulkbuild-fact make=$(command -v "$mk" 2>/dev/null)"
        if [ -d "$p" ]; then echo "bulkbuild-fact portsdir=ok"
        elif [ -e "$p" ]; then echo "bulkbuild-fact portsdir=is not a directory"
        else echo "bulkbuild-fact portsdir=missing"; fi
        repo=
        if [ -d "$p" ] && command -v "$mk" >/dev/null 2>&1; then
            repo=$("$mk" -C "$p" -s print-data 2>/dev/null </dev/null | sed -n 's/^PACKAGE_REPOSITORY=//p' | tail -n 1)
        fi
        [ -n "$repo" ] || repo=$p/packages
        echo "bulkbuild-fact repository=$repo"
        \(placeFunction)
        place repository "$repo"
        [ -r /proc/loadavg ] && echo "bulkbuild-fact load=$(cut -d' ' -f1-3 /proc/loadavg)"
        pd=$p; while [ ! -d "$pd" ] && [ "$pd" != / ]; do pd=$(dirname "$pd"); done
        echo "bulkbuild-fact portsdir_free=$(df -Pk "$pd" 2>/dev/null | awk 'NR==2 {print $4}')"
        exit 0
        """

    /// Shell: `place NAME PATH` prints NAME_state (writable, not writable,
    /// will be created (in DIR), missing, and DIR is not writable) and
    /// NAME_free, the free KiB where PATH is or would be created.
    static let placeFunction = """
        place() {
            d=$2
            while [ ! -d "$d" ] && [ "$d" != / ] && [ -n "$d" ]; do d=$(dirname "$d"); done
            if [ -d "$2" ]; then
                if [ -w "$2" ]; then s=writable; else s="not writable"; fi
            elif [ -w "$d" ]; then s="will be created (in $d)"
            else s="missing, and $d is not writable"; fi
            echo "bulkbuild-fact $1_state=$s"
            echo "bulkbuild-fact $1_free=$(df -Pk "$d" 2>/dev/null | awk 'NR==2 {print $4}')"
        }
        """
}

func parseFactLines(_ text: String) -> [String: String] {
    var v: [String: String] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("bulkbuild-fact ") {
        let kv = line.dropFirst("bulkbuild-fact ".count)
        if let eq = kv.firstIndex(of: "=") { v[String(kv[..<eq])] = String(kv[kv.index(after: eq)...]) }
    }
    return v
}

func format2(_ d: Double) -> String {
    let r = (d * 100).rounded() / 100
    var s = String(r)
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < 2 { s += String(repeating: "0", count: 2 - decimals) }
    }
    return s
}

func kib(_ v: String?) -> String {
    guard let s = v, let k = Double(s) else { return "unknown" }
    if k >= 1024 * 1024 { return format2(k / 1024 / 1024) + " GiB" }
    return format2(k / 1024) + " MiB"
}

/// `uname -m` of this machine.
public func machineName() -> String {
    var u = utsname()
    guard uname(&u) == 0 else { return "unknown" }
    return withUnsafeBytes(of: u.machine) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}

func defaultLogDir() -> String {
    let dir = "/tmp/bulkbuild-hosts.\(getuid())"
    _ = mkdir(dir, 0o700)
    return dir
}
