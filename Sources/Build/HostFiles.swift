import CPosix
import Foundation
import HostPool
import Logs

/// What a copy host (`copy=1`: it shares no file system with the master)
/// holds of the master's files, and the transfers to it under way. A file
/// has the same path on both sides (the tree protocol's paths do not
/// change), so one path names it. Coordinator thread only.
final class HostFiles {
    typealias Completion = (Result<TransferStats, TransferError>) -> Void

    enum TreeState { case missing, mirroring, mirrored }

    let carrier: FileCarrier
    var tree: TreeState = .missing
    /// Wall-clock time (the file system's clock, not the run's) at which the
    /// last full mirror started: a port directory changed after it is
    /// brought in step again before its next job here.
    var treeSince = 0.0
    /// Jobs waiting for the mirror under way.
    var waitingForTree: [Completion] = []
    /// SHA-256 (hex) of each file the host has, by path: sent there, or
    /// built there and brought back.
    var has: [String: String] = [:]
    /// Sends under way, by path, and who waits for each: one send serves
    /// every job that needs the file meanwhile.
    var sending: [String: [Completion]] = [:]
    /// Port directories (pkgpaths) brought in step since the full mirror,
    /// with the wall-clock time each one's mirror started.
    var portSynced: [String: Double] = [:]
    /// Port directories to send again before their next job (hot-fixes).
    var stale: Set<String> = []
    /// Totals of the run, for hosts.log.
    var sent = TransferStats()
    var broughtBack = TransferStats()

    init(carrier: FileCarrier) { self.carrier = carrier }

    /// The connection went away: what was completely written there stays
    /// (transfers are all or nothing), but the tree is mirrored again before
    /// the next job, in case the host changed meanwhile; only differences
    /// cross the link.
    func connectionLost() {
        if tree == .mirrored { tree = .missing }
    }

    /// Whether `pkgpath`'s directory must be brought in step before a job:
    /// marked by a hot-fix, or changed on the master since it was last sent.
    func portNeedsMirror(_ pkgpath: String, newestChange: Double) -> Bool {
        if stale.contains(pkgpath) { return true }
        // Slack: file times lag the clock by up to a timer tick.
        return newestChange >= (portSynced[pkgpath] ?? treeSince) - 0.05
    }

    static func add(_ a: inout TransferStats, _ b: TransferStats) {
        a.bytes += b.bytes
        a.files += b.files
        a.seconds += b.seconds
    }
}

/// Several transfers for one job at once: `done` gets the sum of what they
/// moved, or the first failure (a lost link before any other error, since
/// it makes the job a host-down casualty rather than an error).
final class TransferBatch {
    private var left = 0
    private var sealed = false
    private var total = TransferStats()
    private var failure: TransferError?
    private let done: HostFiles.Completion

    init(done: @escaping HostFiles.Completion) { self.done = done }

    /// A completion for one more transfer of the batch.
    func member() -> HostFiles.Completion {
        left += 1
        return { [self] result in
            switch result {
            case .success(let s): HostFiles.add(&total, s)
            case .failure(let e):
                if case .linkLost = e { failure = e } else if failure == nil { failure = e }
            }
            left -= 1
            finishIfDone()
        }
    }

    /// Every member is added: `done` runs once they have all ended.
    func seal() {
        sealed = true
        finishIfDone()
    }

    private func finishIfDone() {
        guard sealed, left == 0 else { return }
        sealed = false
        done(failure.map { .failure($0) } ?? .success(total))
    }
}

/// SHA-256 of the master's files, computed once per file version (size,
/// modification and change times): a package sent to several hosts is
/// hashed once.
final class FileDigests {
    private var known: [String: (stamp: [Int64], hex: String)] = [:]

    func hex(_ path: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw TransferError.local(path: path, message: "cannot stat: " + String(cString: strerror(cp_errno())))
        }
        let stamp = [Int64(st.st_size), Int64(st.st_mtim.tv_sec), Int64(st.st_mtim.tv_nsec),
                     Int64(st.st_ctim.tv_sec), Int64(st.st_ctim.tv_nsec), Int64(st.st_ino)]
        if let k = known[path], k.stamp == stamp { return k.hex }
        let hex = try FileDigest.sha256(of: path).hex
        known[path] = (stamp, hex)
        return hex
    }
}

/// The newest change time (modification or inode change, so that a file
/// moved in counts) of anything under `directory`, in wall-clock seconds;
/// 0 when it cannot be read.
func newestChange(under directory: String) -> Double {
    var newest = 0.0
    func seconds(_ t: timespec) -> Double { Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 }
    func visit(_ path: String, depth: Int) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        newest = max(newest, seconds(st.st_mtim), seconds(st.st_ctim))
        guard (st.st_mode & S_IFMT) == S_IFDIR, depth < 32,
              let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names { visit(path + "/" + name, depth: depth + 1) }
    }
    visit(directory, depth: 0)
    return newest
}
