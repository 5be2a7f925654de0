// A minimal coordinator loop for callers that just want to run a few tasks
// and wait: `bulkbuild hosts`, the tests and the benchmark. It owns a
// CoordinatorQueue and a ChildReaper and waits on the queue's eventfd plus
// one pidfd per local child it started (no signal handling needed).
import CPosix
#if canImport(Glibc)
import Glibc
#endif

public final class SyncDriver {
    public let queue = CoordinatorQueue()
    public let reaper = ChildReaper()
    private var pidfds: [Int32] = []

    public init() {}

    /// Starts `spec` on `runner`; a local child's pidfd is watched.
    @discardableResult
    public func start(_ runner: TaskRunner, _ spec: TaskSpec,
                      completion: @escaping (TaskEnd) -> Void) -> TaskHandle {
        var pfd: Int32 = -1
        let handle = runner.start(spec) { [weak self] end in
            if pfd >= 0, let me = self {
                me.pidfds.removeAll { $0 == pfd }
                close(pfd)
            }
            completion(end)
        }
        if runner.isLocal, handle.pid > 0 {
            pfd = cp_pidfd_open(handle.pid)
            if pfd >= 0 { pidfds.append(pfd) }
        }
        return handle
    }

    /// Runs queued work and reaps children until `done()` or the deadline
    /// (seconds from now). True when `done()` became true.
    @discardableResult
    public func run(until done: () -> Bool, timeout: Double) -> Bool {
        let deadline = cp_monotonic() + timeout
        while !done() {
            let left = deadline - cp_monotonic()
            if left <= 0 { return false }
            var fds = [pollfd(fd: queue.fd, events: Int16(POLLIN), revents: 0)]
            for p in pidfds { fds.append(pollfd(fd: p, events: Int16(POLLIN), revents: 0)) }
            // Local children started without `start` (HostInit's) have no
            // pidfd here: look for them every few milliseconds.
            let blind = reaper.count > pidfds.count
            let ms = blind ? 5 : Int32(min(left, 1) * 1000) + 1
            let n = poll(&fds, nfds_t(fds.count), ms)
            if blind || fds.dropFirst().contains(where: { $0.revents != 0 }) { reaper.reap() }
            if n > 0 && fds[0].revents != 0 { queue.drain() }
        }
        return true
    }

    /// Runs one task to its end (or `.lost("timed out")` after `timeout`).
    public func runTask(_ runner: TaskRunner, _ spec: TaskSpec, timeout: Double) -> TaskEnd {
        var result: TaskEnd? = nil
        let handle = start(runner, spec) { result = $0 }
        if !run(until: { result != nil }, timeout: timeout) {
            handle.stop(hard: true)
            _ = run(until: { result != nil }, timeout: 5)
            return result ?? .lost("timed out after \(Int(timeout)) s")
        }
        return result!
    }
}
