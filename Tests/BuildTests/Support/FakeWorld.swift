// Virtual time for the coordinator: a clock that only moves when the
// coordinator waits, fake tasks that end at set times, and scripted
// events (signals, files appearing, hosts going away). This is a stand-in
// for real processes and sshd, which the end-to-end tests use; here the
// same coordinator code runs thousands of jobs in milliseconds.
#if canImport(Glibc)
import Glibc
#endif
@testable import Build
import HostPool

final class VirtualClock: RunClock {
    var time: Double
    init(_ start: Double) { time = start }
    func now() -> Double { time }
}

/// Everything that happens in virtual time, in one place.
final class FakeWorld: RunEvents {
    let clock: VirtualClock
    /// The run is stopped (SIGKILL-like, the test fails) past this time.
    var limit: Double
    private(set) var running: [FakeTask] = []
    private var actions: [(at: Double, what: () -> Void)] = []
    private var signals: [(at: Double, signal: Int32)] = []
    private(set) var overLimit = false
    private var nextPid: Int32 = 100_000

    init(start: Double = 1_800_000_000, limit: Double = 1_000_000) {
        clock = VirtualClock(start)
        self.limit = start + limit
    }

    var now: Double { clock.time }

    func newPid() -> Int32 { nextPid += 1; return nextPid }

    /// Runs `what` at `at` (virtual), between two passes of the coordinator.
    func at(_ at: Double, _ what: @escaping () -> Void) { actions.append((at, what)) }
    func after(_ seconds: Double, _ what: @escaping () -> Void) { at(now + seconds, what) }
    func signal(_ s: Int32, after seconds: Double) { signals.append((now + seconds, s)) }

    func add(_ task: FakeTask) { running.append(task) }

    /// Ends a task now (stopped, host lost): delivered at the next wait.
    func endSoon(_ task: FakeTask, _ end: TaskEnd) {
        task.endAt = now
        task.end = end
    }

    func wait(timeout: Double) -> [Int32] {
        // The earliest of what is due, without arrays made for it: this
        // runs at every pass of a run of thousands of jobs.
        var next = now + timeout
        for t in running where t.endAt < next { next = t.endAt }
        for a in actions where a.at < next { next = a.at }
        for s in signals where s.at < next { next = s.at }
        clock.time = max(now, next)
        if clock.time > limit && !overLimit {
            // A run that never ends: stop it the hard way.
            overLimit = true
            return [SIGTERM, SIGTERM]
        }
        let t = now
        // One look at each task (most passes end one or two of sixteen).
        var due: [FakeTask] = []
        var i = 0
        while i < running.count {
            if running[i].endAt <= t { due.append(running.remove(at: i)) } else { i += 1 }
        }
        for task in due { task.finish() }
        if actions.contains(where: { $0.at <= t }) {
            let doNow = actions.filter { $0.at <= t }
            actions.removeAll { $0.at <= t }
            for a in doNow { a.what() }
        }
        guard signals.contains(where: { $0.at <= t }) else { return [] }
        let sigs = signals.filter { $0.at <= t }.map { $0.signal }
        signals.removeAll { $0.at <= t }
        return sigs
    }
}

/// A task of a fake runner: it ends at `endAt` with `end`, unless stopped.
final class FakeTask: TaskHandle {
    let pid: Int32
    let spec: TaskSpec
    let runner: FakeRunner
    var endAt: Double
    var end: TaskEnd
    /// Does not end on TERM (a job stuck in uninterruptible work).
    var ignoresTerm = false
    let completion: (TaskEnd) -> Void
    var onFinish: (() -> Void)?
    private(set) var ended = false

    init(pid: Int32, spec: TaskSpec, runner: FakeRunner, endAt: Double, end: TaskEnd,
         completion: @escaping (TaskEnd) -> Void) {
        self.pid = pid; self.spec = spec; self.runner = runner
        self.endAt = endAt; self.end = end; self.completion = completion
    }

    func stop(hard: Bool) {
        guard !ended else { return }
        runner.stops.append((spec.environment["SUBDIR"] ?? "", hard))
        if hard || !ignoresTerm { runner.world.endSoon(self, .signaled(hard ? 9 : 15)) }
    }

    func finish() {
        guard !ended else { return }
        ended = true
        if end == .exited(0) { onFinish?() }
        runner.ended(self)
        completion(end)
    }
}
