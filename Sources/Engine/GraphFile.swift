/// A ports graph with exact history, as text: the input of the benchmark's
/// `--graph` and of the tests' fixtures (Tests/bench/debian-graph.py
/// writes one from Debian's package index). One port a line,
///
///     CATEGORY/NAME SECONDS [DEPENDENCY ...]
///
/// each dependency a build dependency on a port of the file; blank lines
/// and lines starting with `#` are skipped. The caller reads the file:
/// this only parses its text.
public struct GraphFile: Sendable {
    public var records: [PortRecord] = []
    /// Build time of each port at speed factor 1, by canonical path.
    public var weights: [String: Double] = [:]
    public var edges = 0

    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var reason: String
        public var description: String { "\(file):\(line): \(reason)" }
    }

    public init(parsing text: String, file: String) throws(ParseError) {
        var lineOf: [String: Int] = [:]
        var pending: [(line: Int, dep: String)] = []
        for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = k + 1
            let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = words.first, !first.hasPrefix("#") else { continue }
            func fail(_ reason: String) -> ParseError { ParseError(file: file, line: n, reason: reason) }
            let path: FullPkgPath
            do { path = try FullPkgPath(first) } catch { throw fail(error.description) }
            guard words.count >= 2, let seconds = Double(words[1]), seconds.isFinite, seconds >= 0 else {
                throw fail("expected 'CATEGORY/NAME SECONDS [DEPENDENCY ...]' with SECONDS a number >= 0")
            }
            if let earlier = lineOf[path.canonical] { throw fail("\(first) is already given on line \(earlier)") }
            lineOf[path.canonical] = n
            var deps: [Dependency] = []
            for word in words.dropFirst(2) {
                switch Dependency.parse(word) {
                case .success(let d): deps.append(d); pending.append((n, d.path.canonical))
                case .failure(let e): throw fail(e.description)
                }
            }
            edges += deps.count
            let name = path.pkgpath.value.split(separator: "/").last.map(String.init) ?? first
            records.append(PortRecord(path: path, pkgname: "\(name)-1.0", buildDepends: deps))
            weights[path.canonical] = seconds
        }
        for (n, dep) in pending where lineOf[dep] == nil {
            throw ParseError(file: file, line: n, reason: "dependency \(dep) is not a port of the file")
        }
        if records.isEmpty { throw ParseError(file: file, line: 1, reason: "no ports in the file") }
    }
}
