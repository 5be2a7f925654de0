import Build
import CPosix
import Engine
import Foundation
import HostPool
import Logs

/// `bulkbuild simulate [-h hosts] [-j n] [-b logfile] [-r] [-D ...]
/// [--add-host 'NAME key=value ...'] [--json] [pathlist ...]`: lists the
/// tree for real, then builds it in virtual time with the engine the real
/// run uses, each job taking its history (or estimate) over its host's sf.
func runSimulateCommand(_ args: [String]) -> Int32 {
    var json = false
    var extra: [String] = []
    var rest: [String] = []
    var i = 0
    while i < args.count {
        switch args[i] {
        case "--json": json = true
        case "--add-host":
            guard i + 1 < args.count else { printError("bulkbuild simulate: --add-host needs a host line"); return 2 }
            extra.append(args[i + 1]); i += 1
        default: rest.append(args[i])
        }
        i += 1
    }
    do {
        let options = try withHostsFileParameters(try parseBuildOptions(rest))
        if options.showHelp { print(usageText); return 0 }
        let config = try resolveConfig(options)
        var (file, _) = try loadHosts(options, arch: config.arch, localArch: config.tree.machineArch)
        for (n, line) in extra.enumerated() {
            var more = file ?? {
                var f = HostsFile()
                f.hosts = [HostConfig(name: "localhost", address: "localhost", isLocal: true, origin: "default")]
                return f
            }()
            do {
                try more.parse(line, file: "--add-host #\(n + 1)", targetArch: config.arch, localNames: localHostNames(),
                               localArch: config.tree.machineArch)
            } catch let e as HostsFileError { throw UsageError(description: e.description) }
            file = more
        }
        let cpus = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let configs = file?.hosts ?? [HostConfig(name: "localhost", address: "localhost", isLocal: true, origin: "default")]
        let hosts: [Simulator.SimHost] = configs.map { hc in
            Simulator.SimHost(name: hc.name, speedFactor: hc.properties.sf,
                              slots: (hc.isLocal ? options.jobs : nil) ?? hc.properties.jobs ?? cpus)
        }
        let engine = BuildEngine(wantsEverything: config.wholeTree, ordering: config.ordering)
        var stats = BuildStats()
        if let prime = config.primeLog { stats = try BuildStats.fromBuildLog(prime) }
        else if !config.noBuildStats { stats = BuildStats.history(stats: config.statsPath, buildLog: config.logdir + "/build.log") }
        applyWeights(stats, speedFactors: hosts.map { ($0.name, $0.speedFactor) }, request: config.request, to: engine)
        let listingFailures = listSynchronously(engine, config: config)
        for f in listingFailures { printError("bulkbuild simulate: \(f)") }
        // Nothing is built yet, so whatever waits in a cycle waits forever:
        // broken as a run would find it, and out of the bounds.
        _ = engine.breakCycles()
        _ = engine.takeChanges()
        let listed = engine.summary()
        // What a real run would report as broken, so a mistyped path is not a silent 0.
        for (p, why) in listed.brokenPaths { printError("bulkbuild simulate: broken: \(p): \(why)") }
        if listed.counts.total == 0 && !listingFailures.isEmpty {
            printError("bulkbuild simulate: \(config.portsdir) listed no port")
            return 1
        }
        let known = stats.entries.count
        var sim = Simulator(hosts: hosts)
        // Parallel ports by the model, fed from the phase times of build.log
        // (the -b log, else the log directory's), with the run's cores rule.
        let phases = PhaseHistory.read(config.primeLog ?? config.logdir + "/build.log")
        let sfs = Dictionary(hosts.map { ($0.name, $0.speedFactor) }, uniquingKeysWith: { a, _ in a })
        sim.timings = phases.timings { sfs[$0] ?? 1 }
        var rules: [Int: ParallelSetting] = [:]
        for (hc, h) in zip(configs, hosts) where rules[h.slots] == nil { rules[h.slots] = config.parallel ?? hc.properties.parallel }
        sim.cores = { [rules] record, slots in
            guard slots > 1, record.has(property: "parallel") else { return Simulator.defaultCores(record, slots: slots) }
            return (rules[slots] ?? .fraction(2)).cores(forJobs: slots)
        }
        let chain = engine.criticalChain()
        let r = sim.run(engine)
        if json {
            let fields: [(String, String)] = [
                ("makespan_s", fmt(r.makespan)), ("lower_bound_s", fmt(r.lowerBound)),
                ("tight_lower_bound_s", fmt(r.tightLowerBound)),
                ("critical_path_s", fmt(r.criticalPath)), ("work_s", fmt(r.work)),
                ("slots", "\(r.slots)"), ("utilisation", String(format: "%.4f", r.utilisation)),
                ("built", "\(r.built)"), ("paths_with_history", "\(known)"),
                ("busiest_path", "[" + chain.map { "\"\($0.canonical)\"" }.joined(separator: ",") + "]"),
            ]
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            print("simulated \(r.built) builds on \(hosts.count) host(s), \(r.slots) slot(s); \(known) path(s) with history")
            print("makespan      \(duration(r.makespan))")
            print("lower bound   \(duration(r.lowerBound))  (max of critical path \(duration(r.criticalPath)) and work \(duration(r.work)) / capacity)")
            print("tight bound   \(duration(r.tightLowerBound))  (each port leaves time for the chain after it)")
            print(String(format: "makespan / bound %.3f, / tight bound %.3f", r.makespan / max(r.lowerBound, 1e-9),
                         r.makespan / max(r.tightLowerBound, 1e-9)))
            print(String(format: "utilisation   %.1f%%", r.utilisation * 100))
            print("busiest path  " + (chain.isEmpty ? "-" : chain.map { $0.canonical }.joined(separator: " -> ")))
        }
        return 0
    } catch let e as UsageError {
        printError("bulkbuild simulate: \(e.description)")
        return 2
    } catch {
        printError("bulkbuild simulate: \(error)")
        return 2
    }
}

func fmt(_ x: Double) -> String { String(format: "%.2f", x) }

func duration(_ s: Double) -> String {
    let t = Int(s.rounded())
    return String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) + String(format: " (%.1fs)", s)
}

/// Lists everything the engine wants, in rounds, before the simulation;
/// returns a line for each dump-vars call that failed.
func listSynchronously(_ engine: BuildEngine, config: RunConfig) -> [String] {
    var failures: [String] = []
    func list(_ paths: [FullPkgPath]) {
        let env = ["SUBDIR": paths.map { $0.canonical }.joined(separator: " "), "PHASE": ""]
        let (status, output) = runMakeOnce(make: config.make, portsdir: config.portsdir, target: "dump-vars",
                                           environment: env, scratch: NSTemporaryDirectory())
        if status != 0 {
            failures.append("make dump-vars for \(paths.isEmpty ? "the whole tree" : "\(paths.count) path(s)") failed (exit \(status))")
        }
        var result = ListingResult.interpret(DumpVarsOutput.parse(Substring(output)), requested: paths)
        failures += result.unusablePaths
        for k in result.records.indices { result.records[k].packageExists = false }
        engine.listed(result, requested: paths)
    }
    if config.wholeTree { list([]) } else { engine.request(config.request.paths) }
    while true {
        let batch = engine.takePathsToList(limit: 256)
        if batch.isEmpty { break }
        list(batch)
    }
    _ = engine.takeChanges()
    return failures
}
