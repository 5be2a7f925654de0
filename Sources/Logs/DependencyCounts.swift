import Engine

/// dependencies.log read back: `FULLPKGPATH COUNT` lines, COUNT the ports
/// that depend on that path in the last whole-tree listing.
public enum DependencyCounts {
    /// How many paths a restart lists first (dpb: about ten).
    public static let quickListingSize = 10

    /// The `limit` paths with the highest counts, highest first (ties by
    /// name). A line that does not parse is skipped: the file is the last
    /// run's cache, and a bad one only loses the head start.
    public static func mostDependedUpon(in text: String, limit: Int) -> [FullPkgPath] {
        var counted: [(path: FullPkgPath, count: Int)] = []
        var seen = Set<String>()
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 2, let count = Int(words[1]), count > 0,
                  let path = try? FullPkgPath(String(words[0])), seen.insert(path.canonical).inserted else { continue }
            counted.append((path, count))
        }
        counted.sort { $0.count != $1.count ? $0.count > $1.count : $0.path.canonical < $1.path.canonical }
        return counted.prefix(max(0, limit)).map(\.path)
    }
}
