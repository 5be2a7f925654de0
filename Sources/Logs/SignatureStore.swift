/// What each package was built from (its -R signature), by fullpkgpath,
/// kept next to the build history (`%f/build-stats/%a-signatures`). One
/// line per record: `FULLPKGPATH SIGNATURE`, the signature being the rest
/// of the line; a later line for a path replaces an earlier one.
///
/// A run appends the lines of each job as it ends (one write, O_APPEND):
/// nothing recorded is lost when the run dies, runs that share the file
/// add to it side by side, and a long run does not write the whole file
/// again and again. The file is compacted (every path's last line, in
/// path order, written aside and renamed) when it is read with lines to
/// drop.
public struct SignatureStore: Sendable, Equatable {
    public private(set) var signatures: [String: String] = [:]
    /// Lines that could not be read (`file:line: why`); their paths count
    /// as having no record.
    public private(set) var problems: [String] = []
    /// Lines read that a compacted file would not have: replaced ones,
    /// unreadable ones, a last line cut short.
    public private(set) var droppedLines = 0

    public init() {}

    /// The store in `path`; a missing file is an empty store.
    public static func read(_ path: String, files: any FileStore = PosixFileStore.shared) -> SignatureStore {
        var s = SignatureStore()
        guard let text = files.read(path) else { return s }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // What follows the last newline: empty, or a line whose write was
        // cut short by a crash (its signature may be cut too).
        let tail = lines.removeLast()
        for (n, line) in lines.enumerated() where !line.isEmpty {
            guard let space = line.firstIndex(of: " "), line.index(after: space) < line.endIndex,
                  line[..<space].contains("/") else {
                s.problems.append("\(path):\(n + 1): expected FULLPKGPATH SIGNATURE, got '\(line.prefix(80))'")
                s.droppedLines += 1
                continue
            }
            if s.signatures.updateValue(String(line[line.index(after: space)...]), forKey: String(line[..<space])) != nil {
                s.droppedLines += 1
            }
        }
        if !tail.isEmpty {
            s.problems.append("\(path):\(lines.count + 1): a last line without its newline (cut short), ignored: '\(tail.prefix(80))'")
            s.droppedLines += 1
        }
        return s
    }

    /// Records `signature` for `path`: the line to append to the file, or
    /// nil when nothing changed (or the signature cannot be a line).
    public mutating func record(_ signature: String, for path: String) -> String? {
        guard signatures[path] != signature, !signature.utf8.contains(UInt8(ascii: "\n")),
              !path.utf8.contains(UInt8(ascii: " ")) else { return nil }
        signatures[path] = signature
        return SignatureStore.line(path, signature)
    }

    static func line(_ path: String, _ signature: String) -> String { path + " " + signature + "\n" }

    /// The compacted file: every path's signature, in path order.
    public var text: String {
        var out = ""
        for path in signatures.keys.sorted() { out += SignatureStore.line(path, signatures[path] ?? "") }
        return out
    }

    /// Replaces `path` with the compacted file.
    public mutating func compact(into path: String, files: any FileStore = PosixFileStore.shared) throws {
        try files.replace(path, with: text)
        droppedLines = 0
    }
}
