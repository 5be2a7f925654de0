import CPosix
import Engine
import Foundation
import HostPool
import Logs

/// Copy hosts (`copy=1`): the tree, the distfiles and the packages a job
/// needs travel to the host before the job, and the packages it made come
/// back before it counts as built. Transfers run beside other jobs' builds;
/// a job that waits for one shows it as its phase.
extension Coordinator {
    /// Before the first phase of a job on a copy host: the tree (first job
    /// there), the port's directory when it changed, its distfiles and the
    /// packages its `depends` installs. Other hosts start at once.
    func sendJobFiles(_ job: BuildJob, _ t: Double) {
        guard let files = job.host.files else { startPhase(job); return }
        beginTransfer(job, .sending, t)
        mirrorTree(files, job.host) { [weak self] result in
            guard let self, self.stillRunning(job) else { return }
            if case .failure(let e) = result {
                if case .linkLost = e {
                    self.transferFailed(job, "mirroring the ports tree", e)
                } else {
                    // Not the port's fault: the host cannot hold the tree
                    // (or the master cannot read it). Its jobs go elsewhere.
                    self.copyHostUnusable(job.host, "cannot mirror \(self.config.portsdir) there: \(e.text)")
                    self.jobNotFinished(job, "mirroring the ports tree: \(e.text)")
                }
                return
            }
            let batch = TransferBatch { [weak self] result in
                guard let self, self.stillRunning(job) else { return }
                switch result {
                case .success(let stats): self.endTransfer(job, .sending, stats) { self.startPhase(job) }
                case .failure(let e): self.transferFailed(job, "sending files", e)
                }
            }
            let pkgpath = job.path.pkgpath.value
            if files.portNeedsMirror(pkgpath, newestChange: newestChange(under: self.config.portsdir + "/" + pkgpath)) {
                let since = cp_now()
                let done = batch.member()
                files.carrier.mirror(self.config.portsdir, to: self.config.portsdir, only: [pkgpath],
                                     excluding: self.treeExclusions) { result in
                    if case .success(let s) = result {
                        HostFiles.add(&files.sent, s)
                        files.portSynced[pkgpath] = since
                        files.stale.remove(pkgpath)
                    }
                    done(result)
                }
            }
            for path in self.jobInputs(job) { self.send(path, to: files, for: job, batch.member()) }
            batch.seal()
        }
    }

    /// After a successful `package` on a copy host: its package files come
    /// back into the master's repository before the job goes on. The job's
    /// own package must arrive; another subpackage of the same build that
    /// the host did not make is not an error.
    func bringBackPackages(_ job: BuildJob, then next: @escaping () -> Void) {
        guard let files = job.host.files else { next(); return }
        let t = now()
        beginTransfer(job, .bringingBack, t)
        var names = [job.record.pkgname]
        for m in engine.unitMembers(of: job.path) where !m.pkgname.isEmpty && !names.contains(m.pkgname) {
            names.append(m.pkgname)
        }
        var arrived: [String] = []
        let batch = TransferBatch { [weak self] result in
            guard let self else { return }
            guard self.stillRunning(job) else {
                // Stopped meanwhile: a package it did not finish with is not used.
                for path in arrived { self.files.remove(path) }
                return
            }
            switch result {
            case .success(let stats): self.endTransfer(job, .bringingBack, stats, then: next)
            case .failure(let e):
                for path in arrived { self.files.remove(path) }
                self.transferFailed(job, "bringing back packages", e)
            }
        }
        for (i, name) in names.enumerated() {
            let path = config.packageFile(name)
            let done = batch.member()
            files.carrier.fetch(path, to: path) { [weak self] result in
                switch result {
                case .success:
                    arrived.append(path)
                    // Built there: the host has it, no need to send it back.
                    if let hex = try? self?.fileDigests.hex(path) { files.has[path] = hex }
                    done(result)
                case .failure(.remote) where i > 0:
                    done(.success(TransferStats()))
                case .failure:
                    done(result)
                }
            }
        }
        batch.seal()
    }

