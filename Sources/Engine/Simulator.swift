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

    struct Running: Comparable {
        var end: Double
        var path: FullPkgPath
        var host: Int
        var seq: Int
        static func < (a: Running, b: Running) -> Bool { (a.end, a.seq) < (b.end, b.seq) }
        static func == (a: Running, b: Running) -> Bool { a.seq == b.seq }
    }

    public let hosts: [SimHost]
    /// False: every squiggle takes from the light end, as before the
    /// squiggle rule (for the benchmark's before and after).
    public var squiggleRule = true
    public init(hosts: [SimHost]) { self.hosts = hosts }

    /// Builds everything buildable in `engine` (already listed), which is
    /// left finished. Paths that can never start are simply not built.
    public func run(_ engine: BuildEngine) -> Result {
        let capacity = hosts.reduce(0.0) { $0 + Double($1.slots) * $1.speedFactor }
        let maxSf = hosts.map { $0.speedFactor }.max() ?? 1
        let bounds = engine.makespanBounds(capacity: capacity, fastestSpeed: maxSf)
        var clock = 0.0
        var running = Heap<Running>()
        var used = [Int](repeating: 0, count: hosts.count)
        var runningOn: [[PortRecord]] = Array(repeating: [], count: hosts.count)
        // The path each host's squiggle slot is building, if any.
        var squiggles: [FullPkgPath?] = Array(repeating: nil, count: hosts.count)
        var seq = 0
        var busyTime = 0.0
        var built = 0
        var placements: [(String, String, Double)] = []
        let names = Set(hosts.map { $0.name })

        func fill() {
            var chainLeft = running.unordered.reduce(0.0) { max($0, $1.end - clock + engine.chainAfter($1.path) / maxSf) }
            for (h, host) in hosts.enumerated() {
                while used[h] < host.slots {
                    var fastSlots: [Double] = []
                    if host.speedFactor < maxSf {
                        for f in hosts.indices where hosts[f].speedFactor == maxSf {
                            fastSlots += HostView.slotsFreeIn(
                                remaining: running.unordered.filter { $0.host == f }.map { $0.end - clock },
                                freeSlots: hosts[f].slots - used[f], slots: hosts[f].slots,
                                lonesome: runningOn[f].contains { $0.has(property: "lonesome") })
                        }
                    }
                    let view = HostView(name: host.name, speedFactor: host.speedFactor, maxSpeedFactor: maxSf,
                                        running: runningOn[h],
                                        squiggle: host.slots > 3 && used[h] == host.slots - 1 && squiggles[h] == nil,
                                        fastSlotsFreeIn: fastSlots, hostsUp: names,
                                        capacity: squiggleRule ? capacity : 0, runningChainLeft: chainLeft)
                    guard let choice = engine.nextJob(for: view) else { break }
                    let path = choice.record.path
                    if choice.squiggle { squiggles[h] = path }
                    engine.started(path, host: host.name)
                    let duration = engine.weight(of: path) / host.speedFactor
                    chainLeft = max(chainLeft, duration + engine.chainAfter(path) / maxSf)
                    seq += 1
                    running.insert(Running(end: clock + duration, path: path, host: h, seq: seq))
                    used[h] += 1
                    runningOn[h].append(choice.record)
                    busyTime += duration * host.speedFactor
                    placements.append((path.canonical, host.name, clock))
                }
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
            end(next)
            // Finish everything that ends at the same moment before refilling.
            while let peek = running.min, peek.end == clock { end(running.removeMin()) }
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
