// Command line of bulkbuild-gentree.
import Foundation

struct UsageError: Error {
    let message: String
}

struct Options {
    var dir = ""
    var ports = 100
    var seed: UInt64 = 1
    var categories = 8
    var maxDeps = 3
    var sleepMin = 0.0
    var sleepMax = 0.0
    var flavored = 0
    var multi = 0
    var ignored = 0
    var fail: [String] = []
    var garbage: [String] = []
    var missingDep: [String] = []
    var logLines = 0
    var printData = true
    var arch: String? = nil
    var chain = false
    /// Share of a parallel port's build sleep that MAKE_JOBS divides.
    var scalable = 0.0
    /// configure and fake each sleep this share of the port's sleep.
    var phaseShare = 0.0
    /// A graph file whose ports, dependencies and times the tree follows.
    var graph: String? = nil
    /// Graph seconds to sleep seconds (0.001: a graph second builds in a ms).
    var timeScale = 1.0
    /// Flags seen, to reject those a graph fixes.
    var given: Set<String> = []
    var help = false

    /// Shape options that --graph replaces.
    static let shapeFlags = ["--ports", "--seed", "--categories", "--max-deps", "--sleep", "--flavored",
                             "--multi", "--ignored", "--chain", "--scalable", "--phase-share"]

    static let usage = """
    usage: bulkbuild-gentree DIR [options]

    Writes a synthetic ports tree into DIR (created if missing, must be empty)
    that answers bulkbuild's tree protocol through a top-level GNU Makefile.
    The same options and seed always give the same tree.

      --ports N            number of ports (default 100)
      --seed S             random seed, an unsigned integer (default 1)
      --categories C       spread ports over the first C categories, 1-\(Generator.categoryNames.count)
                           (default 8); port number i goes to category (i-1) mod C,
                           so p0001 is devel/p0001, p0002 is lang/p0002, ...
      --max-deps D         at most D dependencies per port (default 3)
      --sleep SECONDS      every build phase sleeps SECONDS (decimals allowed)
      --sleep MIN-MAX      each port sleeps a random time in [MIN, MAX]
      --flavored K         K ports get FLAVORS=a b (paths cat/name, cat/name,a, cat/name,b)
      --multi K            K ports get MULTI_PACKAGES=-main -lib
      --ignored K          K ports carry an IGNORE text
      --fail PKGPATH       create PKGPATH/FAIL: its build fails until the file is removed
      --garbage PKGPATH    PKGPATH answers dump-vars with malformed lines and an error
      --missing-dep PKGPATH
                           PKGPATH depends on the nonexistent devel/doesnotexist
      --log-lines N        the build phase prints N extra lines (default 0)
      --no-print-data      the Makefile has no print-data target
      --arch NAME          MACHINE_ARCH (default: uname -m)
      --chain              one linear chain: each port build-depends on the previous one
      --scalable F         a parallel port's build sleeps S x (1-F) + S x F / MAKE_JOBS,
                           S its sleep (F in 0-1, default 0: MAKE_JOBS changes nothing)
      --phase-share R      configure and fake each sleep R x the port's sleep, single-
                           threaded (default 0); build sleeps both for a small port,
                           which skips them
      --graph FILE         the ports, build dependencies and build times of FILE, one port a
                           line: 'CATEGORY/NAME SECONDS [DEPENDENCY ...]' (the format of
                           Tests/bench/debian-graph.py); DIR/distfiles/build-stats/ARCH gets
                           each port's exact build time as history. Excludes --ports,
                           --seed, --categories, --max-deps, --sleep, --flavored, --multi,
                           --ignored, --chain, --scalable and --phase-share
      --time-scale F       with --graph, a port's build sleeps SECONDS x F (default 1;
                           0.001 turns seconds into milliseconds, 0 builds instantly)
      -h, --help           show this text

    --fail, --garbage and --missing-dep may be repeated; PKGPATH is cat/name or
    just the port name (p0007). DIR/MANIFEST describes every generated port.
    Errors exit with status 2.
    """

