/// What each package was built from (its -R signature), by fullpkgpath,
/// kept next to the build history (`%f/build-stats/%a-signatures`). One
/// line per path: `FULLPKGPATH SIGNATURE`, the signature being the rest of
/// the line. The whole file is replaced at once, so a reader or a crash
/// sees the old file or the new one, never half of it.
public struct SignatureStore: Sendable, Equatable {
    public private(set) var signatures: [String: String] = [:]
    /// Lines that could not be read (`file:line: why`); their paths count
    /// as having no record.
    public private(set) var problems: [String] = []
    public private(set) var changed = false
    /// The paths of `signatures`, sorted, and each one's line of the file:
    /// kept so, as the file is written every few seconds of a long run.
    private var sortedPaths: [String] = []
    private var lines: [String] = []

    public init() {}

    /// The store in `path`; a missing file is an empty store.
    public static func read(_ path: String, files: any FileStore = PosixFileStore.shared) -> SignatureStore {
        var s = SignatureStore()
        guard let text = files.read(path) else { return s }
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let space = line.firstIndex(of: " "), line.index(after: space) < line.endIndex,
                  line[..<space].contains("/") else {
                s.problems.append("\(path):\(n + 1): expected FULLPKGPATH SIGNATURE, got '\(line.prefix(80))'")
                continue
            }
            s.signatures[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        s.sortedPaths = s.signatures.keys.sorted()
        s.lines = s.sortedPaths.map { SignatureStore.line($0, s.signatures[$0] ?? "") }
        return s
    }

    public mutating func record(_ signature: String, for path: String) {
        guard signatures[path] != signature, !signature.utf8.contains(UInt8(ascii: "\n")) else { return }
        var low = 0, high = sortedPaths.count
        while low < high {
            let mid = (low + high) / 2
            if sortedPaths[mid] < path { low = mid + 1 } else { high = mid }
        }
        if signatures.updateValue(signature, forKey: path) == nil {
            sortedPaths.insert(path, at: low)
            lines.insert(SignatureStore.line(path, signature), at: low)
        } else {
            lines[low] = SignatureStore.line(path, signature)
        }
        changed = true
    }

    static func line(_ path: String, _ signature: String) -> String { path + " " + signature + "\n" }

    public var text: String { lines.joined() }

    public mutating func write(to path: String, files: any FileStore = PosixFileStore.shared) throws {
        try files.replace(path, with: text)
        changed = false
    }
}
