/// What each package was built from (its -R signature), by fullpkgpath,
/// kept next to the build history (`%f/build-stats/%a-signatures`). One
/// line per record: `FULLPKGPATH SIGNATURE`, the signature being the rest
/// of the line; a later line for a path replaces an earlier one.
///
/// A run appends the lines of each job as it ends (one write, O_APPEND):
/// nothing recorded is lost when the run dies, runs that share the file
/// add to it side by side, and a long run does not write the whole file
/// again and again. The run that reads the file writes it again compacted
/// when it ends in a line cut short or holds as many lines to drop as
/// records (see `compactIfDue`).
public struct SignatureStore: Sendable, Equatable {
    public private(set) var signatures: [String: String] = [:]
    /// Lines that were ignored (`file:line: why`).
    public private(set) var problems: [String] = []
    /// Lines read that a compacted file would not have: replaced ones,
    /// unreadable ones, a last line cut short.
    public private(set) var droppedLines = 0
    /// The file did not end with a newline: a write cut short (a crash, a
    /// full disk). Nothing may be appended until it is compacted.
    public private(set) var tornTail = false
    /// The text read, until `compactIfDue` has looked at it.
    private var readText = ""

    public init() {}

    /// The store in `path`; a missing file is an empty store.
    public static func read(_ path: String, files: any FileStore = PosixFileStore.shared) -> SignatureStore {
        var s = SignatureStore()
        guard let text = files.read(path) else { return s }
        s.readText = text
        let tail = s.take(text, from: path, firstLine: 1)
        if !tail.isEmpty {
            s.problems.append("\(path): a last line without its newline (cut short), ignored: '\(tail.prefix(80))'")
            s.droppedLines += 1
            s.tornTail = true
        }
        return s
    }

    /// Reads the complete lines of `text` (numbered from `firstLine`);
    /// what follows the last newline is handed back.
    private mutating func take(_ text: Substring.UTF8View, from path: String, firstLine: Int) -> Substring {
        var lines = Substring(text).split(separator: "\n", omittingEmptySubsequences: false)
        let tail = lines.removeLast()
        for (n, line) in lines.enumerated() where !line.isEmpty {
            guard let space = line.firstIndex(of: " "), line.index(after: space) < line.endIndex,
                  line[..<space].contains("/") else {
                problems.append("\(path):\(firstLine + n): expected FULLPKGPATH SIGNATURE, got '\(line.prefix(80))'")
                droppedLines += 1
                continue
            }
            if signatures.updateValue(String(line[line.index(after: space)...]), forKey: String(line[..<space])) != nil {
                droppedLines += 1
            }
        }
        return tail
    }

    private mutating func take(_ text: String, from path: String, firstLine: Int) -> Substring {
        take(Substring(text).utf8, from: path, firstLine: firstLine)
    }

    /// Records `signature` for `path`: the line to append to the file, or
    /// nil when the signature cannot be a line. Every build gets its line,
    /// even with the signature this run read: another run may have written
    /// a different one since.
    public mutating func record(_ signature: String, for path: String) -> String? {
        guard !signature.utf8.contains(UInt8(ascii: "\n")), !path.utf8.contains(UInt8(ascii: " ")) else { return nil }
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

    /// Writes `path` again compacted when it ends in a line cut short (a
    /// line appended after it would make it a whole, wrong record), or
    /// when it holds at least as many lines to drop as records (so it
    /// stays under twice its compacted size); true when it did. Lines
    /// another run appended since `read` are read first and kept; one
    /// appended in the instant between that look and the rename would be
    /// lost (its path then has no record). A file replaced by another run
    /// meanwhile is left as it is.
    public mutating func compactIfDue(into path: String, files: any FileStore = PosixFileStore.shared) throws -> Bool {
        let read = readText
        readText = ""
        guard tornTail || (droppedLines > 0 && droppedLines >= signatures.count), let now = files.read(path) else {
            return false
        }
        guard now.utf8.starts(with: read.utf8) else {
            tornTail = !now.isEmpty && now.utf8.last != UInt8(ascii: "\n")
            return false
        }
        // From the end of the last complete line read: a line that was
        // being written then may be whole now.
        let complete = read.utf8.lastIndex(of: UInt8(ascii: "\n")).map { read.utf8.distance(from: read.utf8.startIndex, to: $0) + 1 } ?? 0
        let since = Substring(now).utf8.dropFirst(complete)
        let firstLine = read.utf8.prefix(complete).filter { $0 == UInt8(ascii: "\n") }.count + 1
        _ = take(since, from: path, firstLine: firstLine)
        try files.replace(path, with: text)
        droppedLines = 0
        tornTail = false
        return true
    }
}
