import CPosix
import Engine
import Foundation
import HostPool
import Logs
import TTYReport

/// The life of a build job: lock, phases one after another, and how it
/// ends (built, failed, not finished).
extension Coordinator {
    func slotsAvailable(_ host: BuildHost) -> Int {
        var n = host.slots
        if host.isLocal && !config.extraListing && !listings.isEmpty { n -= 1 }
        return max(host.isLocal && jobs.isEmpty ? 1 : 0, n)
    }

    /// Whether the host's stop file was there at the start of this pass
    /// (`noteHostStopFiles`): looked at twice a second, not per pass or slot.
    func hostStopped(_ host: BuildHost) -> Bool { stoppedHosts.contains(host.name) }

    func noteHostStopFiles() {
        var stopped: Set<String> = []
        for h in hosts {
            let paths = h.stopFiles ?? logs.hostStopFiles(host: h.name)
            h.stopFiles = paths
            if paths.contains(where: { files.exists($0) }) { stopped.insert(h.name) }
        }
        stoppedHosts = stopped
    }

    func startJob(_ choice: JobChoice, on host: BuildHost, _ t: Double) {
        let record = choice.record
        let path = record.path
        let lockName = path.pkgpath.dotted
        let needed = engine.neededPackages(for: path)
        let created: LockDirectory.CreateResult
        do {
            // Every line known at the start goes in with the lock's creation.
            created = try locks.lock(path.pkgpath, lines: [("locked", path.canonical),
                                                            ("dpb", "\(pid) on \(config.localHost)"),
                                                            ("host", host.name), ("pid", "\(pid)"),
                                                            ("start", LogFormat.epochWithDate(t)),
                                                            ("needed", needed.joined(separator: " "))]
                                                    + taskMarkLine(lockName, host))
        } catch let f as FileIO.Failure {
            lockNotCreated(path, f, t)
            return
        } catch {
            storageFailed("\(error)", t)
            return
        }
        if created == .alreadyLocked {
            engine.lockHeld(path)
            lockWatcher.watch(path, lock: lockName)
            return
        }
        // Another process may have built it since it was listed.
        if files.exists(config.packageFile(record.pkgname)) {
            locks.remove(lockName)
            files.remove(affinityFile(path))
            engine.foundBuilt(path, alsoBuilt: siblingsWithPackages(of: path))
            return
        }
        let logPath: String
        do {
            logPath = try logs.preparePortLog(path, pkgname: record.pkgname)
            // Every package this job makes points at the same log.
            for member in engine.unitMembers(of: path) where member.path != path && !member.pkgname.isEmpty {
                logs.linkPackageLog(member.pkgname, to: path)
            }
        } catch {
            locks.remove(lockName)
            storageFailed("\(error)", t)
            return
        }
        let expected = engine.weight(of: path) / host.speedFactor
        let small = engine.hasHistory(path) && expected < host.small
        let dirty = logs.dirtyWorkdirMarker(path.pkgpath)
        // With fetch jobs the distfiles are already there: only checked. A
        // port without distfiles keeps `fetch`, which has nothing to do.
        let phases = Phase.sequence(
            cleanFirst: config.cleanFirst || lockWatcher.takeCleanFirst(path.pkgpath) || files.exists(dirty),
            install: !needed.isEmpty, small: small,
            fetchJobs: config.fetch.jobs > 0 && !record.fetch.files.isEmpty,
            cleanAfter: !config.keepWorkdir.contains(path.pkgpath))
        let job = BuildJob(record: record, host: host, logPath: logPath, lockName: lockName, phases: phases, now: t)
        job.expected = expected
        job.squiggle = choice.squiggle
        job.expectedLogSize = expectedLogSizes[path.canonical] ?? expectedLogSizes[path.pkgpath.value]
        configureParallel(job)
        placeInMemory(job)
        let wrote = writing(t) {
            // From here until it is built its work directory is suspect: the
            // lock says so while it stands (a dead run's lock means "start
            // from clean"), the marker once a lock goes or stays without a
            // package (markWorkdirDirty).
            if config.cleanFirst { try files.replace(logPath, with: "") }
            let log = try files.openLog(logPath)
            try log.write(LogFormat.portHeader(host: host.name, path: path.canonical))
            job.portLog = log
        }
        guard wrote else {
            locks.remove(lockName)
            return
        }
        job.lastLogSize = files.size(logPath) ?? 0
        engine.started(path, host: host.name)
        jobs.append(job)
        noteFirstJob()
        host.running.append(job)
        reporter.event(.jobStarted(path: path.canonical, host: host.isLocal ? nil : host.name), at: t)
        sendJobFiles(job, t)
        reportSoon()
    }

