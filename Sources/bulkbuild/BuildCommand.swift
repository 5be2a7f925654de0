import Build
import CPosix
import Engine
import Foundation
import HostPool
import Logs
import TTYReport

let bulkbuildVersion = "0.1.0"

/// Options whose behaviour is not built yet: they fail loudly rather than
/// be ignored.
let unimplementedFlags: [Character: String] = [:]
let unimplementedParameters: Set<String> = [
]

func runBuildCommand(_ args: [String]) -> Int32 {
    let options: BuildOptions
    do {
        options = try parseBuildOptions(args)
    } catch {
        printError("bulkbuild: \(error)\n\(usageText)")
        return 2
    }
    if options.showHelp { print(usageText); return 0 }
    if options.showVersion { print("bulkbuild \(bulkbuildVersion)"); return 0 }
    do {
        let merged = try withHostsFileParameters(options)
        return try runBuild(try resolveConfig(merged), options: merged)
    } catch let e as UsageError {
        printError("bulkbuild: \(e.description)")
        return 2
    } catch {
        printError("bulkbuild: \(error)")
        return 2
    }
}

func notImplemented(_ what: String) -> UsageError {
    UsageError(description: "\(what) is not implemented yet")
}

func resolveConfig(_ o: BuildOptions) throws -> RunConfig {
    for c in o.flags.sorted() { if let what = unimplementedFlags[c] { throw notImplemented(what) } }
    try checkParameters(o)
    func flag(_ name: String) -> Bool { isOn(o.define(name)) }

    let portsdir = URL(fileURLWithPath: try o.portsdir()).standardizedFileURL.path
    let make = o.define("MAKE") ?? "make"
    if make.isEmpty || make.contains(where: { $0 == " " || $0 == "\n" }) {
        throw UsageError(description: "\(o.define("MAKE") == nil ? "-D MAKE=" : o.defineLabel("MAKE")): expected a single command name or path")
    }
    if let a = o.arch, !HostsFile.isArchName(a) {
        throw UsageError(description: "-A '\(a)': expected an architecture name (letters, digits, '_' and '-', e.g. amd64, x86_64)")
    }
    let tree = try TreeSettings.query(make: make, portsdir: portsdir, scratch: NSTemporaryDirectory())
    if let w = tree.warning { printError("bulkbuild: warning: \(w)") }
    if let a = o.arch, a != tree.machineArch, o.hostsFiles.isEmpty {
        throw UsageError(description: "-A \(a): this host builds for \(tree.machineArch) and no remote host of that architecture is configured")
    }
    let arch = o.arch ?? tree.machineArch
    let start = cp_now()
    var exp = Expansions(arch: arch, startTime: start, distdir: tree.distdir, host: hostName(),
                         logdir: "", portsdir: portsdir)
    let logdir = exp.expand(o.logDir ?? "%p/logs/%a")
    exp.logdir = logdir
    let lockdir = exp.expand(o.lockDir ?? "%L/locks")

    var request = PathRequest()
    for file in o.pathListFiles { try readPathFile(exp.expand(file), into: &request) }
    for arg in o.pathLists { try readPathList(arg, into: &request, portsdir: portsdir) }
    // -I paths are built too.
    var install = PathRequest()
    for list in o.installLists {
        try readPathList(list, into: &install, portsdir: portsdir)
        try readPathList(list, into: &request, portsdir: portsdir)
    }
    var keep = PathRequest()
    for list in o.noCleanLists { try readPathList(list, into: &keep, portsdir: portsdir) }
    var junkKeep = PathRequest()
    for list in o.junkKeepLists { try readPathList(list, into: &junkKeep, portsdir: portsdir) }
    let wholeTree = o.has("a") || request.paths.isEmpty
    if flag("HISTORY_ONLY") && !wholeTree {
        throw UsageError(description: "-D HISTORY_ONLY works out which distfiles the whole tree no longer uses: give no path (or -a)")
    }
    var ordering = try o.heuristics()
    if o.has("r") { ordering = .random(SplitMix(seed: UInt64(start * 1000))) }
    if let script = o.define("STARTUP"), !FileManager.default.isReadableFile(atPath: script) {
        throw UsageError(description: "\(o.defineLabel("STARTUP")): cannot read that script (it is a local file sent to each host)")
    }
    if let b = o.buildLogPrime {
        var isDir: ObjCBool = false
        let path = exp.expand(b)
        if !FileManager.default.isReadableFile(atPath: path)
            || (FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue) {
            throw UsageError(description: "-b \(b): cannot read that build log\(isDir.boolValue ? " (it is a directory)" : "")")
        }
    }

    var fetch = FetchSettings()
    // dpb's default: two fetch jobs; -f 0 lets each build fetch its own.
    fetch.jobs = o.fetchOnly ?? o.fetchJobs ?? 2
    fetch.fetchOnly = o.fetchOnly != nil
    if o.fetchOnly != nil {
        // Options for builds: with nothing built they would be dropped unsaid.
        let unused = [(!o.installLists.isEmpty, "-I"), (o.has("R"), "-R"), (o.memoryThreshold != nil, "-M"),
                      (o.fetchJobs != nil, "-f")].filter { $0.0 }.map { $0.1 }
        if let first = unused.first {
            throw UsageError(description: "\(first) does nothing with -F, which fetches distfiles and builds nothing\(first == "-f" ? " (-F's number is the fetch jobs)" : "")")
        }
    }
    fetch.connectTimeout = try o.seconds("FETCH_CONNECT_TIMEOUT", 20)
    fetch.stallTimeout = try o.seconds("FETCH_STALL_TIMEOUT", 60)
    if let cmd = o.define("FETCH_CMD") {
        let words = cmd.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard !words.isEmpty else { throw UsageError(description: "\(o.defineLabel("FETCH_CMD")): expected a command, run as CMD OUTPUT URL") }
        fetch.command = words
    }
    fetch.historyOnly = flag("HISTORY_ONLY")
    fetch.noHistory = flag("NO_HISTORY")
    if fetch.historyOnly {
        // Listing only: the fetcher learns every distfile and fetches none.
        fetch.fetchOnly = true
        fetch.jobs = max(fetch.jobs, 1)
    }
    fetch.cdromOnly = flag("CDROM_ONLY")
    fetch.ftpOnly = flag("FTP_ONLY")
    if (fetch.cdromOnly || fetch.ftpOnly) && !fetch.fetchOnly {
        throw UsageError(description: "-D CDROM_ONLY and -D FTP_ONLY choose what -F mirrors: use them with -F")
    }

    var config = RunConfig(
        portsdir: portsdir, make: make, logdir: logdir, lockdir: lockdir, tree: tree, request: request,
        wholeTree: wholeTree, waitForFixes: o.has("q"), cleanFirst: o.has("c"),
        keepWorkdir: Set(keep.paths.map { $0.pkgpath }), junkKeep: junkKeep.paths,
        displayTimeout: try o.seconds("DISPLAY_TIMEOUT", 10), killGrace: try o.seconds("KILL_GRACE", 20),
        extraListing: o.has("e"), dontCleanLocks: flag("DONT_CLEAN_LOCKS"), alwaysClean: flag("ALWAYS_CLEAN"),
        localHost: hostName(), arch: arch, ordering: ordering,
        noBuildStats: flag("NO_BUILD_STATS"), statsPath: exp.expand("%f/build-stats/%a"),
        primeLog: o.buildLogPrime.map { exp.expand($0) },
        stuckTimeout: try o.optionalSeconds("STUCK_TIMEOUT"), buildTimeout: try o.optionalSeconds("BUILD_TIMEOUT"),
        parallel: o.parallel, startupScript: o.define("STARTUP"))
    config.reportPath = o.define("REPORT").map { exp.expand($0) }
    config.fetch = fetch
    config.waitTimeout = try o.seconds("WAIT_TIMEOUT", 600)
    config.install = install.paths
    config.rebuild = o.has("R")
    // -R rebuilds against newer packages: `depends` must update them too.
    config.update = o.has("U") ? .force : (o.has("u") || o.has("R")) ? .update : nil
    config.measureSizes = o.has("s")
    // NO_BUILD_STATS leaves out the default file, not one -S names.
    config.sizesPath = o.sizeLog.map { exp.expand($0) } ?? (config.noBuildStats ? "" : config.statsPath + "-size")
    config.memoryThreshold = o.memoryThreshold.map(Int64.init)
    if config.measureSizes || o.sizeLog != nil || o.memoryThreshold != nil {
        config.sizes = try readSizes(config.sizesPath)
    }
    // -s writes the size file: a directory that cannot be made is said
    // now, before anything runs, not as a failing disk once it has.
    if config.measureSizes && !config.sizesPath.isEmpty {
        do {
            try PosixFileStore.shared.makeDirectory((config.sizesPath as NSString).deletingLastPathComponent)
        } catch {
            throw UsageError(description: "\(o.sizeLog == nil ? "-s" : "-S") \(config.sizesPath): \(error)")
        }
    }
    return config
}

/// Refuses -D names bulkbuild does not know or has not built, and values
/// that only the ssh layer reads (and would otherwise drop silently).
func checkParameters(_ o: BuildOptions) throws {
    for (name, value) in o.defines {
        guard knownParameters.contains(name) else {
            throw UsageError(description: "-D \(name)=\(value): unknown parameter (known: \(knownParameters.sorted().joined(separator: " ")))")
        }
        if unimplementedParameters.contains(name) { throw notImplemented("-D \(name)") }
    }
    if let text = o.define("CONNECTION_TIMEOUT"), (Int(text) ?? 0) < 1 {
        throw UsageError(description: "\(o.defineLabel("CONNECTION_TIMEOUT")): expected a whole number of seconds >= 1")
    }
}

/// The values a build reads from the parameters, checked without starting
/// anything (`hosts test` refuses what the build would refuse).
func checkParameterValues(_ o: BuildOptions) throws {
    try checkParameters(o)
    _ = try o.heuristics()
    for name in ["FETCH_CONNECT_TIMEOUT", "FETCH_STALL_TIMEOUT", "DISPLAY_TIMEOUT", "KILL_GRACE", "WAIT_TIMEOUT"] {
        _ = try o.seconds(name, 0)
    }
    for name in ["STUCK_TIMEOUT", "BUILD_TIMEOUT"] { _ = try o.optionalSeconds(name) }
}

/// The hosts files' NAME=value lines are -D parameters; the command line's
/// own -D come after them, so they win.
func withHostsFileParameters(_ o: BuildOptions) throws -> BuildOptions {
    guard !o.hostsFiles.isEmpty else { return o }
    let file: HostsFile
    do {
        file = try HostsFile.load(paths: o.hostsFiles, targetArch: nil, localNames: localHostNames())
    } catch let e as HostsFileError {
        throw UsageError(description: e.description)
    }
    for p in file.parameters {
        guard knownParameters.contains(p.name) else {
            throw UsageError(description: "\(p.origin): unknown parameter \(p.name) (known: \(knownParameters.sorted().joined(separator: " ")))")
        }
        if unimplementedParameters.contains(p.name) {
            throw UsageError(description: "\(p.origin): \(notImplemented(p.name).description)")
        }
    }
    var out = o
    out.defines = file.parameters.map { ($0.name, $0.value) } + o.defines
    for p in file.parameters where o.define(p.name) == nil { out.defineOrigins[p.name] = p.origin }
    return out
}

/// Reads the hosts for `arch` from the hosts files; `o` comes from
/// `withHostsFileParameters`, so its -D list already holds the files'
/// parameters, the command line's last.
func loadHosts(_ o: BuildOptions, arch: String, localArch: String) throws -> (HostsFile?, [String: String]) {
    var parameters: [String: String] = [:]
    var file: HostsFile?
    if !o.hostsFiles.isEmpty {
        let loaded: HostsFile
        do {
            loaded = try HostsFile.load(paths: o.hostsFiles, targetArch: arch, localNames: localHostNames(),
                                        localArch: localArch)
        } catch let e as HostsFileError {
            throw UsageError(description: e.description)
        }
        guard !loaded.hosts.isEmpty else {
            throw UsageError(description: "\(o.hostsFiles.joined(separator: ", ")): no host to build on for \(arch)")
        }
        file = loaded
    }
    for (k, v) in o.defines { parameters[k] = v }
    return (file, parameters)
}

func runBuild(_ config: RunConfig, options o: BuildOptions) throws -> Int32 {
    let (file, parameters) = try loadHosts(o, arch: config.arch, localArch: config.tree.machineArch)
    var cfg = config
    try checkMemoryBuilds(&cfg, hosts: file?.hosts)
    if cfg.startupScript == nil, let s = parameters["STARTUP"] {
        guard FileManager.default.isReadableFile(atPath: s) else {
            throw UsageError(description: "STARTUP=\(s) in the hosts file: cannot read that script")
        }
        cfg.startupScript = s
    }
    let queue = CoordinatorQueue()
    var ropts = ReporterOptions()
    ropts.forceScreen = o.has("m")
    ropts.importantOnly = o.has("x")
    ropts.displayTimeout = cfg.displayTimeout
    ropts.noCursor = isOn(o.define("NO_CURSOR"))
    // The coordinator blocks signals before any thread (ssh, screen) starts.
    let reporterBox = LateReporter()
    let coordinator = try Coordinator(config: cfg, reporter: reporterBox, queue: queue, startTime: cp_now())
    reporterBox.target = makeReporter(options: ropts)
    coordinator.setUpHosts(file: file, jobsOverride: o.jobs, junkOverride: o.junkEvery, parameters: parameters)
    return coordinator.run()
}

/// Lets the coordinator (which blocks signals in its initializer) exist
/// before the reporter opens the terminal.
final class LateReporter: Reporter {
    var target: Reporter?
    func update(_ snapshot: RunSnapshot, force: Bool) { target?.update(snapshot, force: force) }
    func event(_ event: ReportEvent, at time: Double) { target?.event(event, at: time) }
    func finish(_ snapshot: RunSnapshot) { target?.finish(snapshot) }
    func suspend() { target?.suspend() }
    func resume() { target?.resume() }
}

/// The rolling size file (or -S): a line that is not a size line is an
/// error at the start, naming the file and the line.
func readSizes(_ path: String) throws -> SizeLog {
    guard !path.isEmpty else { return SizeLog() }
    do {
        return try SizeLog.read(path)
    } catch let e as SizeLog.Malformed {
        throw UsageError(description: e.description)
    }
}

/// -M and `memory` mount a tmpfs on each host, which Linux allows only to
/// root (CAP_SYS_ADMIN). On this machine that is known now: refuse before
/// anything runs rather than build on disk. Remote hosts find out at init.
func checkMemoryBuilds(_ config: inout RunConfig, hosts: [HostConfig]?) throws {
    let local = hosts?.filter(\.isLocal) ?? [HostConfig(name: "localhost", address: "localhost", isLocal: true, origin: "default")]
    let inMemory = local.filter { $0.properties.memory != nil || config.memoryThreshold != nil }
    if config.sizes.latest.isEmpty, hosts?.contains(where: { $0.properties.memory != nil }) ?? false {
        config.sizes = try readSizes(config.sizesPath)
    }
    guard let first = inMemory.first, geteuid() != 0 else { return }
    let what = config.memoryThreshold != nil ? "-M" : "memory= (host \(first.name), \(first.origin))"
    throw UsageError(description: "\(what): building in memory mounts a tmpfs on \(first.name), which needs root (CAP_SYS_ADMIN); run bulkbuild as root there, or drop \(config.memoryThreshold != nil ? "-M" : "memory=")")
}
