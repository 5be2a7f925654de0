import Engine
import Logs

/// The lock directory as the run watches it, with the state that goes
/// with it: the lock names whose going away means a hot-fix (a failed port)
/// or a released port (one another run held), the ports whose next build
/// must start from `clean`, and when to look again.
final class LockWatcher {
    let locks: LockDirectory
    /// Lock name -> the paths it keeps in E or L (several paths of one
    /// directory share a lock name).
    private(set) var watched: [String: [FullPkgPath]] = [:]
    /// Interrupted, failed, lost or hot-fixed: their work directory may
    /// hold anything.
    private var cleanFirst = Set<PkgPath>()
    /// Ports whose job a dead run left behind (stale locks removed at start).
    private var interrupted = Set<PkgPath>()
    private var lastLook = -Double.infinity
    private var due = true
    /// Seconds between two looks when nothing asked for one sooner.
    static let interval = 2.0

    init(locks: LockDirectory) { self.locks = locks }

    /// Watched paths whose lock holds a failure (`status=` or `error=`).
    private var failedLocks = Set<FullPkgPath>()

    func watch(_ path: FullPkgPath, lock name: String) {
        watched[name, default: []].append(path)
        if let c = locks.contents(name), c["status"] != nil || c["error"] != nil { failedLocks.insert(path) }
    }

    /// Whether the lock that kept `path` waiting was a failure's, an
    /// earlier run's included (asked once, when it has gone).
    func takeFailed(_ path: FullPkgPath) -> Bool { failedLocks.remove(path) != nil }

    /// Something may have changed (a job ended, a listing was fed): look at
    /// the next pass.
    func lookSoon() { due = true }
    func shouldLook(at t: Double) -> Bool { due || t - lastLook >= LockWatcher.interval }

    /// The watched paths whose lock has gone since the last look, except
    /// those of lock names that `wait` holds back for now (their paths are
    /// handed out by a later look).
    func vanished(at t: Double, wait: (String) -> Bool) -> [FullPkgPath] {
        due = false
        lastLook = t
        guard !watched.isEmpty else { return [] }
        let present = locks.names()
        var out: [FullPkgPath] = []
        for (name, paths) in watched where !present.contains(name) && !wait(name) {
            watched.removeValue(forKey: name)
            out += paths
        }
        return out
    }

    func needsClean(_ p: PkgPath) { cleanFirst.insert(p) }
    /// Whether the next build of `p` starts with `clean` (asked once per build).
    func takeCleanFirst(_ p: PkgPath) -> Bool { cleanFirst.remove(p) != nil }
    func wasInterrupted(_ p: PkgPath) -> Bool { interrupted.contains(p) }

    /// Removes the stale locks of dead runs of this host (see
    /// LockDirectory.cleanStale); their ports start from clean. Returns the
    /// lock names with the paths they locked.
    func removeStale(host: String, endTask: ([String: String]) -> Bool) -> [(name: String, locked: String)] {
        let removed = locks.cleanStale(host: host, isAlive: processIsAlive, endTask: endTask)
        for (_, locked) in removed {
            guard let p = try? FullPkgPath(locked) else { continue }
            cleanFirst.insert(p.pkgpath)
            interrupted.insert(p.pkgpath)
        }
        return removed
    }

    /// Whether another live bulkbuild of this host holds a watched lock (it
    /// will release it: worth waiting for). A lock gone since the last look
    /// counts too: the next look requeues its paths.
    func heldByLiveRun(host: String, ownPid: Int32) -> Bool {
        for name in watched.keys {
            guard let c = locks.contents(name) else { return true }
            guard c["error"] == nil, c["status"] == nil, let owner = LockDirectory.owner(c) else { continue }
            if owner.host == host, owner.pid != ownPid,
               LockDirectory.deadOwner(c, host: host, isAlive: processIsAlive) == nil { return true }
        }
        return false
    }
}
