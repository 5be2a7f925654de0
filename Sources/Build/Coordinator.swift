import CPosix
import Engine
import Foundation
import HostPool
import Logs
import TTYReport

/// The one thread that owns the engine. Child exits, ssh events, timers
/// and signals all arrive here as events; each pass of the loop then
/// advances listings and jobs, starts what can start and reports.
public final class Coordinator {
    let config: RunConfig
    let engine: BuildEngine
    let logs: LogDirectory
    let locks: LockDirectory
    /// Every file the run reads or writes itself (the tasks write their
    /// port logs through the runners).
    let files: any FileStore
    /// Watched locks, hot-fixes, ports to start from clean.
    let lockWatcher: LockWatcher
    let reporter: Reporter
    let queue: CoordinatorQueue
    let reaper: ChildReaper
    let clock: RunClock
    let events: RunEvents
    let pid = getpid()
    var hosts: [BuildHost] = []
    let startTime: Double

    var engineLog: AppendLog
    var buildLog: AppendLog
    var statsLog: AppendLog
    var concurrentLog: AppendLog
    var varsLog: AppendLog
    var equivLog: AppendLog
    var performanceLog: AppendLog
    var hostsLog: AppendLog
    /// Runs the listings (this machine's runner in a real run).
    var listingRunner: TaskRunner?
    var referenceFacts: (String, HostFacts)?
    var statsFile: AppendLog?
    var expectedLogSizes: [String: Int64] = [:]
    var nextEngineRun = 0.0
    var etaState = ETAState()
    /// SHA-256 of the master's files sent to copy hosts.
    let fileDigests = FileDigests()

    var listings: [ListingJob] = []
    /// Fetch jobs (-f, -F), when there are any.
    var fetcher: Fetcher?
    /// -F: every distfile name the listing mentioned (for DISTDIR/history).
    var listedDistfiles = Set<String>()
    var listingSerial = 0
    var jobs: [BuildJob] = []
    /// Jobs that ended well whose package file is not visible yet (H).
    var packageWaits: [PackageWait] = []
    /// -R: what each package was built from, and what this run decided.
    var signatures = SignatureStore()
    /// The signatures file may end in a line cut short: nothing more is
    /// appended to it (see stopRecordingSignatures).
    var signaturesTorn = false
    var rebuildLog: AppendLog?
    var rebuildCounts = (rebuilt: 0, kept: 0)
    /// -I: the install running now, and what each install did.
    var installTask: TaskHandle?
    var installing = false
    /// -q: the run is waiting for a fix now, and has at some time (the
    /// estimate is not graded against time spent waiting for a person).
    var waitingForFixes = false
    var waitedForFixes = false
    /// Jobs a signal stopped: path, host and port log, for the summary.
    var interrupted: [(String, String, String)] = []
    var installReport: [String]?
    var junkTasks: [BuildHost: TaskHandle] = [:]
    /// ALWAYS_CLEAN's clean after a failure, by lock name, until it ends.
    var cleansAfterFailure: [String: TaskHandle] = [:]
    /// Kills this run's local task groups if the run dies first.
    var supervisor: Supervisor?
    /// Begins every local task's mark (`taskMark`): this run, and no other.
    let taskMarkPrefix = "L\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    /// Spawns the local tasks (HostSetup.startLocalAgent); nil: spawned here.
    var localAgent: LocalAgent?
    /// The first write to the log or lock directory that failed.
    var storageFailure: String?
    /// Ports that failed because their lock could not be made, and why.
    var lockFailures: [String: String] = [:]
    /// Results, failures and the pacing of reports.
    let runRecord = RunRecord()
    let statusWriter = StatusFile.Writer()
    /// Listings that failed: the run cannot claim success after one.
    var listingFailures: [String] = []
    /// -s / -M: work directory sizes known so far (CoordinatorSizes).
    lazy var sizes: SizeLog = config.sizes
    /// -M: unmounting each host's memory file system at the end.
    var memoryUnmounts: [BuildHost: TaskHandle] = [:]

