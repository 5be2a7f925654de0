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
    /// The file's paths in order, cut into blocks that each keep their
    /// text: the file is written every few seconds of a long run, a few
    /// lines new each time, so only the blocks those lines went into are
    /// made again (from `signatures`: a line per path is not kept besides,
    /// 3 MB at 34,000 paths).
    private var blocks: [Block] = []

    private struct Block: Sendable {
        var paths: [String] = []
        /// The block's lines; nil once one of them changed.
        var text: String?
    }

    private func blockText(_ b: Block) -> String {
        if let text = b.text { return text }
        var text = ""
        for p in b.paths { text += SignatureStore.line(p, signatures[p] ?? "") }
        return text
    }

    /// Lines per block when the file is read; a block twice this long is
    /// cut in two.
    static let blockSize = 64

    public init() {}

    /// The same records and problems (blocks may be cut differently).
    public static func == (a: SignatureStore, b: SignatureStore) -> Bool {
        a.signatures == b.signatures && a.problems == b.problems && a.changed == b.changed
    }

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
        let sorted = s.signatures.keys.sorted()
        for start in stride(from: 0, to: sorted.count, by: blockSize) {
            let paths = Array(sorted[start..<min(sorted.count, start + blockSize)])
            s.blocks.append(Block(paths: paths))
        }
        return s
    }

    public mutating func record(_ signature: String, for path: String) {
        guard signatures[path] != signature, !signature.utf8.contains(UInt8(ascii: "\n")) else { return }
        let isNew = signatures.updateValue(signature, forKey: path) == nil
        changed = true
        guard !blocks.isEmpty else {
            blocks = [Block(paths: [path])]
            return
        }
        // The last block that starts at or before `path` (the first if none does).
        let b = max(0, SignatureStore.firstIndex(blocks.count) { blocks[$0].paths[0] > path } - 1)
        let at = SignatureStore.firstIndex(blocks[b].paths.count) { blocks[b].paths[$0] >= path }
        if isNew { blocks[b].paths.insert(path, at: at) }
        blocks[b].text = nil
        if blocks[b].paths.count >= 2 * SignatureStore.blockSize {
            let half = blocks[b].paths.count / 2
            let tail = Block(paths: Array(blocks[b].paths[half...]))
            blocks[b].paths.removeSubrange(half...)
            blocks.insert(tail, at: b + 1)
        }
    }

    /// The first of `0..<count` for which `after` holds (it holds for
    /// all that follow), or `count`.
    private static func firstIndex(_ count: Int, where after: (Int) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if after(mid) { high = mid } else { low = mid + 1 }
        }
        return low
    }

    static func line(_ path: String, _ signature: String) -> String { path + " " + signature + "\n" }

    public var text: String { blocks.map { blockText($0) }.joined() }

    public mutating func write(to path: String, files: any FileStore = PosixFileStore.shared) throws {
        for b in blocks.indices where blocks[b].text == nil { blocks[b].text = blockText(blocks[b]) }
        try files.replace(path, with: text)
        changed = false
    }
}
