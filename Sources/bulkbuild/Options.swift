import Build
import Engine
import Foundation
import HostPool

/// dpb's command line: single-letter flags that may be grouped (`-qx`),
/// options whose value may be attached (`-j8`) or follow (`-j 8`), `--`
/// to end options, plus `--help` and `--version`.
struct BuildOptions {
    var flags: Set<Character> = []
    var arch: String?
    var buildLogPrime: String?
    var noCleanLists: [String] = []
    var defines: [(String, String)] = []
    var fetchJobs: Int?
    var fetchOnly: Int?
    var hostsFiles: [String] = []
    var installLists: [String] = []
    var junkEvery: Int?
    var jobs: Int?
    var logDir: String?
    var lockDir: String?
    var memoryThreshold: Int?
    var pathListFiles: [String] = []
    var parallel: ParallelSetting?
    var sizeLog: String?
    var junkKeepLists: [String] = []
    var pathLists: [String] = []
    var showHelp = false
    var showVersion = false

    /// Where a parameter set by a hosts file comes from ("hosts:3"), for
    /// the ones the command line's -D does not override.
    var defineOrigins: [String: String] = [:]

    func has(_ c: Character) -> Bool { flags.contains(c) }
    func define(_ name: String) -> String? { defines.last(where: { $0.0 == name })?.1 }

    /// A parameter as an error names it: the hosts file's line it came
    /// from, or the -D that gave it.
    func defineLabel(_ name: String) -> String {
        let value = define(name) ?? ""
        return defineOrigins[name].map { "\($0): \(name)=\(value)" } ?? "-D \(name)=\(value)"
    }

    /// PORTSDIR as given (-D, a hosts file, the environment), else
    /// /usr/ports. An empty one (an unset variable in a script) would be
    /// the current directory: a usage error.
    func portsdir() throws -> String {
        let value = define("PORTSDIR") ?? ProcessInfo.processInfo.environment["PORTSDIR"] ?? "/usr/ports"
        if value.isEmpty {
            let given = define("PORTSDIR") != nil ? defineLabel("PORTSDIR") : "in the environment"
            throw UsageError(description: "PORTSDIR is empty (\(given)): give the ports tree's directory")
        }
        return value
    }

    /// A parameter in seconds, `fallback` when not given.
    func seconds(_ name: String, _ fallback: Double) throws -> Double {
        guard let text = define(name) else { return fallback }
        // Finite and below ~30 years, so every later conversion to Int holds.
        guard let v = Double(text), v >= 0, v < 1e9 else {
            throw UsageError(description: "\(defineLabel(name)): expected a number of seconds (0 to 999999999)")
        }
        return v
    }

    /// A time limit that is off unless given, and then above zero.
    func optionalSeconds(_ name: String) throws -> Double? {
        guard define(name) != nil else { return nil }
        let v = try seconds(name, 0)
        guard v > 0 else { throw UsageError(description: "\(defineLabel(name)): expected a positive number of seconds") }
        return v
    }

    /// HEURISTICS: the queue's order (-r, random, is the caller's).
    func heuristics() throws -> QueueOrdering {
        switch define("HEURISTICS") ?? "critical-path" {
        case "critical-path": return .criticalPath
        case "dpb": return .dpb
        default: throw UsageError(description: "\(defineLabel("HEURISTICS")): expected critical-path or dpb (-r gives random order)")
        }
    }
}

/// Parses `-p` / `parallel=`: a number of cores, or `/n` (jobs/n, at least 2).
func parseParallel(_ text: String) -> ParallelSetting? {
    if text.hasPrefix("/") {
        guard let n = Int(text.dropFirst()), n > 0 else { return nil }
        return .fraction(n)
    }
    guard let n = Int(text), n > 0 else { return nil }
    return .cores(n)
}

let flagLetters: Set<Character> = Set("acemqrRsuUx")
let valueLetters: Set<Character> = Set("AbCDfFhIJjLlMPpSX")
/// Value options whose value names a file or a directory.
let namingFiles: Set<Character> = Set("bChILlPSX")

let usageText = """
usage: bulkbuild [-acemqrRsuUx] [-A arch] [-b logfile] [-C pathlist] [-D PARAM=value]
                 [-f m] [-F m] [-h hosts] [-I pathlist] [-J p] [-j n] [-L logdir]
                 [-l lockdir] [-M threshold] [-P pathlist] [-p parallel] [-S sizelog]
                 [-X pathlist] [pathlist ...]
       bulkbuild monitor [-L logdir]
       bulkbuild hosts test|status -h hosts [-D PARAM=value]
       bulkbuild simulate [-r] [-b logfile] [-D PARAM=value] [-h hosts] [-j n]
                          [--add-host 'NAME key=value ...'] [--json] [pathlist ...]
See bulkbuild(1) for every option.
"""