    var stopFileSeen = false
    /// Hosts whose stop file was there at the start of the pass.
    var stoppedHosts: Set<String> = []
    var shutdownSignal: Int32?
    var suspendedAt: Double?
    var killDeadline: Double?
    /// After a second signal: exit by then whatever is still running.
    var exitDeadline: Double?
    var finished = false
    var firstJobSeen = false
    var lastLogWatch = -Double.infinity
    var lastStopLook = -Double.infinity
    /// `reportSoon` was called since the last report.
    var reportForced = false
    var exitStatus: Int32 = 0

    /// `events` defaults to the real poll loop, which blocks the handled
    /// signals: create the coordinator before any other thread starts.
    public init(config: RunConfig, reporter: Reporter, queue: CoordinatorQueue, startTime: Double,
                clock: RunClock = SystemClock(), events: RunEvents? = nil, reaper: ChildReaper = ChildReaper(),
                files: any FileStore = PosixFileStore.shared) throws {
        self.config = config
        self.reporter = reporter
        self.queue = queue
        self.startTime = startTime
        self.clock = clock
        self.reaper = reaper
        self.files = files
        self.events = events ?? PollEvents(queue: queue, reaper: reaper)
        engine = BuildEngine(wantsEverything: config.wholeTree, ordering: config.ordering)
        engine.priorityPassesByCaller = true
        engine.holdsForDistfiles = config.fetch.jobs > 0 && !config.fetch.fetchOnly
        logs = LogDirectory(root: config.logdir, files: files)
        locks = LockDirectory(root: config.lockdir, files: files)
        lockWatcher = LockWatcher(locks: locks)
        try logs.create()
        try locks.create()
        engineLog = try AppendLog(path: logs.engineLog, files: files)
        buildLog = try AppendLog(path: logs.buildLog, files: files)
        statsLog = try AppendLog(path: logs.statsLog, files: files)
        concurrentLog = try AppendLog(path: logs.concurrentLog, files: files)
        varsLog = try AppendLog(path: logs.varsLog, files: files)
        equivLog = try AppendLog(path: logs.equivLog, files: files)
        performanceLog = try AppendLog(path: logs.performanceLog, files: files)
        hostsLog = try AppendLog(path: logs.hostsLog, files: files)
        watchWrites(of: [engineLog, buildLog, statsLog, concurrentLog, varsLog, equivLog, performanceLog, hostsLog])
    }

    func now() -> Double { clock.now() }

    // MARK: - Running

    public func run() -> Int32 {
        if !config.dontCleanLocks {
            // Their builds were interrupted: those ports start from clean.
            // Their jobs left the work directory as it was: the marker
            // goes in before the lock goes.
            let stuck = endDeadRunsTasks()
            let stale: ([String: String]) -> Bool = { [self] lock in
                if let p = lock["locked"].flatMap({ try? FullPkgPath($0) }) { markWorkdirDirty(p, now()) }
                // A lock whose task would not end stays.
                return lock["task"].map { !stuck.contains($0) } ?? true
            }
            for (name, _) in lockWatcher.removeStale(host: config.localHost, endTask: stale) {
                reporter.event(.message("removed stale lock \(config.lockdir)/\(name)"), at: now())
            }
        }
        loadHistory()
        loadSignatures()
        loadAffinity()
        setUpFetcher()
        prepareSizes()
        if config.wholeTree {
            startWholeTreeListing()
        } else {
            engine.request(config.request.paths)
        }
        while !finished {
            let t = now()
            tick(t)
            if finished { break }
            waitForEvents(timeout: pollTimeout())
        }
        // After a second signal the exit must not wait for slow hosts.
        endHostSessions(within: exitDeadline == nil ? 5 : 0.5)
        return exitStatus
    }

    /// The live process groups that carry the task mark a lock records
    /// (locks of older runs name one group, `pgid=`, beside the mark).
    func recordedGroups(_ lock: [String: String]) -> Set<pid_t> {
        guard let mark = lock["task"] else { return [] }
        if let text = lock["pgid"], let pgid = Int32(text) {
            return ProcessGroups.marked(pgid: pgid, mark: mark).isEmpty ? [] : [pgid]
        }
        return ProcessGroups.groups(carrying: mark)
    }