    /// A lock that could not be created for a reason other than "it
    /// exists": a name the file system refuses fails that port (no lock is
    /// left to watch); a disk that refuses stops the run.
    func lockNotCreated(_ path: FullPkgPath, _ failure: FileIO.Failure, _ t: Double) {
        guard [ENAMETOOLONG, EINVAL, EILSEQ].contains(failure.code) else {
            storageFailed(failure.description, t)
            return
        }
        let why = "cannot lock: \(failure)"
        engine.finished(path, .failed)
        runRecord.failures[path.canonical] = RunSnapshot.Failure(path: path.canonical, host: nil, logPath: failure.path,
                                                       locked: false)
        lockFailures[path.canonical] = why
        addHistory(.failed, path: path.canonical, host: nil, duration: nil, detail: why)
        reporter.event(.message("\(path.canonical): \(why)"), at: t)
        flushEngine(t)
    }

    func acquireHostLock(_ job: BuildJob) -> Bool {
        let host = job.host
        if host.dependsHolder === job { return true }
        guard host.dependsHolder == nil, junkTasks[host] == nil else { return false }
        let name = locks.hostLockName(host: host.name)
        do {
            let lines = [("locked", name), ("dpb", "\(pid) on \(config.localHost)"), ("path", job.path.canonical),
                         ("start", LogFormat.epochWithDate(now()))]
            var created = try locks.create(name, lines: lines)
            if created == .alreadyLocked && removeDeadRunsHostLock(name) { created = try locks.create(name, lines: lines) }
            guard created == .created else { return false }
        } catch {
            storageFailed("\(error)", now())
            return false
        }
        host.dependsHolder = job
        return true
    }

    /// A host lock left by a bulkbuild of this machine that died while
    /// another run went on would keep that run waiting for good: it goes,
    /// as the stale locks of dead runs go at start.
    func removeDeadRunsHostLock(_ name: String) -> Bool {
        guard let c = locks.contents(name),
              let dead = LockDirectory.deadOwner(c, host: config.localHost, isAlive: processIsAlive) else { return false }
        locks.remove(name)
        reporter.event(.message("removed stale lock \(config.lockdir)/\(name) (bulkbuild \(dead) is gone)"), at: now())
        return true
    }

    func releaseHostLock(_ job: BuildJob) {
        let host = job.host
        guard host.dependsHolder === job else { return }
        // A job of this run waiting for the lock takes it over as it is:
        // the lock file is not removed only to be made again at once.
        if shutdownSignal == nil,
           let next = host.running.first(where: { $0 !== job && $0.waitingForLock && !$0.stopping }) {
            host.dependsHolder = next
            return
        }
        host.dependsHolder = nil
        locks.remove(locks.hostLockName(host: host.name))
    }

    func startPhase(_ job: BuildJob) {
        guard shutdownSignal == nil, !job.stopping else { return }
        if dueForMeasuring(job) { measureWorkDirectory(job); return }
        if job.phaseIndex >= job.phases.count { jobSucceeded(job); return }
        job.makeJobs = coresForPhase(job)
        if job.needsHostLock {
            if !acquireHostLock(job) { job.waitingForLock = true; return }
        } else {
            releaseHostLock(job)
        }
        job.waitingForLock = false
        let t = now()
        job.phaseStarted = t
        let phase = job.phase
        var argv = [config.make, "-C", config.portsdir, "-s", phase] + memoryArguments(job)
        if let n = job.makeJobs {
            argv.append("MAKE_JOBS=\(n)")
            job.mostMakeJobs = max(job.mostMakeJobs, n)
        }
        var environment = ["SUBDIR": job.path.canonical, "PHASE": phase]
        if phase == "depends", let update = config.update { environment["BULKBUILD_UPDATE"] = update.rawValue }
        // The runner writes the header where the phase's output goes.
        let spec = TaskSpec(argv: argv, environment: environment, logPath: job.logPath,
                            groupMark: taskMark(job.lockName, job.host),
                            logHeader: LogFormat.phaseHeader(phase: phase, path: job.path.canonical, time: t))
        job.handle = job.host.runner.start(spec) { [weak self] end in self?.phaseEnded(job, end) }
    }

