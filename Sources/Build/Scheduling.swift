import CPosix
import Engine
import Foundation
import HostPool
import Logs

/// The scheduling side of the coordinator: which job goes to which slot,
/// parallel builds, stuck jobs, history, affinity and the estimate.
extension Coordinator {
    // MARK: - Choosing jobs

    func startJobs(_ t: Double) {
        let up = hosts.filter { $0.state == .up && !hostStopped($0) }
        guard !up.isEmpty else { return }
        // Most passes come with a phase that ended, when no slot is free:
        // what the loop below would do for a full host, without building
        // the views for it.
        guard up.contains(where: { $0.used < slotsAvailable($0) || $0.running.contains { $0.lent > 0 } }) else {
            for host in up { host.queueDry = false }
            return
        }
        runEnginePass(t)
        let maxSf = up.map { $0.speedFactor }.max() ?? 1
        let upNames = Set(up.map { $0.name })
        for host in up {
            host.queueDry = false
            while true {
                let full = host.used >= slotsAvailable(host)
                // A parallel job in a parallel phase takes the slots that free up on its host.
                if !full, let big = host.running.first(where: { $0.wantsSlots > 0 }) {
                    big.accountHeld(t)
                    big.wantsSlots -= 1
                    big.swallowed += 1
                    continue
                }
                // On a full host only a slot lent in the tail can be taken back.
                if full && !host.running.contains(where: { $0.lent > 0 }) { break }
                let view = hostView(host, maxSf: maxSf, up: up, names: upNames, t)
                guard let choice = engine.nextJob(for: view) else {
                    host.queueDry = !full
                    break
                }
                if full { _ = takeBackLentSlot(on: host) }
                startJob(choice, on: host, t)
            }
        }
    }

    /// Priority passes are rate limited as dpb does: after a pass that took
    /// `d`, the next may run no sooner than 50 d later.
    func runEnginePass(_ t: Double) {
        guard engine.needsPriorityPass else { return }
        if t < nextEngineRun {
            performanceLog.write(LogFormat.performance(pid: pid, time: t, what: "ENG", mark: "-"))
            return
        }
        let start = cp_monotonic()
        engine.recomputePriorities()
        let took = cp_monotonic() - start
        nextEngineRun = t + 50 * took
        performanceLog.write(LogFormat.performance(pid: pid, time: t, what: "ENG", mark: "+",
                                                   next: nextEngineRun, took: took))
    }

    func hostView(_ host: BuildHost, maxSf: Double, up: [BuildHost], names: Set<String>, _ t: Double) -> HostView {
        // When each slot of the fastest hosts frees, for the speed-factor rule.
        var fastSlots: [Double] = []
        if host.speedFactor < maxSf {
            for fast in up where fast.speedFactor == maxSf {
                fastSlots += HostView.slotsFreeIn(
                    remaining: fast.running.map { max(0, $0.expected - (t - $0.started)) },
                    freeSlots: slotsAvailable(fast) - fast.used, slots: fast.slots,
                    lonesome: fast.running.contains { $0.record.has(property: "lonesome") })
            }
        }
        let free = slotsAvailable(host) - host.used
        let squiggle = HostView.isSquiggleSlot(slots: host.slots, freeSlots: free,
                                               squiggleRunning: host.running.contains { $0.squiggle })
        return HostView(name: host.name, speedFactor: host.speedFactor, maxSpeedFactor: maxSf,
                        running: host.running.map { $0.record }, squiggle: squiggle,
                        fastSlotsFreeIn: fastSlots, hostsUp: names,
                        capacity: up.reduce(0) { $0 + Double($1.slots) * $1.speedFactor },
                        runningChainLeft: jobs.reduce(0) {
                            max($0, max(0, $1.expected - (t - $1.started)) + engine.chainAfter($1.path) / maxSf)
                        })
    }

    // MARK: - Stuck jobs and time limits