    /// The job is still this run's and not being stopped.
    func stillRunning(_ job: BuildJob) -> Bool {
        !job.stopping && shutdownSignal == nil && jobs.contains { $0 === job }
    }

    /// Paths a job needs on its host before it starts: the port's distfiles
    /// that the master has (the others are fetched by the job itself), and
    /// the packages its `depends` installs.
    func jobInputs(_ job: BuildJob) -> [String] {
        var out: [String] = []
        for d in job.record.fetch.files {
            let path = config.tree.distdir + "/" + d.key
            if FileIO.exists(path) { out.append(path) }
        }
        for name in engine.neededPackages(for: job.path) {
            let path = config.packageFile(name)
            if files.exists(path) { out.append(path) }
        }
        return out
    }

    /// Sends one file unless the host has that version already or a send
    /// of it is under way (then `done` waits for that one).
    func send(_ path: String, to files: HostFiles, for job: BuildJob, _ done: @escaping HostFiles.Completion) {
        let hex: String
        do {
            hex = try fileDigests.hex(path)
        } catch let e as TransferError {
            done(.failure(e))
            return
        } catch {
            done(.failure(.local(path: path, message: "\(error)")))
            return
        }
        if files.has[path] == hex { done(.success(TransferStats())); return }
        if files.sending[path] != nil {
            // What crosses the link is counted for the job that asked first.
            files.sending[path]?.append { result in done(result.map { _ in TransferStats() }) }
            return
        }
        files.sending[path] = [done]
        files.carrier.send(path, to: path, sha256: hex) { [weak self] result in
            if case .success(let s) = result {
                files.has[path] = hex
                HostFiles.add(&files.sent, s)
                // Each file that crossed, in the log of the job it went for.
                if s.bytes > 0, let self {
                    self.writing(self.now()) { try self.appendToLog(job, LogFormat.fileSent(path, bytes: s.bytes)) }
                }
            }
            for waiter in files.sending.removeValue(forKey: path) ?? [] { waiter(result) }
        }
    }

    /// The whole tree, once per connection, before the host's first job;
    /// jobs that come meanwhile wait for the same mirror.
    func mirrorTree(_ files: HostFiles, _ host: BuildHost, _ done: @escaping HostFiles.Completion) {
        switch files.tree {
        case .mirrored: done(.success(TransferStats())); return
        case .mirroring: files.waitingForTree.append(done); return
        case .missing: break
        }
        files.tree = .mirroring
        files.waitingForTree = [done]
        let since = cp_now()
        let started = now()
        files.carrier.mirror(config.portsdir, to: config.portsdir, only: nil, excluding: treeExclusions) { [weak self] result in
            guard let self else { return }
            let t = self.now()
            switch result {
            case .success(let s):
                files.tree = .mirrored
                files.treeSince = since
                files.portSynced = [:]
                files.stale = []
                HostFiles.add(&files.sent, s)
                self.hostsLog.write(LogFormat.hostTransfer(pid: self.pid, time: t, host: host.name, what: "mirrored \(self.config.portsdir)",
                                                           files: s.files, bytes: s.bytes, seconds: t - started))
            case .failure(let e):
                files.tree = .missing
                self.hostsLog.write(LogFormat.hostTransferFailed(pid: self.pid, time: t, host: host.name,
                                                                 what: "mirroring \(self.config.portsdir)", reason: e.text))
            }
            let waiting = files.waitingForTree
            files.waitingForTree = []
            for w in waiting { w(result) }
        }
    }

