// bulkbuild-bench: the engine at the scale of a full ports tree.
//
// Generates a large random graph in memory (a toolchain chain, a few heavy
// libraries with thousands of dependents, a middle layer and many leaves;
// log-normal build times), lists it into the engine and measures:
//   (a) makespan over lower bound for the critical-path, dpb and random
//       orders in virtual time (Simulator) on a set of hosts;
//   (b) time per scheduling decision (nextJob(for:) + started + finished),
//       of one priority pass, and of what a report asks (counts, ETA), on a
//       monotonic clock;
//   (c) peak RSS (getrusage);
//   (d) makespan over both lower bounds on sets of hosts (Bounds.swift);
//   (e) parallel ports: their cores in the build only (ParallelPorts.swift).
// With --graph FILE, only (d) and (e) on the graph of FILE (GraphFile's
// format, e.g. from Tests/bench/debian-graph.py; GraphInput.swift).
//
// usage: bulkbuild-bench [--ports N] [--seed S] [--hosts H] [--slots J] [--sf F] [--graph FILE]
import Engine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct Config {
    var ports = 30_000
    var seed: UInt64 = 1
    var hosts = 2
    var slots = 8
    /// Speed factor of the first host (the others have 1).
    var firstSf = 1.0
    /// A graph file to measure instead of the generated graph.
    var graphFile: String?
}

func parseArguments() -> Config {
    var c = Config()
    var args = Array(CommandLine.arguments.dropFirst())
    func fail(_ text: String) -> Never {
        FileHandle.standardError.write(Data("bulkbuild-bench: \(text)\nusage: bulkbuild-bench [--ports N] [--seed S] [--hosts H] [--slots J] [--sf F] [--graph FILE]\n".utf8))
        exit(2)
    }
    while !args.isEmpty {
        let flag = args.removeFirst()
        if flag == "-h" || flag == "--help" {
            print("usage: bulkbuild-bench [--ports N] [--seed S] [--hosts H] [--slots J] [--sf F] [--graph FILE]")
            exit(0)
        }
        guard let value = args.first else { fail("\(flag) needs a value") }
        args.removeFirst()
        switch flag {
        case "--ports": guard let n = Int(value), n >= 100 else { fail("--ports: at least 100") }; c.ports = n
        case "--seed": guard let s = UInt64(value) else { fail("--seed: an unsigned integer") }; c.seed = s
        case "--hosts": guard let h = Int(value), h >= 1 else { fail("--hosts: at least 1") }; c.hosts = h
        case "--slots": guard let j = Int(value), j >= 1 else { fail("--slots: at least 1") }; c.slots = j
        case "--sf": guard let f = Double(value), f > 0 else { fail("--sf: a positive number") }; c.firstSf = f
        case "--graph": c.graphFile = value
        default: fail("unknown option \(flag)")
        }
    }
    return c
}

// MARK: - Clock and memory

func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Peak resident set size in MiB (ru_maxrss is in KiB on Linux).
func peakRSS() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func timed<T>(_ body: () -> T) -> (T, Double) {
    let start = monotonic()
    let value = body()
    return (value, monotonic() - start)
}

// MARK: - The graph

