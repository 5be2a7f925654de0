import CPosix
import Foundation
import HostPool

/// Runs `make -C PORTSDIR -s TARGET` synchronously (start-up only, before
/// the event loop), capturing merged output.
public func runMakeOnce(make: String, portsdir: String, target: String, environment: [String: String] = [:],
                 scratch: String) -> (status: Int32, output: String) {
    let out = scratch + "/make-\(target)-\(getpid()).out"
    unlink(out)
    defer { unlink(out) }
    // The call runs in a group of its own, which an interrupt at the
    // terminal does not reach: hold INT, TERM and HUP meanwhile, and pass
    // them on to the group before leaving, so no make outlives bulkbuild.
    var stops = sigset_t(), before = sigset_t()
    sigemptyset(&stops)
    for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&stops, sig) }
    pthread_sigmask(SIG_BLOCK, &stops, &before)
    defer { pthread_sigmask(SIG_SETMASK, &before, nil) }
    switch spawnInGroup(argv: [make, "-C", portsdir, "-s", target], environment: environment, logPath: out) {
    case .failure(let err):
        return (127, err.text)
    case .success(let pid):
        var status: Int32 = 0
        var tick = timespec(tv_sec: 0, tv_nsec: 100_000_000)
        while waitpid(pid, &status, WNOHANG) == 0 {
            let sig = sigtimedwait(&stops, nil, &tick)
            if sig > 0 { endGroupAndExit(pid, target: target, signal: sig) }
        }
        let code: Int32 = cp_wifexited(status) != 0 ? cp_wexitstatus(status) : 128 + cp_wtermsig(status)
        return (code, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }
}

/// TERM to the make's group, KILL after 2 s, then exit as 128+signal.
private func endGroupAndExit(_ pid: pid_t, target: String, signal sig: Int32) -> Never {
    kill(-pid, SIGTERM)
    var status: Int32 = 0
    var waited = 0
    while waitpid(pid, &status, WNOHANG) == 0 && waited < 20 { usleep(100_000); waited += 1 }
    kill(-pid, SIGKILL)
    if waited >= 20 { _ = waitpid(pid, &status, 0) }
    let text = "bulkbuild: \(String(cString: strsignal(sig))): stopped during make \(target)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(128 + sig)
}

/// The tree's settings from `print-data`, with the protocol's defaults.
public struct TreeSettings {
    public var packageRepository: String
    public var distdir: String
    public var machineArch: String
    public var localbase: String?
    public var wrkobjdir: String?
    public var warning: String?

    /// The print-data variables the run reads.
    static let used: Set<String> = ["PACKAGE_REPOSITORY", "DISTDIR", "MACHINE_ARCH", "LOCALBASE", "WRKOBJDIR"]

    public static func query(make: String, portsdir: String, scratch: String) throws -> TreeSettings {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: portsdir, isDirectory: &isDir), isDir.boolValue else {
            throw UsageError(description: "PORTSDIR \(portsdir): no such directory (set it with -D PORTSDIR=dir or the PORTSDIR environment variable)")
        }
        guard ["Makefile", "makefile", "GNUmakefile"].contains(where: {
            FileManager.default.fileExists(atPath: portsdir + "/" + $0)
        }) else {
            throw UsageError(description: "PORTSDIR \(portsdir): no Makefile, so it cannot answer the ports tree protocol (print-data, dump-vars and the build phases)")
        }
        let (status, output) = runMakeOnce(make: make, portsdir: portsdir, target: "print-data", scratch: scratch)
        var values: [String: String] = [:]
        var warning: String?
        if status == 0 {
            for line in output.split(separator: "\n") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                let key = String(line[..<eq]), v = String(line[line.index(after: eq)...])
                if let old = values[key], old != v, TreeSettings.used.contains(key) {
                    throw UsageError(description: "PORTSDIR \(portsdir): print-data gives \(key) twice, as '\(old)' and '\(v)'")
                }
                values[key] = v
            }
        } else if status == 127 {
            throw UsageError(description: "cannot run '\(make)': \(output)")
        } else if output.split(separator: "\n").contains(where: { $0.contains("=") && !$0.contains(" ") }) {
            let excerpt = output.split(separator: "\n").prefix(5).joined(separator: "\n  ")
            throw UsageError(description: "PORTSDIR \(portsdir): '\(make) -C \(portsdir) -s print-data' failed with status \(status):\n  \(excerpt)")
        } else {
            // No settings at all: the tree has no print-data target.
            let first = output.split(separator: "\n").first.map(String.init) ?? "no output"
            warning = "\(portsdir) answered no print-data (\(first)): using default PACKAGE_REPOSITORY, DISTDIR and MACHINE_ARCH"
        }
        var uts = utsname()
        uname(&uts)
        let machine = withUnsafeBytes(of: &uts.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        func value(_ k: String) -> String? { values[k].flatMap { $0.isEmpty ? nil : $0 } }
        // It names directories under the repository and the log directory.
        if let arch = value("MACHINE_ARCH"), !HostsFile.isArchName(arch) {
            throw UsageError(description: "PORTSDIR \(portsdir): print-data gives MACHINE_ARCH='\(arch)': expected an architecture name (letters, digits, '_' and '-', e.g. amd64, x86_64)")
        }
        return TreeSettings(
            packageRepository: value("PACKAGE_REPOSITORY") ?? portsdir + "/packages",
            distdir: value("DISTDIR") ?? portsdir + "/distfiles",
            machineArch: value("MACHINE_ARCH") ?? machine,
            localbase: value("LOCALBASE"), wrkobjdir: value("WRKOBJDIR"), warning: warning)
    }
}

public func hostName() -> String {
    var buf = [CChar](repeating: 0, count: 256)
    gethostname(&buf, 255)
    return textOfCBuffer(buf)
}

/// dpb's `%` expansions in file names.
public struct Expansions {
    public var arch: String
    public var startTime: Double
    public var distdir: String
    public var host: String
    public var logdir: String
    public var portsdir: String

    public init(arch: String, startTime: Double, distdir: String, host: String, logdir: String, portsdir: String) {
        self.arch = arch; self.startTime = startTime; self.distdir = distdir
        self.host = host; self.logdir = logdir; self.portsdir = portsdir
    }

    public func expand(_ template: String) -> String {
        var out = ""
        var it = template.makeIterator()
        while let c = it.next() {
            guard c == "%" else { out.append(c); continue }
            guard let k = it.next() else { out.append("%"); break }
            switch k {
            case "a": out += arch
            case "d":
                let f = DateFormatter()
                f.locale = Locale(identifier: "en_US_POSIX")
                f.timeZone = TimeZone(identifier: "UTC")
                f.dateFormat = "yyyy-MM-dd@HH:mm:ss"
                out += f.string(from: Date(timeIntervalSince1970: startTime))
            case "f": out += distdir
            case "h": out += host
            case "L": out += logdir
            case "p": out += portsdir
            case "t": out += String(Int(startTime))
            case "%": out += "%"
            default: out.append("%"); out.append(k)
            }
        }
        return out
    }
}
