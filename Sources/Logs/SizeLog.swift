import Foundation

/// Work directory sizes (-s): size.log in the log directory and the
/// rolling size file beside the build history (`%f/build-stats/%a-size`,
/// or -S). Both hold the same lines, `FULLPKGPATH(PKGNAME) size=KB ts=EPOCH`,
/// so a size.log can be given to -S as it is.
public struct SizeLog: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var pkgname: String
        /// Kilobytes, as `du -sk` counts them.
        public var kilobytes: Int64
        public var timestamp: Int64
        public init(path: String, pkgname: String, kilobytes: Int64, timestamp: Int64) {
            self.path = path; self.pkgname = pkgname; self.kilobytes = kilobytes; self.timestamp = timestamp
        }
        public var line: String { "\(path)(\(pkgname)) size=\(kilobytes) ts=\(timestamp)\n" }
    }

    public struct Malformed: Error, CustomStringConvertible {
        public let path: String
        public let line: Int
        public let text: String
        public let expected: String
        public var description: String { "\(path):\(line): \(expected), not '\(text)'" }
    }

    /// The latest measurement of each path.
    public private(set) var latest: [String: Entry] = [:]
    /// Lines read, to tell whether the file is worth compacting.
    public private(set) var linesRead = 0
    public init() {}

    public mutating func add(_ e: Entry) { latest[e.path] = e }

    /// Kilobytes last measured for `path` (a canonical fullpkgpath) or, when
    /// that flavor or subpackage was never measured, for its bare pkgpath.
    public func kilobytes(of path: String, pkgpath: String) -> Int64? {
        latest[path]?.kilobytes ?? latest[pkgpath]?.kilobytes
    }

    /// A missing file is an empty log; any line that is not a size line is
    /// an error naming the file and the line (a person may have written it).
    public static func read(_ path: String) throws -> SizeLog {
        var log = SizeLog()
        guard let text = FileIO.read(path) else { return log }
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard let e = parse(line) else {
                throw Malformed(path: path, line: number, text: String(raw),
                                expected: "expected FULLPKGPATH(PKGNAME) size=KILOBYTES ts=EPOCH")
            }
            log.add(e)
            log.linesRead += 1
        }
        return log
    }

    static func parse(_ line: String) -> Entry? {
        let words = line.split(separator: " ")
        guard words.count == 3, let open = words[0].firstIndex(of: "("), words[0].last == ")",
              words[1].hasPrefix("size="), words[2].hasPrefix("ts="),
              let kb = Int64(words[1].dropFirst(5)), kb >= 0,
              let ts = Int64(words[2].dropFirst(3)), ts >= 0 else { return nil }
        let path = String(words[0][..<open])
        let name = String(words[0][words[0].index(after: open)..<words[0].index(before: words[0].endIndex)])
        guard !path.isEmpty, !name.isEmpty, !name.contains("("), path.contains("/") else { return nil }
        return Entry(path: path, pkgname: name, kilobytes: kb, timestamp: ts)
    }

    /// The latest line of each path, sorted, in place of the file (write +
    /// rename): the rolling file keeps one measurement per path.
    public func write(to path: String) throws {
        try FileIO.makeDirectory((path as NSString).deletingLastPathComponent)
        try FileIO.replace(path, with: latest.sorted { $0.key < $1.key }.map { $0.value.line }.joined())
    }
}
