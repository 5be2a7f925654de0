import CPosix
import Engine
import Foundation
import HostPool
import Logs
import TTYReport

/// Watching the lock directory: a lock that goes away requeues its paths
/// (L) or lists an errored port again (hot-fix).
extension Coordinator {
    func recheckLocks(_ t: Double) {
        // A port still being cleaned after its failure is not rebuilt yet:
        // its hot-fix is taken once the clean has ended.
        for path in lockWatcher.vanished(at: t, wait: { cleansAfterFailure[$0] != nil }) { lockVanished(path, t) }
    }

    /// A lock that kept `path` in E or L went away. The lock of a failure
    /// is a hot-fix whichever run failed: in L when an earlier run did.
    func lockVanished(_ path: FullPkgPath, _ t: Double) {
        let record = engine.record(for: path)
        let exists = record.map { files.exists(config.packageFile($0.pkgname)) } ?? false
        let state = engine.state(of: path)
        let failed = lockWatcher.takeFailed(path)
        if state == .error || (state == .locked && failed && !exists) {
            reporter.event(.hotFix(path: path.canonical), at: t)
            lockWatcher.needsClean(path.pkgpath)
            // Copy hosts get the fixed port directory before its retry.
            for host in hosts { host.files?.stale.insert(path.pkgpath.value) }
            runRecord.failures.removeValue(forKey: path.canonical)
        }
        engine.lockGone(path, packageExists: exists, failed: failed)
    }
}