    static func parse(_ args: [String]) throws -> Options {
        var o = Options()
        var sawDir = false
        var i = 0
        func value(_ flag: String, _ inline: String?) throws -> String {
            if let v = inline { return v }
            i += 1
            guard i < args.count else { throw UsageError(message: "\(flag) needs a value") }
            return args[i]
        }
        func int(_ flag: String, _ s: String, min: Int, max: Int = Int.max) throws -> Int {
            guard let v = Int(s), v >= min, v <= max else {
                let range = max == Int.max ? "an integer >= \(min)" : "an integer in \(min)...\(max)"
                throw UsageError(message: "\(flag): '\(s)' is not \(range)")
            }
            return v
        }
        func seconds(_ flag: String, _ s: String) throws -> Double {
            guard let v = Double(s), v >= 0, v.isFinite, !s.hasPrefix("+") else {
                throw UsageError(message: "\(flag): '\(s)' is not a number of seconds >= 0")
            }
            return v
        }
        while i < args.count {
            let arg = args[i]
            var flag = arg
            var inline: String? = nil
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                flag = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            o.given.insert(flag)
            switch flag {
            case "--graph":
                let g = try value(flag, inline)
                guard !g.isEmpty else { throw UsageError(message: "--graph needs a file name") }
                o.graph = g
            case "--time-scale":
                let v = try value(flag, inline)
                guard let f = Double(v), f >= 0, f.isFinite, !v.hasPrefix("+") else {
                    throw UsageError(message: "--time-scale: '\(v)' is not a number >= 0")
                }
                o.timeScale = f
            case "-h", "--help":
                o.help = true
            case "--ports":
                o.ports = try int(flag, value(flag, inline), min: 1, max: 10_000_000)
            case "--seed":
                let s = try value(flag, inline)
                guard let v = UInt64(s) else { throw UsageError(message: "--seed: '\(s)' is not an unsigned integer") }
                o.seed = v
            case "--categories":
                o.categories = try int(flag, value(flag, inline), min: 1, max: Generator.categoryNames.count)
            case "--max-deps":
                o.maxDeps = try int(flag, value(flag, inline), min: 0, max: 1000)
            case "--sleep":
                let s = try value(flag, inline)
                if let dash = s.dropFirst().firstIndex(of: "-") {
                    o.sleepMin = try seconds(flag, String(s[..<dash]))
                    o.sleepMax = try seconds(flag, String(s[s.index(after: dash)...]))
                    guard o.sleepMin <= o.sleepMax else {
                        throw UsageError(message: "--sleep: MIN must not exceed MAX in '\(s)'")
                    }
                } else {
                    o.sleepMin = try seconds(flag, s)
                    o.sleepMax = o.sleepMin
                }
            case "--scalable", "--phase-share":
                let s = try value(flag, inline)
                let v = try seconds(flag, s)
                if flag == "--scalable" {
                    guard v <= 1 else { throw UsageError(message: "--scalable: '\(s)' is not a share in 0-1") }
                    o.scalable = v
                } else {
                    guard v <= 100 else { throw UsageError(message: "--phase-share: '\(s)' is over 100") }
                    o.phaseShare = v
                }
            case "--flavored":
                o.flavored = try int(flag, value(flag, inline), min: 0)
            case "--multi":
                o.multi = try int(flag, value(flag, inline), min: 0)
            case "--ignored":
                o.ignored = try int(flag, value(flag, inline), min: 0)
            case "--fail":
                o.fail.append(try value(flag, inline))
            case "--garbage":
                o.garbage.append(try value(flag, inline))
            case "--missing-dep":
                o.missingDep.append(try value(flag, inline))
            case "--log-lines":
                o.logLines = try int(flag, value(flag, inline), min: 0, max: 100_000_000)
            case "--no-print-data":
                guard inline == nil else { throw UsageError(message: "--no-print-data takes no value") }
                o.printData = false
            case "--arch":
                let a = try value(flag, inline)
                guard !a.isEmpty, a.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
                    throw UsageError(message: "--arch: '\(a)' is not a valid architecture name")
                }
                o.arch = a
            case "--chain":
                guard inline == nil else { throw UsageError(message: "--chain takes no value") }
                o.chain = true
            default:
                if arg.hasPrefix("-") && arg != "-" {
                    throw UsageError(message: "unknown option '\(arg)'")
                }
                guard !sawDir else { throw UsageError(message: "more than one DIR given ('\(o.dir)' and '\(arg)')") }
                o.dir = arg
                sawDir = true
            }
            i += 1
        }
        if o.help { return o }
        guard sawDir, !o.dir.isEmpty else { throw UsageError(message: "no DIR given") }
        if o.graph != nil {
            if let clash = shapeFlags.first(where: o.given.contains) {
                throw UsageError(message: "\(clash) cannot be used with --graph: the graph gives the tree's shape and times")
            }
        } else if o.given.contains("--time-scale") {
            throw UsageError(message: "--time-scale needs --graph")
        }
        guard o.flavored + o.multi <= o.ports else {
            throw UsageError(message: "--flavored + --multi (\(o.flavored + o.multi)) exceeds --ports (\(o.ports))")
        }
        guard o.ignored <= o.ports else {
            throw UsageError(message: "--ignored (\(o.ignored)) exceeds --ports (\(o.ports))")
        }
        return o
    }
}