    /// A stale lock's tasks (their mark is in the lock, `taskMark`) may
    /// still run if their run was killed: the tasks of every dead run's
    /// lock of this host are ended before those locks go, all under one
    /// grace period (one after another, each took its own). Returns the
    /// marks whose groups would not end: their locks stay.
    func endDeadRunsTasks() -> Set<String> {
        var groups: [pid_t: String] = [:]
        var locked: [pid_t: String] = [:]
        for name in locks.names() {
            guard let c = locks.contents(name), let mark = c["task"],
                  LockDirectory.deadOwner(c, host: config.localHost, isAlive: processIsAlive) != nil else { continue }
            for pgid in recordedGroups(c) { groups[pgid] = mark; locked[pgid] = c["locked"] }
        }
        guard !groups.isEmpty else { return [] }
        let left = ProcessGroups.end(groups: groups, grace: 2)
        for pgid in groups.keys.sorted() {
            reporter.event(.message(left.contains(pgid) ? "process group \(pgid) left by a dead run does not end: its lock stays"
                                                        : "ended process group \(pgid) left by a dead run (\(locked[pgid] ?? "?"))"),
                           at: now())
        }
        return Set(left.compactMap { groups[$0] })
    }

    /// Every task the run started and is waiting for.
    var runningTasks: [TaskHandle] {
        jobs.compactMap { $0.handle } + listings.compactMap { $0.handle } + Array(junkTasks.values)
            + Array(cleansAfterFailure.values) + (fetcher?.runningTasks ?? []) + (installTask.map { [$0] } ?? [])
    }

    /// Seconds to wait for events before the next pass at the latest.
    func pollTimeout() -> Double {
        if listings.contains(where: { $0.more }) { return 0 }
        // A forced report held back waits for the next pass (at most this
        // long): no pass of its own.
        if !listings.isEmpty || jobs.contains(where: { $0.waitingForLock }) || shutdownSignal != nil { return 0.2 }
        return 0.5
    }

    func waitForEvents(timeout: Double) {
        handleSignals(events.wait(timeout: timeout))
    }

    func handleSignals(_ signals: [Int32]) {
        for s in signals {
            switch s {
            case SIGWINCH: reportSoon()
            case SIGTSTP:
                reporter.suspend()
                suspendedAt = now()
                kill(getpid(), SIGSTOP)
            case SIGCONT:
                // Time spent stopped does not count against the jobs' stuck
                // and time limits (they were not watched meanwhile).
                if let at = suspendedAt {
                    let paused = now() - at
                    for job in jobs {
                        job.lastGrowth += paused
                        job.started += paused
                        job.phaseStarted += paused
                        if let k = job.hardKillAt { job.hardKillAt = k + paused }
                    }
                    suspendedAt = nil
                }
                reporter.resume()
                reportSoon()
            default: beginShutdown(signal: s)
            }
        }
    }

    func beginShutdown(signal s: Int32) {
        if shutdownSignal != nil {
            // A second signal: kill everything now, and exit soon even if
            // something does not report its end.
            for task in runningTasks { task.stop(hard: true) }
            killDeadline = nil
            exitDeadline = now() + 2
            return
        }
        shutdownSignal = s
        killDeadline = now() + config.killGrace
        reporter.event(.message("got signal \(s): stopping \(jobs.count) job(s)"), at: now())
        for job in jobs {
            job.stopping = true
            job.handle?.stop(hard: false)
            // Named on the screen and in the summary: they did not finish.
            interrupted.append((job.path.canonical, job.host.name, job.logPath))
            reporter.event(.jobNotFinished(path: job.path.canonical, host: job.host.name, reason: "stopped by signal \(s)"),
                           at: now())
        }
        // Jobs between two tasks (waiting for the host's depends lock) have
        // nothing to stop: they end now.
        for job in jobs where job.handle == nil {
            releaseHostLock(job)
            removeJob(job)
        }
        for l in listings { l.handle?.stop(hard: false) }
        installTask?.stop(hard: false)
        fetcher?.stop(hard: false)
        for task in Array(junkTasks.values) + Array(cleansAfterFailure.values) { task.stop(hard: false) }
    }

    // MARK: - One pass

