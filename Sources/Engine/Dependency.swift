/// One word of BUILD_DEPENDS and friends: `[SPEC:]PKGPATH[,FLAVOR...][,-SUB][:TARGET]`.
public struct Dependency: Hashable, Sendable {
    public let path: FullPkgPath
    /// `patch`, `configure` or `build` for a stage dependency; nil for a
    /// dependency on the package.
    public let stage: String?

    public static let stages: Set<String> = ["patch", "configure", "build"]

    /// Parses one word. A spec before the first ':' (a part without '/')
    /// is dropped; anything odd left over is an error in the port.
    public static func parse(_ word: String) -> Result<Dependency, DependencyError> {
        // A plain path (no spec, no stage) needs no splitting: only a word
        // that fails as one goes the long way, for the reason.
        if !word.utf8.contains(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
                                       || $0 == UInt8(ascii: "=") }),
           let path = try? FullPkgPath(word) {
            return .success(Dependency(path: path, stage: nil))
        }
        var parts = word.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1, !parts[0].contains("/") {
            parts.removeFirst()
        }
        var stage: String?
        if parts.count == 2, stages.contains(parts[1]) {
            stage = parts[1]
            parts.removeLast()
        }
        guard parts.count == 1 else {
            return .failure(DependencyError(word: word, reason: "unexpected ':' in dependency"))
        }
        let text = parts[0]
        if let bad = text.first(where: { "<>=:".contains($0) }) {
            return .failure(DependencyError(word: word, reason: "unexpected '\(bad)' in dependency"))
        }
        do {
            return .success(Dependency(path: try FullPkgPath(text), stage: stage))
        } catch {
            return .failure(DependencyError(word: word, reason: error.reason))
        }
    }
}

public struct DependencyError: Error, Equatable, Sendable, CustomStringConvertible {
    public let word: String
    public let reason: String
    public var description: String { "bad dependency '\(word)': \(reason)" }
}
