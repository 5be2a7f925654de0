import HeapModule

/// What the engine needs to know about a host to choose a job for one of
/// its free slots. The coordinator and `bulkbuild simulate` fill it the
/// same way, so both make the same choices.
public struct HostView: Sendable {
    public var name: String
    public var speedFactor: Double
    /// The largest speed factor among hosts that are up.
    public var maxSpeedFactor: Double
    /// Seconds until the fastest host frees a slot (0 when one is free now
    /// or this host is the fastest).
    public var fastestFreeIn: Double
    /// Seconds until each slot of the fastest hosts frees (0 for a free
    /// one); when empty, one slot at `fastestFreeIn` stands for them.
    public var fastSlotsFreeIn: [Double] = []
    /// This free slot is the host's squiggle: it takes small ports from the
    /// light end of the queue to fill the tail, unless the heavy end's port
    /// is on the critical path (SquiggleRule.swift).
    public var squiggle: Bool
    /// Slots times speed factor of the hosts that are up (0: unknown, and
    /// every squiggle takes from the light end).
    public var capacity: Double
    /// Seconds until the longest chain through a running job can end: what
    /// is left of the job plus `chainAfter` it at the fastest speed factor.
    public var runningChainLeft: Double
    public var runningCount: Int
    public var runningTags: Set<String>
    public var runningMemoryhogs: Int
    public var lonesomeRunning: Bool
    /// Hosts that are up, for affinity: a path is kept for its own host
    /// only while that host is up.
    public var hostsUp: Set<String>

    public init(name: String, speedFactor: Double = 1, maxSpeedFactor: Double = 1, fastestFreeIn: Double = 0,
                squiggle: Bool = false, runningCount: Int = 0, runningTags: Set<String> = [],
                runningMemoryhogs: Int = 0, lonesomeRunning: Bool = false, hostsUp: Set<String> = [],
                capacity: Double = 0, runningChainLeft: Double = 0) {
        self.name = name; self.speedFactor = speedFactor; self.maxSpeedFactor = maxSpeedFactor
        self.fastestFreeIn = fastestFreeIn; self.squiggle = squiggle; self.runningCount = runningCount
        self.runningTags = runningTags; self.runningMemoryhogs = runningMemoryhogs
        self.lonesomeRunning = lonesomeRunning; self.hostsUp = hostsUp
        self.capacity = capacity; self.runningChainLeft = runningChainLeft
    }
}

public struct JobChoice: Sendable {
    public var record: PortRecord
    public var squiggle: Bool
}

extension BuildEngine {
    /// A/K lines are written once per path and host, not at every look.
    func logOnce(_ path: FullPkgPath, _ state: PortState, _ extra: String) {
        let key = "\(state.letter) \(path.canonical) \(extra)"
        guard loggedOnce.insert(key).inserted else { return }
        log(id(for: path), state, extra)
    }

    /// Chooses the job for one free slot of `host`, following the rules
    /// documented in bulkbuild(1), SCHEDULING:
    /// - a `lonesome` job runs alone on its host;
    /// - at most one `memoryhog` per host; two ports sharing a `tag:` never
    ///   build together on one host (the clash is logged as K);
    /// - speed factors: a host slower than the fastest takes a job only if
    ///   it would finish it no later than the fastest hosts could: w/sf <=
    ///   start + w/maxSf, where start is when their earliest slot frees,
    ///   counting each job this host passed over as taking that slot first;
    /// - at most `maxLook` queued paths are looked at for one slot;
    /// - affinity: a path that last ran on another host that is up is left
    ///   for that host (A), unless nothing else can run here (Y).
    public func nextJob(for host: HostView) -> JobChoice? {
        if host.lonesomeRunning { return nil }
        var affinityRefused: PortRecord?
        var fastSlots = Heap(host.fastSlotsFreeIn.isEmpty ? [host.fastestFreeIn] : host.fastSlotsFreeIn)
        func fits(_ record: PortRecord) -> Bool {
            if record.has(property: "lonesome") && host.runningCount > 0 { return false }
            if record.has(property: "memoryhog") && host.runningMemoryhogs > 0 { return false }
            let tags = record.tags
            if !tags.isEmpty && !host.runningTags.isDisjoint(with: tags) {
                logOnce(record.path, .tagMismatch, host.name)
                return false
            }
            if host.speedFactor < host.maxSpeedFactor {
                // Would the fastest hosts finish it sooner? Jobs passed over
                // here go to them in queue order, each taking their
                // earliest free slot.
                let w = weight(of: record.path)
                let fastStart = fastSlots.min ?? 0
                if w / host.speedFactor > fastStart + w / host.maxSpeedFactor {
                    _ = fastSlots.popMin()
                    fastSlots.insert(fastStart + w / host.maxSpeedFactor)
                    return false
                }
            }
            if let home = affinity[record.path], home != host.name, host.hostsUp.contains(home) {
                logOnce(record.path, .affinityMismatch, "\(home) (considered for \(host.name))")
                if affinityRefused == nil { affinityRefused = record }
                return false
            }
            return true
        }
        let squiggle = squiggleTakesLightEnd(on: host)
        let choice = take(fromLightEnd: squiggle, maxLook: BuildEngine.maxLook, accepting: fits)
        if let choice { return JobChoice(record: choice, squiggle: squiggle) }
        if let fallback = affinityRefused {
            // Nothing else fits here: take it on the wrong host anyway.
            let i = id(for: fallback.path)
            if nodes[i].state == .queued {
                queue = Heap(queue.unordered.filter { $0.id != i })
                log(i, .affinityOverride, host.name)
                return JobChoice(record: fallback, squiggle: squiggle)
            }
        }
        return nil
    }
}

extension HostView {
    /// A host seen through the records of the jobs running on it; the
    /// coordinator and the simulator both build their views this way.
    public init(name: String, speedFactor: Double, maxSpeedFactor: Double, running: [PortRecord],
                squiggle: Bool, fastSlotsFreeIn: [Double], hostsUp: Set<String>,
                capacity: Double, runningChainLeft: Double) {
        var tags = Set<String>()
        for r in running { tags.formUnion(r.tags) }
        self.init(name: name, speedFactor: speedFactor, maxSpeedFactor: maxSpeedFactor,
                  fastestFreeIn: fastSlotsFreeIn.min() ?? 0, squiggle: squiggle,
                  runningCount: running.count, runningTags: tags,
                  runningMemoryhogs: running.filter { $0.has(property: "memoryhog") }.count,
                  lonesomeRunning: running.contains { $0.has(property: "lonesome") }, hostsUp: hostsUp,
                  capacity: capacity, runningChainLeft: runningChainLeft)
        self.fastSlotsFreeIn = fastSlotsFreeIn
    }

    /// Whether a host's free slot is its squiggle: the last free one of a
    /// host of more than three slots, when no squiggle runs there. The run
    /// and the simulator ask this one rule.
    public static func isSquiggleSlot(slots: Int, freeSlots: Int, squiggleRunning: Bool) -> Bool {
        slots > 3 && freeSlots == 1 && !squiggleRunning
    }

    /// When each slot of one of the fastest hosts frees: what remains of
    /// its running jobs, and 0 for each free slot; a lonesome job keeps
    /// every slot of its host until it ends.
    public static func slotsFreeIn(remaining: [Double], freeSlots: Int, slots: Int, lonesome: Bool) -> [Double] {
        if lonesome { return Array(repeating: remaining.max() ?? 0, count: slots) }
        return remaining + Array(repeating: 0, count: max(0, freeSlots))
    }
}
