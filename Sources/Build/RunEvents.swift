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
    /// Pipes read on this thread when readable (the local agent's replies).
    private var watched: [(fd: Int32, readable: () -> Void)] = []

    /// Blocks the handled signals in this thread: create it before any
    /// other thread starts.
    public init(queue: CoordinatorQueue, reaper: ChildReaper) {
        signals = SignalSource()
        self.queue = queue
        self.reaper = reaper
    }

    /// `readable` runs in `wait` whenever `fd` can be read (or has ended).
    public func watch(_ fd: Int32, _ readable: @escaping () -> Void) {
        watched.append((fd, readable))
    }

    public func unwatch(_ fd: Int32) {
        watched.removeAll { $0.fd == fd }
    }

    public func wait(timeout: Double) -> [Int32] {
        var fds = [pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: queue.fd, events: Int16(POLLIN), revents: 0)]
        for w in watched { fds.append(pollfd(fd: w.fd, events: Int16(POLLIN), revents: 0)) }
        let n = poll(&fds, nfds_t(fds.count), Int32(max(0, timeout) * 1000))
        guard n > 0 else { return [] }
        // Replies first: a task's end read here before SIGCHLD of its agent.
        let ready = watched.enumerated().filter { fds[$0.offset + 2].revents != 0 }.map { $0.element.readable }
        for r in ready { r() }
        var out: [Int32] = []
        if fds[0].revents != 0 {
            for s in signals.take() {
                if s == SIGCHLD { reaper.reap() } else { out.append(s) }
            }
        }
        if fds[1].revents != 0 { queue.drain() }
        return out
    }
}