    func checkStuck(_ t: Double) {
        for job in jobs where job.handle != nil {
            if let at = job.hardKillAt, t >= at {
                job.handle?.stop(hard: true)
                job.hardKillAt = nil
                continue
            }
            guard job.killReason == nil else { continue }
            let sf = job.host.speedFactor
            let silent = t - job.lastGrowth
            // stuck= and STUCK_TIMEOUT are in seconds x sf, as the hosts file says.
            if let stuck = job.host.stuckTimeout ?? config.stuckTimeout, silent > stuck * sf {
                killJob(job, reason: "stuck at \(job.phase)", detail: "no output for \(Int(silent))s", t)
                reporter.event(.killedStuck(path: job.path.canonical, host: job.host.isLocal ? nil : job.host.name,
                                            seconds: silent), at: t)
            } else if let limit = config.buildTimeout, t - job.started > limit {
                killJob(job, reason: "over BUILD_TIMEOUT at \(job.phase)", detail: "running for \(Int(t - job.started))s", t)
            }
        }
    }

    func killJob(_ job: BuildJob, reason: String, detail: String, _ t: Double) {
        job.killReason = "KILLED: \(reason)"
        writing(t) { try appendToLog(job, "KILLED: \(detail), \(reason)\n") }
        job.handle?.stop(hard: false)
        job.hardKillAt = t + 10
    }

    // MARK: - History

    func loadHistory() {
        guard !config.noBuildStats || config.primeLog != nil else { return }
        var stats = BuildStats()
        if let prime = config.primeLog {
            do {
                stats = try BuildStats.fromBuildLog(prime, files: files)
            } catch {
                reporter.event(.message("-b: \(error)"), at: now())
            }
        } else {
            stats = BuildStats.read(config.statsPath, files: files)
            // Compact the file (last ten per path) before appending to it.
            try? stats.write(to: config.statsPath, files: files)
            // The weights (and so the ETA) use whole slot times where this
            // log directory has them (BuildStats.takeSlotTimes).
            stats.takeSlotTimes(fromBuildLog: logs.buildLog, files: files)
        }
        applyWeights(stats, speedFactors: hosts.map { ($0.name, $0.speedFactor) }, request: config.request, to: engine)
        expectedLogSizes = stats.logSizes()
        loadParallelHistory(config.primeLog ?? logs.buildLog)
        if !config.noBuildStats {
            try? files.makeDirectory((config.statsPath as NSString).deletingLastPathComponent)
            statsFile = try? AppendLog(path: config.statsPath, files: files)
        }
    }

    func recordSuccess(_ job: BuildJob, _ t: Double) {
        if job.affinityWritten || engine.affinity[job.path] != nil { files.remove(affinityFile(job.path)) }
        // What was just measured improves the estimates of everything left
        // (the median of known paths stands in for paths without history).
        engine.setWeight((t - job.started) * job.host.speedFactor, for: job.path.canonical)
        learnParallelShare(job, t)
        guard let statsFile else { return }
        let size = files.size(job.logPath) ?? 0
        let entry = BuildStats.Entry(path: job.path.canonical, host: job.host.name, time: t - job.started,
                                     size: size, timestamp: t)
        statsFile.write(entry.line)
    }

    // MARK: - Affinity

    func affinityFile(_ path: FullPkgPath) -> String { logs.affinityDirectory + "/" + path.dotted }

    /// Writes the affinity of the jobs past their fetch, twice a second
    /// rather than as the phase ends: a job that ends before the next look
    /// costs no file (written, renamed and removed for every port, it was a
    /// twentieth of the run's own CPU on trees of instant builds), and a
    /// job that short leaves little in its host worth going back for.
    func recordAffinities() {
        for job in jobs where job.pastAffinityPhase && !job.affinityWritten {
            job.affinityWritten = true
            writeAffinity(job)
        }
    }

    func writeAffinity(_ job: BuildJob) {
        let text = "host=\(job.host.name)\npath=\(job.path.canonical)\n"
        writing(now()) {
            try makingDirectory(logs.affinityDirectory) { try files.replace(affinityFile(job.path), with: text) }
        }
    }

    func loadAffinity() {
        guard let names = files.list(logs.affinityDirectory) else { return }
        let log = try? AppendLog(path: logs.affinityLog, files: files)
        for name in names.sorted() {
            guard let text = files.read(logs.affinityDirectory + "/" + name) else { continue }
            let fields = LockDirectory.parse(text)
            guard let host = fields["host"], let p = fields["path"], let path = try? FullPkgPath(p) else { continue }
            engine.affinity[path] = host
            log?.write("\(pid):\(path.canonical) => \(host)\n")
        }
    }

    // MARK: - Estimate

