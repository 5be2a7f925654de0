import HeapModule

/// Runs a listed engine to the end in virtual time: every slot asks the
/// engine for work exactly as the coordinator does, and each job takes
/// its weight divided by its host's speed factor. `bulkbuild simulate`,
/// the tests and the benchmarks use it to compare orders and host sets.
public struct Simulator {
    public struct SimHost: Sendable {
        public var name: String
        public var speedFactor: Double
        public var slots: Int
        public init(name: String, speedFactor: Double = 1, slots: Int) {
            self.name = name; self.speedFactor = speedFactor; self.slots = slots
        }
    }

    public struct Result: Sendable, Equatable {
        public var makespan: Double
        /// max(critical path on the fastest host, work / capacity).
        public var lowerBound: Double
        /// The tight bound of `MakespanBounds`: no port ends later than the
        /// makespan minus the chain that follows it.
        public var tightLowerBound: Double
        public var criticalPath: Double
        public var work: Double
        public var slots: Int
        /// Busy slot-time over available slot-time.
        public var utilisation: Double
        public var built: Int
        /// Which host built each path, in start order.
        public var placements: [(path: String, host: String, start: Double)]
        public static func == (a: Result, b: Result) -> Bool {
            a.makespan == b.makespan && a.lowerBound == b.lowerBound && a.tightLowerBound == b.tightLowerBound
                && a.built == b.built
        }
    }

    /// The parallel-port model of a path, in seconds at speed factor 1:
    /// `before` (depends to configure) and `after` (fake to clean) on one
    /// core, and a build of `serial + scalable / cores`.
    public struct PortTiming: Sendable, Equatable {
        public var before: Double
        public var serial: Double
        public var scalable: Double
        public var after: Double
        public init(before: Double = 0, serial: Double, scalable: Double = 0, after: Double = 0) {
            self.before = before; self.serial = serial; self.scalable = scalable; self.after = after
        }
        /// All of it on one core: the work the path costs at least.
        public var work: Double { before + serial + scalable + after }
        public func time(cores: Int) -> Double { before + serial + scalable / Double(max(1, cores)) + after }
    }

    struct Running: Comparable {
        var end: Double
        var path: FullPkgPath
        var host: Int
        var seq: Int
        /// 0: before the build, 1: the build, 2: after it (a timed path);
        /// 2 for a path without timing (one stage, its weight).
        var stage = 2
        /// A parallel build is timed again when its cores change: only the
        /// entry of its latest version counts.
        var version = 0
        static func < (a: Running, b: Running) -> Bool { (a.end, a.seq) < (b.end, b.seq) }
        static func == (a: Running, b: Running) -> Bool { a.seq == b.seq }
    }

    /// The extra slots of a job in its build, as the coordinator keeps
    /// them. Its MAKE_JOBS is k + lent, but it goes only as fast as the
    /// slots it holds: the share of the build done is kept as they change.
    struct Cores {
        var host: Int
        var extra = 0
        var wants = 0
        var lent = 0
        var makeJobs = 1
        var done = 0.0
        var since = 0.0
        var version = 0
        var entry: Running
        /// The cores it builds on now.
        var held: Int { min(makeJobs, 1 + extra) }
    }

    public let hosts: [SimHost]
    /// False: every squiggle takes from the light end, as before the
    /// squiggle rule (for the benchmark's before and after).
    public var squiggleRule = true
    /// By canonical path; a path with a timing runs its three stages and,
    /// if `cores` gives it more than one, holds extra slots in its build
    /// only, by the rule of the coordinator (Build/ParallelPhases.swift);
    /// the bounds then follow the same model.
    public var timings: [String: PortTiming] = [:]
    /// False: no idle slot is lent in the tail (dpb's way, for the benchmark).
    public var lendsIdleSlots = true
    /// The k of a parallel port on a host of `slots` (1: not parallel).
    public var cores: @Sendable (PortRecord, Int) -> Int = Simulator.defaultCores
    public init(hosts: [SimHost]) { self.hosts = hosts }

    /// parallel: max(2, slots / 2) (the hosts file's default `/2`),
    /// parallel2: 2; never more than the slots.
    public static func defaultCores(_ record: PortRecord, slots: Int) -> Int {
        guard slots > 1 else { return 1 }
        if record.has(property: "parallel2") { return 2 }
        if record.has(property: "parallel") { return min(slots, max(2, slots / 2)) }
        return 1
    }

