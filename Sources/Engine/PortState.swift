/// The states of a path in the engine, named by the letters dpb writes to
/// engine.log.
public enum PortState: String, Sendable, Codable, CaseIterable {
    case toBuild = "T"
    case fetchQueued = "F"
    case queued = "Q"
    case running = "J"
    case built = "B"
    case installable = "I"
    case ignored = "!"
    case locked = "L"
    case notFinished = "N"
    case error = "E"
    case setAside = "^"
    case requeued = "V"
    case affinityMismatch = "A"
    case affinityOverride = "Y"
    case tagMismatch = "K"
    case tagCleanup = "C"
    case waitingPackage = "H"
    case unneeded = "P"

    public var letter: String { rawValue }
}

/// One line of engine.log: the path (or `path:distfile`), its new state,
/// and the extra text dpb puts after the path.
public struct StateChange: Equatable, Sendable {
    public let subject: String
    public let state: PortState
    public let extra: String
    public init(subject: String, state: PortState, extra: String = "") {
        self.subject = subject; self.state = state; self.extra = extra
    }
}
