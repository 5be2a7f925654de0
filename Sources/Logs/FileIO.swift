import CPosix
import Foundation

/// Small file helpers shared by every log: appends in one write() so
/// concurrent writers never interleave inside a line, and replacements go
/// through a temporary file and rename() so readers never see half a file.
public enum FileIO {
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let what: String
        public let code: Int32
        public var description: String {
            code == 0 ? "\(path): \(what)" : "\(path): \(what): \(String(cString: strerror(code)))"
        }
    }

    public static func append(_ text: String, to path: String) throws {
        let fd = cp_open_append(path, 0o644)
        guard fd >= 0 else { throw Failure(path: path, what: "cannot open for append", code: cp_errno()) }
        defer { close(fd) }
        try writeAll(fd, text, path: path)
    }

    static func writeAll(_ fd: Int32, _ text: String, path: String) throws {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buf in
                write(fd, buf.baseAddress! + offset, buf.count - offset)
            }
            if n < 0 {
                if cp_errno() == EINTR { continue }
                throw Failure(path: path, what: "write failed", code: cp_errno())
            }
            offset += n
        }
        bytes.removeAll()
    }

    /// Replaces `path` atomically with `text`.
    public static func replace(_ path: String, with text: String, sync: Bool = false) throws {
        // A rename would put a regular file in place of a device, a FIFO or
        // a directory (as root, `-S /dev/null` would replace /dev/null).
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG, (st.st_mode & S_IFMT) != S_IFLNK {
            throw Failure(path: path, what: "not a regular file: it is never replaced",
                          code: (st.st_mode & S_IFMT) == S_IFDIR ? EISDIR : 0)
        }
        // Unique per call: two threads replacing one file never share it.
        let tmp = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = cp_open_write_trunc(tmp, 0o644)
        guard fd >= 0 else { throw Failure(path: tmp, what: "cannot create", code: cp_errno()) }
        do {
            try writeAll(fd, text, path: tmp)
            if sync { fsync(fd) }
            close(fd)
        } catch {
            close(fd); unlink(tmp); throw error
        }
        guard rename(tmp, path) == 0 else {
            let code = cp_errno()
            unlink(tmp)
            throw Failure(path: path, what: "cannot rename into place", code: code)
        }
    }

    public static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func size(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }

    /// `mkdir -p`: one stat when the directory is there (every port's log
    /// directory is asked for at each job start).
    public static func makeDirectory(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 {
            if st.st_mode & S_IFMT == S_IFDIR { return }
            throw Failure(path: path, what: "cannot create directory", code: EEXIST)
        }
        if cp_errno() == ENOENT, let slash = path.lastIndex(of: "/"), slash > path.startIndex {
            try makeDirectory(String(path[..<slash]))
        }
        if mkdir(path, 0o777) != 0 {
            let e = cp_errno()
            // Made meanwhile by someone else: fine if it is a directory.
            if e == EEXIST, stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { return }
            throw Failure(path: path, what: "cannot create directory", code: e)
        }
    }

    /// dpb's time stamps: seconds with two decimals, as `%.2f` prints them.
    /// Every log line has one: integer digits where the rounding cannot
    /// differ from printf's (positive, below 10^10 s, not within 0.001 of
    /// a tie), String(format:) elsewhere.
    public static func stamp(_ t: Double) -> String { fixed(t, places: 2) }

    /// `t` with `places` decimals (at most 6), as `%.Nf` prints it: digits
    /// written here where the rounding cannot differ from printf's
    /// (positive, not too large, not within 0.001 of a tie), else printf.
    public static func fixed(_ t: Double, places: Int) -> String {
        let unit = [1.0, 10, 100, 1000, 10_000, 100_000, 1_000_000][min(max(places, 0), 6)]
        let scaled = t * unit
        let units = scaled.rounded(.toNearestOrEven)
        guard places > 0, places <= 6, t >= 0, scaled < 1e12, abs(abs(scaled - units) - 0.5) > 1e-3 else {
            return String(format: "%.\(places)f", t)
        }
        let c = Int64(units), u = Int64(unit)
        let frac = String(c % u)
        return "\(c / u)." + String(repeating: "0", count: places - frac.count) + frac
    }
}