struct Rng {
    var g: SplitMix
    mutating func unit() -> Double { Double(g.next() >> 11) / Double(UInt64(1) << 53) }
    mutating func below(_ n: Int) -> Int { Int(g.next() % UInt64(n)) }
    mutating func logNormal(median: Double, sigma: Double) -> Double {
        let u1 = max(unit(), 1e-12), u2 = unit()
        return median * exp(sigma * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
    /// An index in 0..<n, small ones much more likely (Zipf-like).
    mutating func skewed(_ n: Int, power: Double = 2.5) -> Int { min(n - 1, Int(Double(n) * pow(unit(), power))) }
}

struct Graph {
    var records: [PortRecord] = []
    var weights: [String: Double] = [:]
    var edges = 0
    var dependents: [String: Int] = [:]
}

func dependency(_ path: String) -> Dependency {
    switch Dependency.parse(path) {
    case .success(let d): return d
    case .failure(let e): fatalError("\(e)")
    }
}

/// A toolchain chain of 8, 40 heavy core libraries, a middle layer of
/// 10% of the ports and leaves for the rest. Each dependency goes to a
/// core library with a Zipf-like skew (so a few have thousands of
/// dependents), to the middle layer, or to the toolchain; one in four is a
/// run dependency.
func generate(ports: Int, seed: UInt64) -> Graph {
    var rng = Rng(g: SplitMix(seed: seed))
    var g = Graph()
    let categories = ["devel", "lang", "www", "x11", "textproc", "net", "graphics", "multimedia",
                      "databases", "security", "sysutils", "math", "audio", "games", "editors", "misc"]
    let toolchain = (0..<8).map { "lang/toolchain\($0)" }
    let core = (0..<40).map { "devel/core\($0)" }
    let midCount = max(10, ports / 10)
    var mid: [String] = []

    func add(_ path: String, _ weight: Double, _ deps: Set<String>) {
        var build: [Dependency] = [], run: [Dependency] = []
        for d in deps.sorted() {
            if rng.below(4) == 0 { run.append(dependency(d)) } else { build.append(dependency(d)) }
            g.dependents[d, default: 0] += 1
        }
        g.edges += deps.count
        let name = String(path.split(separator: "/").last!) + "-1.0"
        let fp = try! FullPkgPath(path)
        g.records.append(PortRecord(path: fp, pkgname: name, buildDepends: build, runDepends: run))
        g.weights[path] = weight
    }

    for (k, p) in toolchain.enumerated() {
        add(p, rng.logNormal(median: 1800, sigma: 0.4), k == 0 ? [] : [toolchain[k - 1]])
    }
    for (k, p) in core.enumerated() {
        var deps: Set<String> = [toolchain[rng.below(3)]]
        for _ in 0..<rng.below(4) where k > 0 { deps.insert(core[rng.below(k)]) }
        add(p, rng.logNormal(median: 600, sigma: 0.8), deps)
    }
    let rest = ports - toolchain.count - core.count
    for k in 0..<rest {
        let isMid = k < midCount
        let path = "\(categories[k % categories.count])/\(isMid ? "lib" : "p")\(k)"
        var deps = Set<String>()
        let wanted = isMid ? 1 + rng.below(4) : 1 + rng.below(6)
        for _ in 0..<wanted {
            let r = rng.unit()
            if r < 0.4 { deps.insert(core[rng.skewed(core.count)]) }
            else if r < 0.85, !mid.isEmpty { deps.insert(mid[rng.skewed(mid.count, power: 1.7)]) }
            else { deps.insert(toolchain[rng.skewed(toolchain.count, power: 1)]) }
        }
        add(path, isMid ? rng.logNormal(median: 90, sigma: 1.2) : rng.logNormal(median: 45, sigma: 1.3), deps)
        if isMid { mid.append(path) }
    }
    return g
}

/// A fresh engine with the whole graph listed.
func listedEngine(_ g: Graph, _ ordering: QueueOrdering) -> BuildEngine {
    let e = BuildEngine(ordering: ordering)
    e.weights = g.weights
    e.listAll(g.records)
    return e
}

// MARK: - Measurements

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

let config = parseArguments()
let rssAtStart = peakRSS()
if let file = config.graphFile {
    measureGraphFile(file, seed: config.seed)
    print("\npeak RSS: \(f(peakRSS(), 1)) MiB (at start \(f(rssAtStart, 1)) MiB)")
    exit(0)
}
let (graph, generateTime) = timed { generate(ports: config.ports, seed: config.seed) }
let top = graph.dependents.sorted { $0.value > $1.value }.prefix(3)
print("bulkbuild-bench: \(graph.records.count) ports, \(graph.edges) dependencies, seed \(config.seed)")
print("  most depended upon: " + top.map { "\($0.key) (\($0.value))" }.joined(separator: ", "))
print("  total weight \(f(graph.weights.values.reduce(0, +) / 3600)) h at sf 1; generated in \(f(generateTime * 1000, 0)) ms")

let (probe, listTime) = timed { listedEngine(graph, .criticalPath) }
print("  listing into the engine: \(f(listTime * 1000, 0)) ms")

// (b) priority passes.
print("\npriority pass (recomputePriorities), best of 5:")
print("  " + pad("order", 16) + lpad("ms", 10))
var passTimes: [String: Double] = [:]
for (name, ordering) in [("critical path", QueueOrdering.criticalPath), ("dpb", .dpb),
                         ("random", .random(SplitMix(seed: 1)))] {
    let e = listedEngine(graph, ordering)
    var best = Double.infinity
    for _ in 0..<5 { best = min(best, timed { e.recomputePriorities() }.1) }
    passTimes[name] = best
    print("  " + pad(name, 16) + lpad(f(best * 1000, 2), 10))
}
var remainingTime = Double.infinity
for _ in 0..<5 { remainingTime = min(remainingTime, timed { _ = probe.remaining(elapsed: [:]) }.1) }
print("  " + pad("remaining() (ETA)", 16) + lpad(f(remainingTime * 1000, 2), 10))

// (b) what a report costs: the kept counts and ETA against the walks.
print("\nper report at \(graph.records.count) ports, best of 5:")
print("  " + pad("", 34) + lpad("us", 10))
func best(_ body: () -> Void) -> Double {
    var b = Double.infinity
    for _ in 0..<5 { b = min(b, timed(body).1) }
    return b
}
let reportRows: [(String, Double)] = [
    ("summary() (a walk, end of run)", best { _ = probe.summary() }),
    ("counts + failed + locked (kept)", best { _ = (probe.counts, probe.failedPaths, probe.lockedPaths) }),
    ("refreshRemaining() (full pass)", best { probe.refreshRemaining(elapsed: [:]) }),
    ("trackedRemaining() (kept)", best { _ = probe.trackedRemaining(elapsed: [:]) }),
]
for (name, t) in reportRows { print("  " + pad(name, 34) + lpad(f(t * 1e6, 1), 10)) }

// (b) decisions: a window of running jobs as wide as the hosts' slots;
// each decision is nextJob(for:) + started, each end is finished. Every
// 100th decision a slower host (sf 1 against 2, the fast one free now) is
// also offered a slot: it turns the whole queue down, the worst case.
print("\nscheduling decisions at \(graph.records.count) ports (critical path, \(config.hosts * config.slots) running):")
do {
    let e = listedEngine(graph, .criticalPath)
    e.recomputePriorities()
    let window = config.hosts * config.slots
    var running: [FullPkgPath] = []
    var pickTimes: [Double] = [], endTimes: [Double] = [], slowTimes: [Double] = []
    var slowQueue = 0
    let names = Set((0..<config.hosts).map { "h\($0)" })
    let slow = HostView(name: "slow", speedFactor: 1, maxSpeedFactor: 2, fastestFreeIn: 0, hostsUp: names)
    var turn = 0
    while true {
        if running.count < window {
            let host = "h\(turn % config.hosts)"
            turn += 1
            if turn % 100 == 0 {
                slowQueue = max(slowQueue, e.queuedCount)
                let t0 = monotonic()
                let refused = e.nextJob(for: slow)
                slowTimes.append(monotonic() - t0)
                if let r = refused { e.started(r.record.path, host: "slow"); running.append(r.record.path) }
            }
            let view = HostView(name: host, runningCount: running.count / config.hosts, hostsUp: names)
            let t0 = monotonic()
            let choice = e.nextJob(for: view)
            if let c = choice { e.started(c.record.path, host: host) }
            let t1 = monotonic()
            if let c = choice {
                pickTimes.append(t1 - t0)
                running.append(c.record.path)
                continue
            }
        }
        guard !running.isEmpty else { break }
        let path = running.removeFirst()
        let t0 = monotonic()
        e.finished(path, .built(alsoBuilt: []))
        endTimes.append(monotonic() - t0)
        _ = e.takeChanges()
    }
    func stats(_ xs: [Double]) -> (mean: Double, p50: Double, p99: Double, max: Double) {
        let s = xs.sorted()
        return (s.reduce(0, +) / Double(max(1, s.count)), s[s.count / 2], s[min(s.count - 1, s.count * 99 / 100)], s.last!)
    }
    let both = zip(pickTimes, endTimes).map { $0 + $1 }
    print("  " + pad("", 30) + lpad("mean us", 10) + lpad("p50 us", 10) + lpad("p99 us", 10) + lpad("max us", 10))
    for (name, xs) in [("nextJob(for:) + started", pickTimes), ("finished", endTimes),
                       ("one decision (all three)", both), ("slow host turning all down", slowTimes)] {
        let s = stats(xs)
        print("  " + pad(name, 30) + lpad(f(s.mean * 1e6, 2), 10) + lpad(f(s.p50 * 1e6, 2), 10)
              + lpad(f(s.p99 * 1e6, 2), 10) + lpad(f(s.max * 1e6, 2), 10))
    }
    print("  jobs run: \(pickTimes.count) of \(graph.records.count); slow-host offers: \(slowTimes.count), "
          + "queue up to \(slowQueue) paths")
}

// (a) orders in virtual time: the configured hosts, the same with the
// first host twice as fast, and a wide set where the critical path, not
// the work, bounds the build.
let configured = (0..<config.hosts).map { i in
    Simulator.SimHost(name: "h\(i)", speedFactor: i == 0 ? config.firstSf : 1, slots: config.slots)
}
var hostSets = [configured]
if config.firstSf == 1 {
    hostSets.append((0..<config.hosts).map { i in
        Simulator.SimHost(name: "h\(i)", speedFactor: i == 0 ? 2 : 1, slots: config.slots)
    })
}
hostSets.append((0..<8).map { Simulator.SimHost(name: "w\($0)", slots: 16) })
for hosts in hostSets {
    let title = hosts.count > 2
        ? "\(hosts.count) hosts x \(hosts[0].slots) slots" + (hosts[0].speedFactor == 1 ? " sf 1"
            : ", \(hosts[0].name) sf \(f(hosts[0].speedFactor, 0)), the others sf 1")
        : hosts.map { "\($0.name) \($0.slots) slots sf \(f($0.speedFactor, 0))" }.joined(separator: ", ")
    print("\nmakespan in virtual time on \(title):")
    print("  " + pad("order", 16) + lpad("makespan h", 12) + lpad("bound h", 10) + lpad("tight h", 9) + lpad("cp h", 8)
          + lpad("ratio", 8) + lpad("/tight", 8) + lpad("util %", 8) + lpad("sim s", 8))
    for (name, ordering) in [("critical path", QueueOrdering.criticalPath), ("dpb", .dpb),
                             ("random", .random(SplitMix(seed: config.seed)))] {
        let e = listedEngine(graph, ordering)
        let (r, t) = timed { Simulator(hosts: hosts).run(e) }
        print("  " + pad(name, 16) + lpad(f(r.makespan / 3600, 2), 12) + lpad(f(r.lowerBound / 3600, 2), 10)
              + lpad(f(r.tightLowerBound / 3600, 2), 9) + lpad(f(r.criticalPath / 3600, 2), 8)
              + lpad(f(r.makespan / r.lowerBound, 3), 8) + lpad(f(r.makespan / r.tightLowerBound, 3), 8)
              + lpad(f(r.utilisation * 100, 1), 8) + lpad(f(t, 1), 8))
        if r.built != graph.records.count { print("  (built \(r.built) of \(graph.records.count))") }
    }
}

printBounds(graph, ports: config.ports, seed: config.seed)
printParallelPorts(graph, ports: config.ports, seed: config.seed)

// (c) memory.
print("\npeak RSS: \(f(peakRSS(), 1)) MiB (at start \(f(rssAtStart, 1)) MiB)")