    /// Relative names under PORTSDIR that the mirror leaves alone on both
    /// sides: the repository, distfiles, logs and locks when they lie in
    /// the tree (they travel file by file, or stay on the master), and the
    /// work areas (WRKOBJDIR, LOCALBASE: each host's own; one under a
    /// hidden top directory, as the demo tree's `.work/HOST/localbase`,
    /// leaves that whole directory alone, since its path differs by host).
    /// Everything else of the tree is mirrored, hidden entries included:
    /// a tree may keep state there that its targets expect.
    var treeExclusions: [String] {
        let root = config.portsdir.hasSuffix("/") ? String(config.portsdir.dropLast()) : config.portsdir
        func inside(_ path: String?) -> String? {
            guard let p = path, p.hasPrefix(root + "/") else { return nil }
            let rel = String(p.dropFirst(root.count + 1))
            return rel.isEmpty ? nil : rel
        }
        var out: [String] = []
        func add(_ rel: String) { if !out.contains(rel) { out.append(rel) } }
        for p in [config.tree.packageRepository, config.tree.distdir, config.logdir, config.lockdir] {
            if let rel = inside(p) { add(rel) }
        }
        for p in [config.tree.wrkobjdir, config.tree.localbase] {
            guard let rel = inside(p) else { continue }
            let top = String(rel.split(separator: "/").first ?? Substring(rel))
            add(top.hasPrefix(".") ? top : rel)
        }
        return out
    }

    func beginTransfer(_ job: BuildJob, _ step: TransferStep, _ t: Double) {
        job.transfer = step
        job.transferStarted = t
        writing(t) { try appendToLog(job, LogFormat.transferHeader(step.logTitle, path: job.path.canonical, time: t)) }
        reportSoon()
    }

    /// A transfer step ended well: its volume in the port's log and
    /// hosts.log, then the job goes on (its silence is measured afresh).
    func endTransfer(_ job: BuildJob, _ step: TransferStep, _ stats: TransferStats, then next: () -> Void) {
        let t = now()
        let seconds = t - job.transferStarted
        job.transfer = nil
        job.lastGrowth = t
        if step == .bringingBack, let files = job.host.files { HostFiles.add(&files.broughtBack, stats) }
        writing(t) {
            try appendToLog(job, LogFormat.transferDone(files: stats.files, bytes: stats.bytes, seconds: seconds))
        }
        hostsLog.write(LogFormat.hostTransfer(pid: pid, time: t, host: job.host.name,
                                              what: "\(step.hostsLogVerb) for \(job.path.canonical)",
                                              files: stats.files, bytes: stats.bytes, seconds: seconds))
        next()
    }

    /// A lost link makes the job not finished (the host is down; it is
    /// built again elsewhere or later); any other failure is an error of
    /// the job, with the reason in its log, engine.log and hosts.log.
    func transferFailed(_ job: BuildJob, _ what: String, _ e: TransferError) {
        let t = now()
        job.transfer = nil
        let reason = "\(what): \(e.text)"
        hostsLog.write(LogFormat.hostTransferFailed(pid: pid, time: t, host: job.host.name,
                                                    what: "\(what) for \(job.path.canonical)", reason: e.text))
        if case .linkLost = e {
            jobNotFinished(job, reason)
            return
        }
        writing(t) { try appendToLog(job, "bulkbuild: \(reason)\n") }
        engineLog.write(LogFormat.transferFailure(pid: pid, time: t, path: job.path.canonical, host: job.host.name,
                                                  reason: reason))
        jobFailed(job, status: reason)
    }

    /// A copy host without the tree gets no more jobs this run.
    func copyHostUnusable(_ host: BuildHost, _ why: String) {
        guard host.state != .failed else { return }
        host.model.markFailed(why)
        host.seen = host.model.status
        hostsLog.write("\(pid)@\(FileIO.stamp(now())): \(host.name) failed: \(why)\n")
        reporter.event(.hostDown(host: host.name, reason: why), at: now())
    }

    /// hosts.log at the end: what each copy host moved in the run.
    func logTransferTotals(_ t: Double) {
        for host in hosts {
            guard let files = host.files else { continue }
            hostsLog.write(LogFormat.hostTransferTotals(pid: pid, time: t, host: host.name,
                                                        sent: (files.sent.files, files.sent.bytes, files.sent.seconds),
                                                        broughtBack: (files.broughtBack.files, files.broughtBack.bytes,
                                                                      files.broughtBack.seconds)))
        }
    }
}