    /// The model's bounds: each timed path's work on one core, and its
    /// chains at its quickest (its build on a whole host).
    func modelBounds(_ engine: BuildEngine, capacity: Double, maxSf: Double) -> MakespanBounds {
        let most = hosts.map { $0.slots }.max() ?? 1
        return engine.makespanBounds(
            capacity: capacity, fastestSpeed: maxSf,
            work: { p in timings[p.canonical]?.work ?? engine.weight(of: p) },
            shortest: { p in
                guard let t = timings[p.canonical] else { return engine.weight(of: p) }
                let parallel = engine.record(for: p).map { cores($0, most) > 1 } ?? false
                return t.time(cores: parallel ? most : 1)
            })
    }

    /// Builds everything buildable in `engine` (already listed), which is
    /// left finished. Paths that can never start are simply not built.
    public func run(_ engine: BuildEngine) -> Result {
        let capacity = hosts.reduce(0.0) { $0 + Double($1.slots) * $1.speedFactor }
        let maxSf = hosts.map { $0.speedFactor }.max() ?? 1
        let bounds = timings.isEmpty ? engine.makespanBounds(capacity: capacity, fastestSpeed: maxSf)
            : modelBounds(engine, capacity: capacity, maxSf: maxSf)
        var clock = 0.0
        var running = Heap<Running>()
        var used = [Int](repeating: 0, count: hosts.count)
        var runningOn: [[PortRecord]] = Array(repeating: [], count: hosts.count)
        // The path each host's squiggle slot is building, if any.
        var squiggles: [FullPkgPath?] = Array(repeating: nil, count: hosts.count)
        // Parallel builds by seq, and hosts whose last fill found nothing to start.
        var held: [Int: Cores] = [:]
        var dry = [Bool](repeating: false, count: hosts.count)
        var seq = 0
        var busyTime = 0.0
        var built = 0
        var placements: [(String, String, Double)] = []
        let names = Set(hosts.map { $0.name })

        func remaining(_ r: Running) -> Double {
            if r.stage == 1 && r.version > 0 && held[r.seq]?.version != r.version { return 0 }
            guard let t = timings[r.path.canonical], r.stage < 2 else { return r.end - clock }
            return r.end - clock + (r.stage == 0 ? t.serial + t.scalable : 0) / hosts[r.host].speedFactor
                + t.after / hosts[r.host].speedFactor
        }

        /// Queues the next stage of `r` lasting `seconds` on `slots` slots.
        func schedule(_ r: Running, stage: Int, seconds: Double, slots: Int) {
            var next = r
            next.stage = stage
            next.end = clock + seconds
            running.insert(next)
            busyTime += seconds * Double(slots) * hosts[r.host].speedFactor
        }

        func fill() {
            var chainLeft = running.unordered.reduce(0.0) { max($0, remaining($1) + engine.chainAfter($1.path) / maxSf) }
            for (h, host) in hosts.enumerated() {
                dry[h] = false
                while true {
                    let full = used[h] >= host.slots
                    if !full, let k = held.first(where: { $0.value.host == h && $0.value.wants > 0 })?.key {
                        retime(k) { $0.wants -= 1; $0.extra += 1 }
                        used[h] += 1
                        continue
                    }
                    let lender = held.first { $0.value.host == h && $0.value.lent > 0 }?.key
                    if full && lender == nil { break }
                    var fastSlots: [Double] = []
                    if host.speedFactor < maxSf {
                        for f in hosts.indices where hosts[f].speedFactor == maxSf {
                            fastSlots += HostView.slotsFreeIn(
                                remaining: running.unordered.filter { $0.host == f }.map { remaining($0) },
                                freeSlots: max(0, hosts[f].slots - used[f]), slots: hosts[f].slots,
                                lonesome: runningOn[f].contains { $0.has(property: "lonesome") })
                        }
                    }
                    let view = HostView(name: host.name, speedFactor: host.speedFactor, maxSpeedFactor: maxSf,
                                        running: runningOn[h],
                                        squiggle: HostView.isSquiggleSlot(slots: host.slots, freeSlots: host.slots - used[h],
                                                                          squiggleRunning: squiggles[h] != nil),
                                        fastSlotsFreeIn: fastSlots, hostsUp: names,
                                        capacity: squiggleRule ? capacity : 0, runningChainLeft: chainLeft)
                    guard let choice = engine.nextJob(for: view) else {
                        dry[h] = !full
                        break
                    }
                    if full, let k = lender {
                        retime(k) { $0.lent -= 1; $0.extra -= 1 }
                        used[h] -= 1
                    }
                    let path = choice.record.path
                    if choice.squiggle { squiggles[h] = path }
                    engine.started(path, host: host.name)
                    seq += 1
                    let r = Running(end: clock, path: path, host: h, seq: seq, stage: 0)
                    if let t = timings[path.canonical] {
                        schedule(r, stage: 0, seconds: t.before / host.speedFactor, slots: 1)
                        chainLeft = max(chainLeft, t.work / host.speedFactor + engine.chainAfter(path) / maxSf)
                    } else {
                        let duration = engine.weight(of: path) / host.speedFactor
                        schedule(r, stage: 2, seconds: duration, slots: 1)
                        chainLeft = max(chainLeft, duration + engine.chainAfter(path) / maxSf)
                    }
                    used[h] += 1
                    runningOn[h].append(choice.record)
                    placements.append((path.canonical, host.name, clock))
                }
            }
        }

        /// Seconds of the whole build of `t` on `cores` at host `h`.
        func buildTime(_ t: PortTiming, _ cores: Int, _ h: Int) -> Double {
            (t.serial + t.scalable / Double(max(1, cores))) / hosts[h].speedFactor
        }

        /// The cores of build `k` change by `change`: the share done so far
        /// is kept and its end moves.
        func retime(_ k: Int, _ change: (inout Cores) -> Void) {
            guard var c = held[k], let t = timings[c.entry.path.canonical] else { return }
            c.done += (clock - c.since) / buildTime(t, c.held, c.host)
            busyTime += (clock - c.since) * Double(c.held) * hosts[c.host].speedFactor
            c.since = clock
            change(&c)
            c.version += 1
            var next = c.entry
            next.version = c.version
            next.end = clock + max(0, 1 - c.done) * buildTime(t, c.held, c.host)
            running.insert(next)
            held[k] = c
        }

        /// The build of `r` starts: its cores by the coordinator's rule.
        func startBuild(_ r: Running, _ t: PortTiming) {
            let h = r.host
            let record = runningOn[h].first { $0.path == r.path }
            let k = record.map { cores($0, hosts[h].slots) } ?? 1
            guard k > 1 else {
                schedule(r, stage: 1, seconds: buildTime(t, 1, h), slots: 1)
                return
            }
            var entry = r
            entry.stage = 1
            var c = Cores(host: h, entry: entry)
            c.wants = k - 1
            let take = min(c.wants, max(0, hosts[h].slots - used[h]))
            c.wants -= take
            c.extra += take
            if lendsIdleSlots && dry[h] && c.wants == 0 {
                c.lent = max(0, hosts[h].slots - used[h] - take)
                c.extra += c.lent
            }
            c.makeJobs = k + c.lent
            c.since = clock
            used[h] += c.extra
            held[r.seq] = c
            retime(r.seq) { _ in }
        }

        func endStage(_ r: Running) {
            guard let t = timings[r.path.canonical], r.stage < 2 else { end(r); return }
            if r.stage == 0 {
                startBuild(r, t)
            } else {
                // An entry from before its cores last changed (parallel
                // builds' entries count their versions from 1).
                if r.version > 0 && held[r.seq]?.version != r.version { return }
                if let c = held[r.seq] {
                    busyTime += (clock - c.since) * Double(c.held) * hosts[r.host].speedFactor
                    used[r.host] -= c.extra
                    held[r.seq] = nil
                }
                schedule(r, stage: 2, seconds: t.after / hosts[r.host].speedFactor, slots: 1)
            }
        }

        func end(_ r: Running) {
            used[r.host] -= 1
            if squiggles[r.host] == r.path { squiggles[r.host] = nil }
            if let k = runningOn[r.host].firstIndex(where: { $0.path == r.path }) { runningOn[r.host].remove(at: k) }
            let also = engine.unitMembers(of: r.path).map { $0.path }.filter { $0 != r.path }
            engine.finished(r.path, .built(alsoBuilt: also))
            built += 1
        }

        fill()
        while let next = running.popMin() {
            clock = next.end
            endStage(next)
            // Finish everything that ends at the same moment before refilling.
            while let peek = running.min, peek.end == clock { endStage(running.removeMin()) }
            fill()
        }
        _ = engine.takeChanges()
        let slots = hosts.reduce(0) { $0 + $1.slots }
        let util = clock > 0 ? busyTime / (clock * max(capacity, 1e-9)) : 1
        return Result(makespan: clock, lowerBound: bounds.simple, tightLowerBound: bounds.tight,
                      criticalPath: bounds.criticalPath, work: bounds.work, slots: slots, utilisation: util, built: built,
                      placements: placements.map { (path: $0.0, host: $0.1, start: $0.2) })
    }
}