    /// The `BULKBUILD_TASK` mark of every local task run under lock
    /// `lockName`: the same for all of a job's phases, so it goes into the
    /// lock once, when the lock is made, and a run that finds the lock
    /// stale can end what still carries it (`endDeadRunsTasks`). Remote
    /// tasks are their runner's business (nil).
    func taskMark(_ lockName: String, _ host: BuildHost) -> String? {
        host.isLocal ? "\(taskMarkPrefix)-\(lockName)" : nil
    }

    /// The lock line that records `taskMark`, if any.
    func taskMarkLine(_ lockName: String, _ host: BuildHost) -> [(String, String)] {
        taskMark(lockName, host).map { [("task", $0)] } ?? []
    }

    func phaseEnded(_ job: BuildJob, _ end: TaskEnd) {
        let t = now()
        job.phaseTimes.append((job.phase, t - job.phaseStarted))
        job.handle = nil
        if job.stopping || shutdownSignal != nil {
            releaseHostLock(job)
            removeJob(job)
            return
        }
        switch end {
        case .exited(0) where job.killReason == nil:
            let next = { [self] in
                job.phaseIndex += 1
                startPhase(job)
            }
            if job.current == .package { bringBackPackages(job, then: next) } else { next() }
        case .lost(let why):
            jobNotFinished(job, why)
        default:
            if job.phase == "clean" { cleanFailed(job.path, host: job.host.name, status: end.text) }
            jobFailed(job, status: job.killReason ?? end.text)
        }
    }

    /// Appends the run's own `text` to the job's port log.
    func appendToLog(_ job: BuildJob, _ text: String) throws {
        if let log = job.portLog { try log.write(text) } else { try files.append(text, to: job.logPath) }
    }

    func removeJob(_ job: BuildJob) {
        job.portLog = nil
        jobs.removeAll { $0 === job }
        job.host.running.removeAll { $0 === job }
        lockWatcher.lookSoon()
    }

    func jobSucceeded(_ job: BuildJob) {
        let t = now()
        releaseHostLock(job)
        guard files.exists(config.packageFile(job.record.pkgname)) else {
            if config.waitTimeout > 0 {
                waitForPackage(job, t)
            } else {
                packageNeverShowed(job, "missing package file")
            }
            return
        }
        jobBuilt(job, t)
    }

    /// The job ended well and its package file is there.
    func jobBuilt(_ job: BuildJob, _ t: Double) {
        let path = job.path
        writing(t) { try appendToLog(job, LogFormat.portEnd(time: t)) }
        writeBuildLog(job, t, failed: false)
        let also = siblingsWithPackages(of: path)
        removeJob(job)
        // Only a job that started from clean can have found a marker.
        if job.phases.first == .clean { files.remove(logs.dirtyWorkdirMarker(path.pkgpath)) }
        locks.remove(job.lockName)
        recordSuccess(job, t)
        engine.finished(path, .built(alsoBuilt: also))
        recordSignatures([path] + also, t)
        job.host.buildsSinceJunk += 1
        addHistory(.built, path: path.canonical, host: job.host.name, duration: t - job.started, detail: nil)
        reporter.event(.jobEnded(path: path.canonical, host: job.host.isLocal ? nil : job.host.name,
                                 seconds: t - job.started), at: t)
        flushEngine(t)
        reportSoon()
    }

    func jobFailed(_ job: BuildJob, status: String) {
        let t = now()
        // With the log directory failing, the build may have failed only
        // because its output could not be written: not the port's error.
        // It is redone by the next run, from clean, instead of keeping an
        // error lock.
        let wrote = writing(t) {
            try appendToLog(job, LogFormat.portError(status: status, host: job.host.name, time: t))
        }
        if !wrote || storageFailure != nil {
            jobNotFinished(job, "ended with \(status) while storage failed (\(storageFailure ?? "?"))")
            return
        }
        releaseHostLock(job)
        markWorkdirDirty(job.path, t)
        writeBuildLog(job, t, failed: true)
        removeJob(job)
        writing(t) {
            try locks.append(job.lockName, lines: [("status", status), ("todo", job.phase),
                                                   ("end", LogFormat.epochWithDate(t))])
        }
        lockWatcher.watch(job.path, lock: job.lockName)
        engine.finished(job.path, .failed)
        runRecord.failures[job.path.canonical] = RunSnapshot.Failure(path: job.path.canonical, host: job.host.isLocal ? nil : job.host.name,
                                                           logPath: job.logPath, locked: true)
        addHistory(.failed, path: job.path.canonical, host: job.host.name, duration: t - job.started, detail: job.logPath)
        reporter.event(.jobFailed(path: job.path.canonical, host: job.host.isLocal ? nil : job.host.name, log: job.logPath), at: t)
        if job.host.alwaysClean && job.current != .clean && shutdownSignal == nil {
            startCleanAfterFailure(job, t)
        }
        flushEngine(t)
        reportSoon()
    }