    func tick(_ t: Double) {
        if let sig = shutdownSignal {
            if let deadline = killDeadline, t >= deadline {
                for task in runningTasks { task.stop(hard: true) }
                killDeadline = nil
            }
            for job in jobs where job.handle == nil {
                releaseHostLock(job)
                removeJob(job)
            }
            if runningTasks.isEmpty || (exitDeadline.map { t >= $0 } ?? false) {
                finish(status: 128 + sig)
            }
            return
        }
        // Stop files are looked at twice a second, not at every pass (a
        // pass comes with every phase that ends).
        if t - lastStopLook >= RunRecord.snapshotInterval {
            lastStopLook = t
            checkStopFile(t)
            noteHostStopFiles()
            recordAffinities()
        }
        // What can start from the queue as it is starts before more of the
        // listing is read: a host that just came up has one already, and a
        // read of the listing takes tens of milliseconds.
        if mayStartJobs && !listings.isEmpty { startJobs(t) }
        for l in listings where !l.ended {
            if let out = l.readNew(final: false, files: files) { feedListing(out, requested: [], job: l) }
        }
        if lockWatcher.shouldLook(at: t) { recheckLocks(t) }
        startListings()
        applyRebuildDecisions(t)
        if mayStartJobs {
            startJobs(t)
            startJunk()
        }
        if !stopping { startFetchJobs() }
        for job in jobs where job.waitingForLock {
            // With the lock directory failing the host lock may never be
            // made: the job goes (redone by the next run) instead of
            // holding the run open.
            if let why = storageFailure {
                jobNotFinished(job, "waiting for the host lock while storage failed (\(why))")
            } else if stopFileSeen {
                // No job starts while the stop file is there: one still
                // waiting for the host lock has not started its phase.
                jobNotFinished(job, "the run stopped (\(logs.stopFile)) while it waited for the host lock")
            } else {
                startPhase(job)
            }
        }
        recheckPackageWaits(t)
        // Log growth, and the stuck jobs and time limits that follow from
        // it, twice a second.
        if t - lastLogWatch >= RunRecord.snapshotInterval {
            lastLogWatch = t
            watchLogs(t)
            checkStuck(t)
        }
        flushEngine(t)
        report()
        checkEnd(t)
    }

    /// The stop file is there or the disk failed: nothing new starts
    /// (jobs, fetches, installs, waits), what runs is let end.
    var stopping: Bool { stopFileSeen || storageFailure != nil }

    /// Build jobs may start in this pass (no stop file, a working log
    /// directory, not -F).
    var mayStartJobs: Bool { !stopping && !config.fetch.fetchOnly }

    func checkStopFile(_ t: Double) {
        let exists = files.exists(logs.stopFile)
        if exists && !stopFileSeen {
            reporter.event(.stopRequested, at: t)
        }
        stopFileSeen = exists
    }

    func checkEnd(_ t: Double) {
        guard jobs.isEmpty, packageWaits.isEmpty, listings.isEmpty, junkTasks.isEmpty, cleansAfterFailure.isEmpty,
              !installing else { return }
        if config.fetch.fetchOnly && !stopping { checkFetchOnlyEnd(); return }
        // A stopping run starts no fetch: only the running ones are waited for.
        guard stopping ? fetcher?.running.isEmpty ?? true : fetcher?.isIdle ?? true else { return }
        if storageFailure != nil { finish(status: 1); return }
        if !hosts.isEmpty && hosts.allSatisfy({ $0.state == .failed }) {
            reporter.event(.message("no usable host: every host failed its init (see \(logs.root)/init.*.log)"), at: t)
            finish(status: 1)
            return
        }
        if stopFileSeen { finish(status: endStatus()); return }
        guard engine.isIdle, engine.listingBacklog == 0 else { return }
        nameCycles(t)
        var s = engine.counts
        if s.counts.locked > 0 || (config.waitForFixes && s.counts.errors > 0) {
            // Locks may have gone since the last look: look again first.
            recheckLocks(t)
            guard engine.isIdle else { return }
            s = engine.counts
        }
        if config.waitForFixes && (s.counts.errors > 0 || s.counts.locked > 0) {
            // Said once per stretch of waiting: the run waits for a person.
            if !waitingForFixes {
                waitingForFixes = true
                waitedForFixes = true
                reporter.event(.message("waiting for fixes: \(s.counts.errors) failed, \(s.counts.locked) locked; "
                                        + "remove a port's lock in \(config.lockdir) once it is fixed, or touch \(logs.stopFile)"), at: t)
            }
            return
        }
        waitingForFixes = false
        // Locks held by a live bulkbuild on this host will be released:
        // wait for them rather than give up on their dependents.
        if s.counts.locked > 0 && lockWatcher.heldByLiveRun(host: config.localHost, ownPid: pid) { return }
        endRun(status: endStatus())
    }

