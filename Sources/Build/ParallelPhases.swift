import Engine

/// Parallel ports hold their extra cores only in the phases that use them.
///
/// A `parallel` (or `parallel2`) port gets k cores in `build` and in the
/// phases its DPB_PROPERTIES name with `parallel:PHASE` words; at the start
/// of such a phase it takes the host's free slots up to k-1 and the next
/// ones that free up, and runs with MAKE_JOBS=k. Every other phase runs on
/// its one slot without MAKE_JOBS: the extra slots go back when the
/// parallel phase ends, so single-threaded configure, fake and package
/// phases no longer keep ready ports waiting.
///
/// In the tail, when the last pass found nothing to start on the host, a
/// parallel phase that starts also borrows the idle slots (its MAKE_JOBS
/// grows by them): what still runs then is the critical path. A port that
/// becomes ready takes a borrowed slot back at once; the phase runs on with
/// its MAKE_JOBS, so the host is oversubscribed for the rest of it.
///
/// A `lonesome` port holds the whole host for its whole job, as before,
/// and gets MAKE_JOBS in its parallel phases only.
extension Coordinator {
    /// The property word that marks another phase as parallel.
    static let parallelPhasePrefix = "parallel:"

    func configureParallel(_ job: BuildJob) {
        let host = job.host
        guard host.slots > 1 else { return }
        let r = job.record
        var k = 0
        if r.has(property: "lonesome") { k = host.slots }
        else if r.has(property: "parallel2") { k = 2 }
        else if r.has(property: "parallel") { k = (config.parallel ?? host.parallel).cores(forJobs: host.slots) }
        k = min(k, host.slots)
        guard k > 1 else { return }
        job.cores = k
        job.parallelPhases = Set([.build] + r.properties.compactMap {
            $0.hasPrefix(Self.parallelPhasePrefix) ? Phase(rawValue: String($0.dropFirst(Self.parallelPhasePrefix.count))) : nil
        })
        if r.has(property: "lonesome") {
            job.holdsWholeJob = true
            job.wantsSlots = k - 1
        }
    }

    /// Takes or gives back the job's extra slots for the phase about to
    /// start; its MAKE_JOBS (nil: none). Called again for a phase that
    /// waited for the host lock, so it must not count twice.
    func coresForPhase(_ job: BuildJob) -> Int? {
        job.accountHeld(now())
        let parallelPhase = job.cores > 1 && job.current.map(job.parallelPhases.contains) == true
        if !job.holdsWholeJob {
            guard parallelPhase else {
                job.swallowed = 0
                job.wantsSlots = 0
                job.lent = 0
                return nil
            }
            job.wantsSlots = max(0, job.cores - 1 - (job.swallowed - job.lent))
        }
        guard parallelPhase else { return nil }
        let host = job.host
        let take = min(job.wantsSlots, max(0, slotsAvailable(host) - host.used))
        job.wantsSlots -= take
        job.swallowed += take
        if host.queueDry && !job.holdsWholeJob && job.wantsSlots == 0 {
            let idle = max(0, slotsAvailable(host) - host.used)
            job.swallowed += idle
            job.lent += idle
        }
        return job.cores + job.lent
    }

    /// A job that can start on a full host takes back a slot lent in the
    /// tail; false when none is lent there.
    func takeBackLentSlot(on host: BuildHost) -> Bool {
        guard let lender = host.running.first(where: { $0.lent > 0 }) else { return false }
        lender.accountHeld(now())
        lender.lent -= 1
        lender.swallowed -= 1
        return true
    }

    /// The running job that ends last with the chain after it, on the
    /// fastest host: the one the end of the run waits for.
    /// Each job's end is worked out once (every snapshot asks); the first
    /// of equal ones wins, as with `max(by:)`.
    func criticalJob(_ t: Double) -> BuildJob? {
        let maxSf = hosts.filter { $0.state == .up }.map { $0.speedFactor }.max() ?? 1
        var critical: BuildJob?
        var latest = 0.0
        for job in jobs {
            let end = max(0, job.expected - (t - job.started)) + engine.chainAfter(job.path) / maxSf
            if critical == nil || latest < end { critical = job; latest = end }
        }
        return critical
    }
}
