import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Engine

/// LOGDIR/status.json: the latest `RunSnapshot` as JSON, for
/// `bulkbuild monitor` and for scripts. Written whole to a temporary file
/// in the same directory, synced, then renamed over the old one, so a
/// reader sees either the previous snapshot or the new one, never a part.
public enum StatusFile {
    public enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case unreadable(String, String)
        case corrupt(String, String)
        case unwritable(String, String)

        public var description: String {
            switch self {
            case let .missing(p): return "\(p): no such file"
            case let .unreadable(p, why): return "\(p): cannot read: \(why)"
            case let .corrupt(p, why): return "\(p): not a valid status file: \(why)"
            case let .unwritable(p, why): return "\(p): cannot write: \(why)"
            }
        }
    }

    /// The name inside a log directory.
    public static let fileName = "status.json"

    public static func path(inLogDir dir: String) -> String {
        dir.hasSuffix("/") ? dir + fileName : dir + "/" + fileName
    }

    /// The file's bytes: what JSONEncoder makes with `.sortedKeys`, written
    /// by hand (StatusJSON.swift) as the run writes it every second.
    public static func encode(_ s: RunSnapshot) throws -> Data { Data(try bytes(s)) }

    static func bytes(_ s: RunSnapshot) throws -> [UInt8] {
        var json = StatusJSON(capacity: 16_384)
        try json.snapshot(s)
        return json.bytes
    }

    public static func write(_ s: RunSnapshot, to path: String) throws {
        let data: Data
        do { data = try encode(s) } catch { throw Failure.unwritable(path, "\(error)") }
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array(((dir.isEmpty ? "" : dir) + "/." + base + ".XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Failure.unwritable(path, String(cString: strerror(errno))) }
        let tmp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var ok = fchmod(fd, 0o644) == 0
        var why = ""
        data.withUnsafeBytes { raw in
            var off = 0
            while ok && off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    ok = false
                } else {
                    off += n
                }
            }
        }
        if ok && fsync(fd) != 0 { ok = false }
        if !ok { why = String(cString: strerror(errno)) }
        close(fd)
        if ok && rename(tmp, path) != 0 { ok = false; why = String(cString: strerror(errno)) }
        if !ok {
            unlink(tmp)
            throw Failure.unwritable(path, why)
        }
    }

    public static func read(_ path: String) throws -> RunSnapshot {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            if access(path, F_OK) != 0 { throw Failure.missing(path) }
            // Foundation leaves errno stale for a directory.
            var st = stat()
            if stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR { throw Failure.unreadable(path, "is a directory") }
            throw Failure.unreadable(path, String(cString: strerror(errno)))
        }
        do {
            let snapshot = try JSONDecoder().decode(RunSnapshot.self, from: data)
            if let why = outOfRange(snapshot) { throw Failure.corrupt(path, why) }
            return snapshot
        } catch let failure as Failure {
            throw failure
        } catch let DecodingError.dataCorrupted(ctx) {
            throw Failure.corrupt(path, ctx.debugDescription)
        } catch let DecodingError.keyNotFound(key, _) {
            throw Failure.corrupt(path, "field \(key.stringValue) missing")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw Failure.corrupt(path, "wrong type at \(fieldName(ctx.codingPath))")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw Failure.corrupt(path, "value missing at \(fieldName(ctx.codingPath))")
        } catch {
            throw Failure.corrupt(path, "\(error)")
        }
    }

    private static func fieldName(_ path: [CodingKey]) -> String {
        path.isEmpty ? "the top level (expected an object)" : path.map(\.stringValue).joined(separator: ".")
    }

    /// The file may come from anywhere (an old run, a hand edit): numbers
    /// that no run writes would overflow the screen's sums and conversions
    /// to Int, so they are refused here, naming the field. Times and
    /// durations must lie within about 3000 years of 1970, counts and
    /// sizes between 0 and 2^48.
    static func outOfRange(_ value: Any, at field: String = "") -> String? {
        let limit = 1e11
        switch value {
        case let d as Double:
            return d.isFinite && abs(d) < limit ? nil : "\(field): \(d) is out of range"
        case let n as Int: return wholeOutOfRange(Int64(n), field)
        case let n as Int64: return wholeOutOfRange(n, field)
        case let n as Int32: return wholeOutOfRange(Int64(n), field)
        default:
            for child in Mirror(reflecting: value).children {
                let name = child.label.flatMap { $0 == "some" ? nil : field.isEmpty ? $0 : field + "." + $0 } ?? field
                if let why = outOfRange(child.value, at: name) { return why }
            }
            return nil
        }
    }

    private static func wholeOutOfRange(_ n: Int64, _ field: String) -> String? {
        (0..<(1 << 48)).contains(n) ? nil : "\(field): \(n) is out of range (0 to 2^48)"
    }
}