    /// Ports that wait on each other are broken, and the run says which.
    func nameCycles(_ t: Double) {
        let cycles = engine.breakCycles()
        guard !cycles.isEmpty else { return }
        flushEngine(t)
        for c in cycles {
            reporter.event(.message(BuildEngine.cycleReason(c) + " (never built)"), at: t)
        }
    }

    /// 0 only when every wanted path is built or ignored (IGNORE, not
    /// broken); anything left, failed, locked or broken makes it 1.
    func endStatus() -> Int32 {
        let s = engine.counts
        if !listingFailures.isEmpty || storageFailure != nil { return 1 }
        // A tree that lists no port at all is not a success.
        if config.wholeTree && s.counts.total == 0 { return 1 }
        let done = s.counts.installable + s.counts.built + s.ignoredOnly
        return done == s.counts.total ? 0 : 1
    }

    /// What holds a locked path, for the summary: an earlier run's
    /// failure (and how to retry), a live run, or a file that names none.
    func lockedLine(_ p: String) -> String {
        guard let path = try? FullPkgPath(p) else { return "\(p) (lock in \(config.lockdir))" }
        let name = path.pkgpath.dotted
        let file = config.lockdir + "/" + name
        guard let c = locks.contents(name) else { return "\(p) (\(file))" }
        if let status = c["status"], status != "0", !status.isEmpty {
            return "\(p): failed in an earlier run (\(status)\(c["todo"].map { " in " + $0 } ?? ""), log: \(logs.portLog(path))); "
                + "remove \(file) to build it again"
        }
        if let owner = LockDirectory.owner(c) { return "\(p) by bulkbuild \(owner.pid) on \(owner.host) (\(file))" }
        return "\(p): \(file) names no bulkbuild (no dpb= line); remove it if no run holds it"
    }

    func finish(status: Int32) {
        if unmountMemory(then: { [weak self] in self?.finish(status: status) }) { return }
        flushEngine(now())
        reportEstimateError(now())
        finished = true
        exitStatus = status
        updateDistfileHistory()
        logTransferTotals(now())
        var snap = snapshot(now())
        snap.ended = true
        // The last counts, which a report held back may not have logged.
        logConcurrency(now())
        logCounts(snap, now())
        if storageFailure == nil { writing(now()) { try statusWriter.write(snap, to: logs.statusFile, files: files) } }
        writeReport()
        reporter.finish(snap)
        printFinalSummary(status: status)
        logUsage("RUSAGE")
        if let agent = localAgent, let u = agent.usage() {
            // The agent's own CPU (its spawns), apart from the run's.
            performanceLog.write("\(pid)@\(FileIO.stamp(now())): AGENT pid=\(agent.pid) "
                                 + "user=\(String(format: "%.3f", u.user)) sys=\(String(format: "%.3f", u.system))\n")
        }
        (events as? PollEvents)?.unwatch(localAgent?.fd ?? -1)
        localAgent?.close()
        supervisor?.close()
    }