    /// Seconds from now to the end: the longer of the critical path left
    /// (on the fastest host) and the work left spread over every slot.
    /// `total` and `done` are the snapshot's counts (RunSnapshot.done).
    /// The engine follows jobs as they start and end; a full pass, needed
    /// when weights or the graph changed, takes at most 1% of a core: after
    /// one that took `d`, none for 100 `d`.
    func estimatedFinish(_ t: Double, total: Int, done: Int) -> Double? {
        let up = hosts.filter { $0.state == .up }
        guard !up.isEmpty, !(listings.isEmpty == false && total == 0) else { return nil }
        var elapsed = [FullPkgPath: Double](minimumCapacity: jobs.count)
        for job in jobs { elapsed[job.path] = (t - job.started) * job.host.speedFactor }
        // A budget of CPU, so on real clocks (not the run's, which a
        // simulation or a test runs much faster): after a pass that took d,
        // none for 100 d of time (1% of a core) and none before this process
        // used 100 d more CPU (1% of its own). Between passes the estimate
        // follows the jobs that start and end; only new weights wait.
        // The estimate judged at the end is the first one made after listing,
        // once a tenth of the paths are done (so a run without history has
        // measured something): it gets a pass whatever the budget says.
        let judging = etaState.judged == nil && listings.isEmpty && engine.listingBacklog == 0
            && total > 0 && Double(done) >= 0.1 * Double(total)
        if engine.remainingStale {
            let wallNow = cp_monotonic()
            if judging || (wallNow >= etaState.nextPass && OwnUsage.cpuSeconds() >= etaState.nextPassCPU) {
                let cpuBefore = OwnUsage.cpuSeconds()
                engine.refreshRemaining(elapsed: elapsed)
                let took = OwnUsage.cpuSeconds() - cpuBefore
                etaState.nextPass = wallNow + 100 * (cp_monotonic() - wallNow)
                etaState.nextPassCPU = cpuBefore + 101 * took
            }
        }
        let left = engine.trackedRemaining(elapsed: elapsed)
        let capacity = up.reduce(0.0) { $0 + Double($1.slots) * $1.speedFactor }
        let maxSf = up.map { $0.speedFactor }.max() ?? 1
        let seconds = max(left.criticalPath / maxSf, left.work / max(capacity, 1))
        let eta = t + seconds
        if judging && seconds > 0 {
            etaState.judged = (t, eta)
        }
        return eta
    }

    func reportEstimateError(_ t: Double) {
        // Only a run that went to its end: a stop cuts it short of the estimate.
        guard let (madeAt, predicted) = etaState.judged, shutdownSignal == nil, !stopping, !waitedForFixes else { return }
        let actual = t - madeAt
        let predictedSpan = predicted - madeAt
        let error = predictedSpan - actual
        // A share of under a second says nothing (it was millions of %).
        let share = actual >= 1 ? String(format: ", %+.1f%%", 100 * error / actual) : ""
        let line = String(format: "estimate made at %.0fs into the run: %.0fs left; it took %.0fs (error %+.0fs",
                          madeAt - startTime, predictedSpan, actual, error) + share + ")"
        performanceLog.write("\(pid)@\(FileIO.stamp(t)): ETA \(line)\n")
        reporter.event(.message(line), at: t)
    }
}

struct ETAState {
    /// Earliest time of the next full pass over the graph.
    var nextPass = 0.0
    var nextPassCPU = 0.0
    var judged: (Double, Double)?
    /// Of this run's parallel builds (ParallelEstimate.swift): slot-seconds
    /// their extra cores took from other ports, the most they could have,
    /// and their whole time.
    var parallelHeld = 0.0
    var parallelMost = 0.0
    var parallelTime = 0.0
}

/// Weights for the engine: history scaled by the speed factor of the host
/// that measured it, then the command line's `pkgpath=value` and
/// `file*scale`. The run and `simulate` share it.
public func applyWeights(_ stats: BuildStats, speedFactors: [(String, Double)], request: PathRequest, to engine: BuildEngine) {
    let sfs = Dictionary(speedFactors, uniquingKeysWith: { a, _ in a })
    engine.weights = stats.weights { sfs[$0] ?? 1 }
    engine.givenWeights = Dictionary(request.weights.map { ($0.key.canonical, $0.value) }, uniquingKeysWith: { _, b in b })
    var scales: [String: Double] = [:]
    for (p, s) in request.scales { scales[p.canonical] = s }
    engine.scales = scales
}