    /// ALWAYS_CLEAN: the work directory is cleaned even after an error. The
    /// clean is a task like any other: logged, stopped at shutdown, and a
    /// hot-fix of the port waits for it (its lock is only looked at again
    /// once the clean ended).
    func startCleanAfterFailure(_ job: BuildJob, _ t: Double) {
        writing(t) {
            try appendToLog(job, LogFormat.phaseHeader(phase: Phase.clean.rawValue, path: job.path.canonical, time: t))
        }
        let clean = Phase.clean.rawValue
        let spec = TaskSpec(argv: [config.make, "-C", config.portsdir, "-s", clean] + memoryArguments(job),
                            environment: ["SUBDIR": job.path.canonical, "PHASE": clean], logPath: job.logPath,
                            groupMark: taskMark(job.lockName, job.host))
        let lockName = job.lockName
        let handle = job.host.runner.start(spec) { [weak self] end in
            guard let self else { return }
            self.cleansAfterFailure.removeValue(forKey: lockName)
            if end.succeeded {
                files.remove(self.logs.dirtyWorkdirMarker(job.path.pkgpath))
            } else {
                self.cleanFailed(job.path, host: job.host.name, status: end.text)
                self.reporter.event(.message("clean of \(job.path.canonical) after its failure ended with \(end.text)"),
                                    at: self.now())
            }
            self.lockWatcher.lookSoon()
        }
        cleansAfterFailure[lockName] = handle
    }

    /// The work directory of `path` may hold leftovers and no lock of a
    /// running job says so any more: its next build, in this run or a later
    /// one, starts from clean. Written only then, not for every job: most
    /// builds end well, and a new file per port costs more than the rest of
    /// what the run does for it.
    @discardableResult
    func markWorkdirDirty(_ path: FullPkgPath, _ t: Double) -> Bool {
        writing(t) { try files.replace(logs.dirtyWorkdirMarker(path.pkgpath), with: "\(path.canonical)\n") }
    }

    /// clean.log: its work directory may still be there.
    func cleanFailed(_ path: FullPkgPath, host: String, status: String) {
        writing(now()) { try files.append(LogFormat.clean(path: path.canonical, host: host, status: status), to: logs.cleanLog) }
    }

    func jobNotFinished(_ job: BuildJob, _ why: String) {
        let t = now()
        releaseHostLock(job)
        writing(t) { try appendToLog(job, "bulkbuild: job did not finish on \(job.host.name): \(why)\n") }
        // Its work directory is in an unknown state: start over clean.
        lockWatcher.needsClean(job.path.pkgpath)
        removeJob(job)
        // Without the marker, the lock stays: the next run finds it stale
        // and starts the port from clean all the same.
        if markWorkdirDirty(job.path, t) { locks.remove(job.lockName) }
        engine.finished(job.path, .notFinished)
        addHistory(.notFinished, path: job.path.canonical, host: job.host.name, duration: nil, detail: why)
        reporter.event(.jobNotFinished(path: job.path.canonical, host: job.host.name, reason: why), at: t)
        flushEngine(t)
        reportSoon()
    }

    func writeBuildLog(_ job: BuildJob, _ t: Double, failed: Bool) {
        let size = files.size(job.logPath) ?? 0
        // The silence that ended the job counts too (a stuck job's longest).
        let maxStuck = max(job.maxStuck, t - job.lastGrowth)
        buildLog.write(LogFormat.build(path: job.path.canonical, host: job.host.name, jobs: job.host.slots,
                                       parallel: job.mostMakeJobs, seconds: t - job.started, logSize: size,
                                       maxStuck: maxStuck, phases: job.phaseTimes, failed: failed))
    }

    /// Other paths of the same build (subpackages) whose package files are
    /// there: one job makes them all.
    func siblingsWithPackages(of path: FullPkgPath) -> [FullPkgPath] {
        engine.unitMembers(of: path)
            .filter { $0.path != path && files.exists(config.packageFile($0.pkgname)) }
            .map { $0.path }
    }
}
