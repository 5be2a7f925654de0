import CPosix
#if canImport(Glibc)
import Glibc
#endif

/// The signals the coordinator handles, read from a signalfd in its poll
/// loop instead of in handlers. They are blocked in every thread (so the
/// mask must be set before any thread starts); children get an empty mask
/// from the spawner.
public final class SignalSource {
    public static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGWINCH, SIGTSTP, SIGCONT]
    public let fd: Int32

    public init() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in SignalSource.handled { sigaddset(&set, s) }
        _ = cp_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
        fd = signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
    }

    /// Signals that arrived since the last call, in order.
    public func take() -> [Int32] {
        var out: [Int32] = []
        var info = signalfd_siginfo()
        while read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            out.append(Int32(info.ssi_signo))
        }
        return out
    }
}
