import Engine
import Foundation
import HostPool
import Logs

/// -M: each host with a memory threshold mounts its tmpfs once, after its
/// init and before it gets any job, and unmounts it at the end of the run.
/// A port whose recorded size fits builds with WRKOBJDIR in there.
extension Coordinator {
    func memoryMountPoint() -> String { MemoryBuilds.mountPoint(root: config.memoryRoot, lockdir: config.lockdir) }

    /// Mounts the host's tmpfs (cleaning up one a crashed run left); the
    /// host comes up only if that worked: it never builds on disk instead.
    func mountMemory(_ host: BuildHost, then ready: @escaping () -> Void) {
        guard let threshold = host.memoryThreshold else { ready(); return }
        let dir = memoryMountPoint()
        if let why = takeMemoryLock(host, dir) {
            memoryUnavailable(host, why)
            return
        }
        let spec = TaskSpec(argv: MemoryBuilds.mountCommand(at: dir, kilobytes: MemoryBuilds.mountKilobytes(threshold: threshold)),
                            logPath: logs.initLog(host: host.name))
        _ = host.runner.start(spec) { [weak self] end in
            guard let self else { return }
            let t = self.now()
            // The connection went away: the host is down already, and its
            // init (this mount included) runs again when it comes back.
            if case .lost = end { self.locks.remove(self.memoryLockName(host)); return }
            if end.succeeded {
                host.memoryMount = dir
                self.hostsLog.write("\(self.pid)@\(FileIO.stamp(t)): \(host.name) memory file system at \(dir) (\(threshold) KiB of ports)\n")
                ready()
                return
            }
            self.locks.remove(self.memoryLockName(host))
            self.memoryUnavailable(host, "cannot mount a tmpfs at \(dir) for -M (\(end.text); it needs root with CAP_SYS_ADMIN on that host; see \(self.logs.initLog(host: host.name)))")
        }
    }

    /// The host builds nothing: never on disk in place of memory.
    func memoryUnavailable(_ host: BuildHost, _ why: String) {
        let t = now()
        host.model.markFailed(why)
        host.seen = host.model.status
        hostsLog.write("\(pid)@\(FileIO.stamp(t)): \(host.name) init failed: \(why)\n")
        reporter.event(.hostDown(host: host.name, reason: why), at: t)
        reportSoon()
    }

    func memoryLockName(_ host: BuildHost) -> String { "memory:" + host.name }

    /// Runs that share the lock directory share the mount point: a lock
    /// says which one uses a host's, so that no run unmounts the tmpfs of
    /// another that is still alive. A dead owner's lock is taken over (the
    /// mount it left is replaced). nil when taken, else why not.
    func takeMemoryLock(_ host: BuildHost, _ dir: String) -> String? {
        let name = memoryLockName(host)
        let lines = [("locked", name), ("dpb", "\(pid) on \(config.localHost)"), ("mount", dir)]
        do {
            if try locks.create(name, lines: lines) == .created { return nil }
            // Another run's lock, unless that run was of this host and is gone.
            if let c = locks.contents(name), let owner = LockDirectory.owner(c), owner.pid != pid,
               LockDirectory.deadOwner(c, host: config.localHost, isAlive: processIsAlive) == nil {
                return "its memory file system \(dir) is in use by bulkbuild \(owner.pid) on \(owner.host) (lock \(config.lockdir)/\(name))"
            }
            locks.remove(name)
            return try locks.create(name, lines: lines) == .created ? nil : "lock \(config.lockdir)/\(name) is held"
        } catch {
            return "cannot lock \(config.lockdir)/\(name): \(error)"
        }
    }

    /// Decides where a starting job's work directory goes.
    func placeInMemory(_ job: BuildJob) {
        guard let threshold = job.host.memoryThreshold, let mount = job.host.memoryMount else { return }
        let size = sizes.kilobytes(of: job.path.canonical, pkgpath: job.path.pkgpath.value)
        let running = job.host.running.filter { $0.memoryDirectory != nil }.map(\.memoryKilobytes)
        guard MemoryBuilds.fits(size: size, inMemory: running, threshold: threshold), let size else { return }
        job.memoryDirectory = mount + "/" + job.lockName
        job.memoryKilobytes = size
    }

    /// The make command line's WRKOBJDIR for a job built in memory.
    func memoryArguments(_ job: BuildJob) -> [String] {
        job.memoryDirectory.map { ["WRKOBJDIR=\($0)"] } ?? []
    }

    /// At the end: unmounts every host's tmpfs, one task each; true while
    /// that is going on (the run finishes once they all ended).
    func unmountMemory(then done: @escaping () -> Void) -> Bool {
        if !memoryUnmounts.isEmpty { return true }
        let mounted = hosts.filter { $0.memoryMount != nil && $0.state != .down }
        guard !mounted.isEmpty else { return false }
        for host in mounted {
            guard let dir = host.memoryMount else { continue }
            host.memoryMount = nil
            let spec = TaskSpec(argv: MemoryBuilds.unmountCommand(at: dir), logPath: logs.initLog(host: host.name))
            memoryUnmounts[host] = host.runner.start(spec) { [weak self] end in
                guard let self else { return }
                self.memoryUnmounts.removeValue(forKey: host)
                self.locks.remove(self.memoryLockName(host))
                if !end.succeeded {
                    self.reporter.event(.message("\(host.name): could not unmount \(dir) (\(end.text)); the next run will"),
                                        at: self.now())
                }
                if self.memoryUnmounts.isEmpty { done() }
            }
        }
        return !memoryUnmounts.isEmpty
    }
}