func parseBuildOptions(_ args: [String]) throws -> BuildOptions {
    var o = BuildOptions()
    var i = 0
    func positiveInt(_ text: String, _ opt: Character, allowZero: Bool = false) throws -> Int {
        guard let n = Int(text), n > 0 || (allowZero && n == 0) else {
            throw UsageError(description: "-\(opt) expects a \(allowZero ? "non-negative" : "positive") whole number, got '\(text)'")
        }
        return n
    }
    while i < args.count {
        let arg = args[i]
        i += 1
        if arg == "--" { o.pathLists.append(contentsOf: args[i...]); break }
        if arg == "--help" { o.showHelp = true; continue }
        if arg == "--version" { o.showVersion = true; continue }
        if arg.hasPrefix("--") { throw UsageError(description: "unknown option '\(arg)'") }
        guard arg.hasPrefix("-"), arg.count > 1 else { o.pathLists.append(arg); continue }
        var letters = Substring(arg.dropFirst())
        while let c = letters.first {
            letters = letters.dropFirst()
            if flagLetters.contains(c) { o.flags.insert(c); continue }
            guard valueLetters.contains(c) else {
                throw UsageError(description: "unknown option '-\(c)'")
            }
            let value: String
            if !letters.isEmpty {
                value = String(letters); letters = ""
            } else if i < args.count {
                value = args[i]; i += 1
            } else {
                throw UsageError(description: "option '-\(c)' needs a value")
            }
            // An empty file name (an unset variable in a script) would be
            // taken relative to nothing: "-L ''" said ": cannot create directory".
            if value.isEmpty && namingFiles.contains(c) {
                throw UsageError(description: "option '-\(c)' needs a file or directory name, got an empty one")
            }
            switch c {
            case "A": o.arch = value
            case "b": o.buildLogPrime = value
            case "C": o.noCleanLists.append(value)
            case "D":
                guard let eq = value.firstIndex(of: "="), eq != value.startIndex else {
                    throw UsageError(description: "-D expects PARAM=value, got '\(value)'")
                }
                o.defines.append((String(value[..<eq]), String(value[value.index(after: eq)...])))
            case "f": o.fetchJobs = try positiveInt(value, c, allowZero: true)
            case "F": o.fetchOnly = try positiveInt(value, c)
            case "h": o.hostsFiles.append(value)
            case "I": o.installLists.append(value)
            case "J": o.junkEvery = try positiveInt(value, c, allowZero: true)
            case "j": o.jobs = try positiveInt(value, c)
            case "L": o.logDir = value
            case "l": o.lockDir = value
            case "M": o.memoryThreshold = try positiveInt(value, c)
            case "P": o.pathListFiles.append(value)
            case "p":
                guard let p = parseParallel(value) else {
                    throw UsageError(description: "-p expects a number of cores or /n, got '\(value)'")
                }
                o.parallel = p
            case "S": o.sizeLog = value
            case "X": o.junkKeepLists.append(value)
            default: break
            }
        }
    }
    return o
}

/// The one rule for on/off parameters: unset, empty, 0, no, off and false
/// are off; anything else is on.
func isOn(_ value: String?) -> Bool {
    guard let v = value?.lowercased() else { return false }
    return !["", "0", "no", "off", "false"].contains(v)
}

/// -D parameters bulkbuild knows; the ones not built yet fail loudly.
let knownParameters: Set<String> = [
    "ALWAYS_CLEAN", "BUILD_TIMEOUT", "CDROM_ONLY", "CONNECTION_TIMEOUT", "DISPLAY_TIMEOUT",
    "DONT_BUILD_ONCE", "DONT_CLEAN_LOCKS", "FETCH_CMD", "FETCH_CONNECT_TIMEOUT", "FETCH_STALL_TIMEOUT", "FTP_ONLY", "HEURISTICS", "HISTORY_ONLY", "MAKE",
    "NO_BUILD_STATS", "NO_CURSOR", "NO_HISTORY", "PORTSDIR", "SSH_CONFIG", "STARTUP",
    "STUCK_TIMEOUT", "WAIT_TIMEOUT", "KILL_GRACE", "SSH_AGENT", "LOCAL_AGENT", "REPORT",
]
