import CPosix
import HostPool
#if canImport(Glibc)
import Glibc
#endif

/// What wakes the coordinator between two passes: signals, work posted by
/// other threads (ssh sessions), local children that ended. Injected, so a
/// test can drive the same coordinator with fake tasks in virtual time.
public protocol RunEvents: AnyObject {
    /// Waits at most `timeout` seconds. Completions and posted work are run
    /// before it returns; the signals that arrived are returned in order.
    func wait(timeout: Double) -> [Int32]
}

/// The real thing: poll() on a signalfd and the coordinator queue's
/// eventfd; SIGCHLD reaps children through the reaper.
public final class PollEvents: RunEvents {
    let signals: SignalSource
    let queue: CoordinatorQueue
    let reaper: ChildReaper
    /// Pipes read on this thread when readable (the local agent's replies);
    /// the handler says whether what it read matters to the run's next
    /// pass (a task that ended) or not (a task that started).
    private var watched: [(fd: Int32, readable: () -> Bool)] = []

    /// Blocks the handled signals in this thread: create it before any
    /// other thread starts.
    public init(queue: CoordinatorQueue, reaper: ChildReaper) {
        signals = SignalSource()
        self.queue = queue
        self.reaper = reaper
    }

    /// `readable` runs in `wait` whenever `fd` can be read (or has ended).
    public func watch(_ fd: Int32, _ readable: @escaping () -> Bool) {
        watched.append((fd, readable))
    }

    public func unwatch(_ fd: Int32) {
        watched.removeAll { $0.fd == fd }
    }

    /// Returns when something the run's pass must see happened (a signal,
    /// posted work, a watched handler that says so) or at the timeout: a
    /// task that only started is not worth a pass.
    public func wait(timeout: Double) -> [Int32] {
        let deadline = cp_monotonic() + max(0, timeout)
        var fds: [pollfd] = []
        while true {
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: queue.fd, events: Int16(POLLIN), revents: 0))
            for w in watched { fds.append(pollfd(fd: w.fd, events: Int16(POLLIN), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), Int32(max(0, deadline - cp_monotonic()) * 1000))
            guard n > 0 else { return [] }
            // Replies first: a task's end read here before SIGCHLD of its agent.
            var changed = false
            // (By index: a handler may unwatch; the list of this poll stays.)
            let polled = watched
            for i in polled.indices where fds[i + 2].revents != 0 && polled[i].readable() { changed = true }
            var out: [Int32] = []
            if fds[0].revents != 0 {
                changed = true
                for s in signals.take() {
                    if s == SIGCHLD { reaper.reap() } else { out.append(s) }
                }
            }
            if fds[1].revents != 0 {
                changed = true
                queue.drain()
            }
            if changed || cp_monotonic() >= deadline { return out }
        }
    }
}
