import CPosix

/// The run's notion of time, injected so that tests and simulations run the
/// coordinator in virtual time.
public protocol RunClock: AnyObject {
    /// Seconds since the epoch.
    func now() -> Double
}

/// The wall clock.
public final class SystemClock: RunClock {
    public init() {}
    public func now() -> Double { cp_now() }
}