    func printFinalSummary(status: Int32) {
        let s = engine.summary()
        var lines: [String] = []
        if config.fetch.fetchOnly {
            lines = fetchSummaryLines() + listingFailures.map { "  listing: \($0)" }
            if stopFileSeen { lines.append("bulkbuild: stopped by \(logs.stopFile)") }
            print(lines.joined(separator: "\n"))
            fflush(nil)
            return
        }
        let c = s.counts
        let notBuilt = c.total - c.installable - c.built - s.ignoredOnly - c.errors - s.brokenPaths.count - c.locked
        let already = c.installable + c.built - s.builtByThisRun
        lines.append("bulkbuild: \(s.builtByThisRun) built, \(already) already built, \(s.ignoredOnly) ignored, \(c.errors) failed, \(s.brokenPaths.count) broken, \(c.locked) locked, \(notBuilt) not built (of \(c.total)) in \(Int(now() - startTime))s")
        for p in s.failedPaths {
            if let why = lockFailures[p] { lines.append("  failed: \(p): \(why)"); continue }
            let log = (try? FullPkgPath(p)).map { logs.portLog($0) } ?? p
            lines.append("  failed: \(p) (log: \(log))")
        }
        for (p, why) in s.brokenPaths { lines.append("  broken: \(p): \(why)") }
        for p in s.lockedPaths { lines.append("  locked: " + lockedLine(p)) }
        for (p, host, log) in interrupted { lines.append("  interrupted: \(p) on \(host) (log: \(log))") }
        // Jobs stopped by a signal are still running for the engine.
        let notStarted = c.queued + c.running - interrupted.count
        if notStarted > 0 {
            lines.append("  \(notStarted) path(s) were buildable but not started")
        }
        // After a stop (file, signal, disk) what is left was simply not reached.
        let stopped = stopping || shutdownSignal != nil
        let why = stopped && c.errors + c.locked == 0 ? "the run was stopped before it"
            : "it waits on a dependency that failed or is locked"
        for p in s.blockedPaths.prefix(20) { lines.append("  not built: \(p) (\(why))") }
        if s.blockedPaths.count > 20 { lines.append("  ... and \(s.blockedPaths.count - 20) more not built") }
        if let sig = shutdownSignal {
            lines.append("bulkbuild: stopped by signal \(sig); locks stay and are cleaned as stale at the next run")
        } else if let what = storageFailure {
            lines.append("bulkbuild: stopped: storage failed: \(what); fix the disk and run again: it resumes from the locks and logs")
        } else if stopFileSeen {
            lines.append("bulkbuild: stopped by \(logs.stopFile)")
        }
        for f in listingFailures { lines.append("  listing: \(f)") }
        if let r = rebuildSummary { lines.append("bulkbuild: \(r)") }
        for line in installReport ?? [] { lines.append("bulkbuild: \(line)") }
        lines += fetchSummaryLines()
        if config.wholeTree && c.total == 0 && !stopped {
            lines.append("bulkbuild: \(config.portsdir) listed no port (see \(logs.varsLog))")
        }
        if status == 0 { lines.append("bulkbuild: everything asked for was built or is ignored") }
        print(lines.joined(separator: "\n"))
        // Every stream: the summary must be out before the exit status.
        fflush(nil)
    }

    // MARK: - Watching and reporting

    /// Silence after which a job gets a line of its own in the plain log
    /// (the screen marks it frozen after 45 s).
    static let frozenReportAfter = 300.0

    /// Every job's log size, as often as snapshots are taken (not at every
    /// pass: a busy pass comes every few milliseconds, and stuck limits are
    /// counted in seconds).
    func watchLogs(_ t: Double) {
        for job in jobs where job.handle != nil {
            let size = files.size(job.logPath) ?? 0
            if size != job.lastLogSize {
                job.maxStuck = max(job.maxStuck, t - job.lastGrowth)
                job.lastLogSize = size
                job.lastGrowth = t
                job.frozenReported = false
            } else if !job.frozenReported && t - job.lastGrowth >= Coordinator.frozenReportAfter {
                job.frozenReported = true
                reporter.event(.frozen(path: job.path.canonical, host: job.host.isLocal ? nil : job.host.name,
                                       seconds: t - job.lastGrowth), at: t)
            }
        }
    }

    func flushEngine(_ t: Double) {
        applyRebuildDecisions(t)
        let changes = engine.takeChanges()
        guard !changes.isEmpty else { return }
        var text = LogFormat.enginePass(pid: pid, time: t)
        for c in changes { text += LogFormat.engine(pid: pid, time: t, c) }
        engineLog.write(text)
        for c in changes where c.state == .ignored && !c.extra.hasPrefix("because of") {
            if let p = try? FullPkgPath(c.subject), engine.record(for: p)?.ignore == nil {
                reporter.event(.ignored(path: c.subject, reason: c.extra), at: t)
            }
        }
    }

    func addHistory(_ outcome: RunSnapshot.Outcome, path: String, host: String?, duration: Double?, detail: String?) {
        runRecord.add(RunSnapshot.HistoryEntry(time: now(), path: path, outcome: outcome, host: host,
                                            duration: duration, detail: detail))
    }

