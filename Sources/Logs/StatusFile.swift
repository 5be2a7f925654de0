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

    public static func encode(_ s: RunSnapshot) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return try enc.encode(s)
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
            throw Failure.unreadable(path, String(cString: strerror(errno)))
        }
        do {
            return try JSONDecoder().decode(RunSnapshot.self, from: data)
        } catch let DecodingError.dataCorrupted(ctx) {
            throw Failure.corrupt(path, ctx.debugDescription)
        } catch let DecodingError.keyNotFound(key, _) {
            throw Failure.corrupt(path, "field \(key.stringValue) missing")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw Failure.corrupt(path, "wrong type at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw Failure.corrupt(path, "value missing at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch {
            throw Failure.corrupt(path, "\(error)")
        }
    }
}
