import Engine

/// dependencies.log read back: `FULLPKGPATH COUNT` lines, COUNT the ports
/// that depend on that path in the last whole-tree listing.
public enum DependencyCounts {
    /// How many paths a restart lists first (dpb: about ten).
    public static let quickListingSize = 10

    /// The `limit` paths with the highest counts, highest first (ties by
    /// name); a path given twice keeps the first count that made the list.
    /// A line that does not parse is skipped: the file is the last run's
    /// cache, and a bad one only loses the head start.
    public static func mostDependedUpon(in text: String, limit: Int) -> [FullPkgPath] {
        guard limit > 0 else { return [] }
        // Only the best `limit` are kept as the lines go by, and a count
        // below the last of them is not read further: a whole tree's file
        // parsed path by path held up the first job (70 ms at 34,000).
        var best: [(path: FullPkgPath, count: Int)] = []
        func before(_ a: (path: FullPkgPath, count: Int), _ b: (path: FullPkgPath, count: Int)) -> Bool {
            a.count != b.count ? a.count > b.count : a.path.canonical < b.path.canonical
        }
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            let words = line.split(separator: UInt8(ascii: " "))
            guard words.count == 2, let count = Int(Substring(words[1])), count > 0 else { continue }
            if best.count == limit, let last = best.last, count < last.count { continue }
            guard let path = try? FullPkgPath(String(Substring(words[0]))),
                  !best.contains(where: { $0.path == path }) else { continue }
            let entry = (path: path, count: count)
            if best.count == limit {
                guard let last = best.last, before(entry, last) else { continue }
                best.removeLast()
            }
            best.insert(entry, at: best.firstIndex { before(entry, $0) } ?? best.endIndex)
        }
        return best.map(\.path)
    }
}