    func snapshot(_ t: Double) -> RunSnapshot {
        var s = RunSnapshot()
        s.pid = pid
        s.runHost = config.localHost
        if config.fetch.fetchOnly { s.fetchOnly = true }
        s.time = t
        s.startTime = startTime
        s.stopping = stopping
        s.listing = !listings.isEmpty
        s.counts = engine.counts.counts
        s.counts.broken = engine.counts.counts.ignored - engine.counts.ignoredOnly
        s.counts.builtByThisRun = engine.counts.builtByThisRun
        s.counts.fetch = fetcher?.waiting ?? 0
        s.fetchJobs = fetcher?.snapshotJobs() ?? []
        s.lockedPaths = engine.lockedPaths
        s.waitingPackagePaths = packageWaits.map { $0.job.path.canonical }
        s.failures = engine.failedPaths.map { p in
            runRecord.failures[p] ?? RunSnapshot.Failure(path: p, host: nil,
                                               logPath: (try? FullPkgPath(p)).map { logs.portLog($0) } ?? p, locked: true)
        }
        let critical = criticalJob(t)
        s.jobs = jobs.map { job in
            let frozen = t - job.lastGrowth
            return RunSnapshot.Job(path: job.path.canonical, phase: job.shownPhase,
                                   host: job.host.isLocal ? nil : job.host.name, pid: job.pid, started: job.started,
                                   logSize: job.lastLogSize, expectedLogSize: job.expectedLogSize,
                                   frozenSeconds: frozen >= 45 ? frozen : nil, swallowed: job.swallowed,
                                   squiggle: job.squiggle, nojunk: job.record.has(property: "nojunk"),
                                   waitingForLock: job.waitingForLock, makeJobs: job.handle == nil ? nil : job.makeJobs,
                                   criticalPath: job === critical ? true : nil,
                                   memory: job.memoryDirectory != nil ? true : nil)
        }
        s.hosts = hosts.map { h in
            RunSnapshot.Host(name: h.name, state: hostStopped(h) ? .stopped : h.state, slots: h.slots,
                             running: h.running.count, reason: h.reason)
        }
        s.history = runRecord.history
        s.estimatedFinish = estimatedFinish(t, total: s.counts.total, done: s.done)
        return s
    }

    /// A job started or ended, a redraw: the report at the end of this pass
    /// (or the next one, for events that arrive between passes) is made
    /// even if the last one was just now. Once for all of them: each report
    /// is a whole snapshot, and a pass of a busy run ends and starts several
    /// jobs.
    func reportSoon() { reportForced = true }

    /// stats.log: a line when the counts changed since the last.
    func logCounts(_ snap: RunSnapshot, _ t: Double) {
        if runRecord.countsChanged(snap.counts) {
            statsLog.write(LogFormat.stats(pid: pid, time: t, elapsed: t - startTime, snap.counts))
        }
    }

    /// concurrent.log: a line at every pass where the number of jobs
    /// changed, as dpb (not only when a report is made).
    func logConcurrency(_ t: Double) {
        if runRecord.concurrencyChanged(jobs.count) {
            concurrentLog.write(LogFormat.concurrent(pid: pid, time: t, running: jobs.count))
        }
    }

    /// The snapshot for the reporter, status.json and the logs that follow
    /// counts, every `RunRecord.snapshotInterval` or when one was asked for.
    func report() {
        let forced = reportForced
        let t = now()
        logConcurrency(t)
        // A forced report held back stays asked for, until a later pass.
        guard runRecord.snapshotDue(at: t, force: forced) else { return }
        reportForced = false
        let started = cp_monotonic()
        let snap = snapshot(t)
        performanceLog.write(LogFormat.performance(pid: pid, time: t, what: "REP", mark: forced ? "!" : "+",
                                                   next: t + RunRecord.snapshotInterval, took: cp_monotonic() - started))
        logCounts(snap, t)
        if storageFailure == nil && runRecord.statusDue(at: t) {
            writing(t) { try statusWriter.write(snap, to: logs.statusFile, files: files) }
        }
        reporter.update(snap, force: forced)
    }
}

extension BuildHost: Hashable {
    static func == (a: BuildHost, b: BuildHost) -> Bool { a === b }
    func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}
