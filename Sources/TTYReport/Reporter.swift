import Engine

/// Things worth a line of their own in a plain log (and a flash on screen).
public enum ReportEvent: Sendable, Equatable {
    case jobStarted(path: String, host: String?)
    case jobEnded(path: String, host: String?, seconds: Double)
    case jobFailed(path: String, host: String?, log: String)
    case jobNotFinished(path: String, host: String?, reason: String)
    case ignored(path: String, reason: String)
    case hostDown(host: String, reason: String)
    case hostUp(host: String)
    case frozen(path: String, host: String?, seconds: Double)
    case killedStuck(path: String, host: String?, seconds: Double)
    case stopRequested
    case hotFix(path: String)
    /// Anything else important (warnings, listing problems).
    case message(String)
}

/// A way of showing the run. The coordinator calls these from its thread
/// only.
public protocol Reporter: AnyObject {
    /// A new picture of the run. `force` is set when a job started or
    /// ended, so the screen should redraw now rather than at its own pace.
    func update(_ snapshot: RunSnapshot, force: Bool)
    func event(_ event: ReportEvent, at time: Double)
    /// The run is over: leave the terminal as it was and print the final
    /// summary.
    func finish(_ snapshot: RunSnapshot)
    /// Leave the terminal usable (Ctrl-Z, fatal signal) / take it back.
    func suspend()
    func resume()
}
