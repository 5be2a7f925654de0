import Engine
import Logs

/// The estimate counts the slots a parallel build takes from other ports
/// (Engine/SlotWork.swift): known from build.log for the ports built
/// before, learned from this run's parallel builds for the others.
extension Coordinator {
    /// The extra slot-seconds of every port whose last build in `buildLog`
    /// was parallel, at the cores it gets on the fastest host now.
    func loadParallelHistory(_ buildLog: String) {
        let timings = PhaseHistory.read(buildLog, files: files).timings { name in
            hosts.first { $0.name == name }?.speedFactor ?? 1
        }
        guard !timings.isEmpty, let fastest = hosts.max(by: { $0.speedFactor < $1.speedFactor }) else { return }
        let k = (config.parallel ?? fastest.parallel).cores(forJobs: fastest.slots)
        engine.parallelExtra = timings.mapValues { Double(k - 1) * ($0.serial + $0.scalable / Double(k)) }
    }

    /// A parallel build ended: the slot-seconds its extra cores took from
    /// other ports per second of its time become the share counted for
    /// parallel ports without history, and their part of the most it could
    /// have held (its cores beyond one through its parallel phases) scales
    /// the extra known from build.log. A lonesome port holds its host for
    /// other reasons.
    func learnParallelShare(_ job: BuildJob, _ t: Double) {
        job.accountHeld(t)
        guard job.cores > 1, !job.holdsWholeJob, t > job.started else { return }
        let parallelTime = job.phaseTimes.reduce(0.0) { $0 + ((Phase(rawValue: $1.0).map(job.parallelPhases.contains) ?? false) ? $1.1 : 0) }
        etaState.parallelHeld += job.extraHeld
        etaState.parallelMost += Double(job.cores - 1) * parallelTime
        etaState.parallelTime += t - job.started
        engine.parallelShare = etaState.parallelHeld / etaState.parallelTime
        if etaState.parallelMost > 0 { engine.parallelHeldPart = min(1, etaState.parallelHeld / etaState.parallelMost) }
    }
}
