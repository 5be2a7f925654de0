// Files that travel to and from a build host that shares no file system
// with the master (a `copy` host). A runner that can carry files over its
// host's connection conforms to FileCarrier; the coordinator asks it for
// what a job needs before the job and for what it made after.
//
// Every transfer is all or nothing at the destination: bytes go to a
// temporary name beside the final one, the SHA-256 is checked at the
// receiving end, and only then is the file renamed into place. A transfer
// that is cut (link lost, disk full, damage) leaves no file at the final
// name, so nothing half-transferred is ever used.

/// What one transfer moved.
public struct TransferStats: Sendable, Equatable {
    /// Bytes that crossed the link (0 when the far end already had it).
    public var bytes: Int64
    /// Files written at the destination (0 when none had to change).
    public var files: Int
    /// Wall time of the transfer, in seconds.
    public var seconds: Double
    public init(bytes: Int64 = 0, files: Int = 0, seconds: Double = 0) {
        self.bytes = bytes; self.files = files; self.seconds = seconds
    }
}

/// Why a transfer failed. `linkLost` comes with (or before) the host's own
/// down event; the others are errors of that transfer only.
public enum TransferError: Error, Sendable, Equatable {
    /// The connection to the host went away during the transfer.
    case linkLost(String)
    /// What arrived does not match what was sent.
    case damaged(path: String, expected: String, got: String)
    /// A file on the master could not be read or written.
    case local(path: String, message: String)
    /// The host could not read or write a file.
    case remote(path: String, message: String)

    public var text: String {
        switch self {
        case .linkLost(let why): return "link lost: \(why)"
        case .damaged(let p, let e, let g): return "\(p): damaged in transfer (sha256 \(g), expected \(e))"
        case .local(let p, let m): return "\(p): \(m)"
        case .remote(let p, let m): return "\(p) on the host: \(m)"
        }
    }
}

/// Carries files between the master and one host. Completions are
/// delivered on the coordinator thread, as task completions are.
public protocol FileCarrier: AnyObject {
    /// Makes `remotePath` on the host a copy of the master's `localPath`
    /// (created with its parent directories; mode kept). When `sha256` is
    /// given and the host already has a file with that digest there,
    /// nothing crosses the link.
    func send(_ localPath: String, to remotePath: String, sha256: String?,
              completion: @escaping (Result<TransferStats, TransferError>) -> Void)

    /// Brings the host's `remotePath` to the master's `localPath`: written
    /// under a temporary name in `localPath`'s directory, checked against
    /// the SHA-256 the host computed, then renamed. Never leaves a partial
    /// file at `localPath`.
    func fetch(_ remotePath: String, to localPath: String,
               completion: @escaping (Result<TransferStats, TransferError>) -> Void)

    /// Makes the host's `remoteDirectory` a copy of the master's
    /// `localDirectory` (regular files with their modes, directories,
    /// symbolic links), sending only files whose size, modification time or
    /// content differ and removing what the master no longer has. With
    /// `only`, just those relative subdirectories are brought in step (a
    /// hot-fixed port's directory before its retry). Paths matching
    /// `excluding` (relative names, e.g. the tree's packages or distfiles
    /// directory when it lies inside the tree) are left alone on both sides.
    func mirror(_ localDirectory: String, to remoteDirectory: String, only: [String]?,
                excluding: [String],
                completion: @escaping (Result<TransferStats, TransferError>) -> Void)
}
