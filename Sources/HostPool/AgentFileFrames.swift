// The file frames of the agent protocol (listed in Agent.swift's header):
// their type bytes and the little encoder and decoder their payloads use.

extension AgentFrame {
    // Requests.
    static let putOpen = UInt8(ascii: "F"), putData = UInt8(ascii: "D"), putClose = UInt8(ascii: "C")
    static let putAbort = UInt8(ascii: "Q"), have = UInt8(ascii: "W"), get = UInt8(ascii: "G")
    static let manifest = UInt8(ascii: "M"), remove = UInt8(ascii: "U"), symlink = UInt8(ascii: "Y")
    static let makeDirectory = UInt8(ascii: "I")
    // Replies.
    static let done = UInt8(ascii: "A"), refused = UInt8(ascii: "R"), listing = UInt8(ascii: "L")
    static let getData = UInt8(ascii: "B"), getEnd = UInt8(ascii: "Z")

    /// File data travels in pieces of at most this size, so task output
    /// and other transfers get their turn between them.
    static let chunkSize = 256 << 10

    /// Why the agent refused (first word of an R payload).
    enum Refusal: UInt32 {
        /// A system call failed; the message says which and why.
        case failed = 0
        /// The bytes did not match the size or digest of the close frame;
        /// the message is the digest of what arrived.
        case damaged = 1
        /// The request itself is wrong (a bad path, an unknown id).
        case badRequest = 2
    }
}

/// Builds a frame payload.
struct PayloadWriter {
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { AgentFrame.appendU32(v, to: &bytes) }
    mutating func u64(_ v: UInt64) { u32(UInt32(truncatingIfNeeded: v)); u32(UInt32(truncatingIfNeeded: v >> 32)) }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func string(_ s: String) { u32(UInt32(s.utf8.count)); bytes.append(contentsOf: s.utf8) }
    mutating func strings(_ list: [String]) { u32(UInt32(list.count)); for s in list { string(s) } }
    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func byte(_ b: UInt8) { bytes.append(b) }
}

/// Reads a frame payload; every getter is nil once the payload is short.
struct PayloadReader {
    let p: ArraySlice<UInt8>
    var at = 0
    init(_ p: ArraySlice<UInt8>) { self.p = p }

    var isAtEnd: Bool { at >= p.count }

    mutating func u32() -> UInt32? {
        guard p.count - at >= 4 else { return nil }
        defer { at += 4 }
        return AgentFrame.u32(p, at)
    }
    mutating func u64() -> UInt64? {
        guard let lo = u32(), let hi = u32() else { return nil }
        return UInt64(lo) | UInt64(hi) << 32
    }
    mutating func i64() -> Int64? { u64().map { Int64(bitPattern: $0) } }
    mutating func byte() -> UInt8? {
        guard p.count - at >= 1 else { return nil }
        defer { at += 1 }
        return p[p.startIndex + at]
    }
    mutating func raw(_ n: Int) -> [UInt8]? {
        guard n >= 0, p.count - at >= n else { return nil }
        let s = p.startIndex + at
        at += n
        return Array(p[s..<(s + n)])
    }
    mutating func string() -> String? {
        guard let n = u32(), let b = raw(Int(n)) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }
    mutating func strings() -> [String]? {
        guard let n = u32(), Int(n) <= p.count else { return nil }
        var out: [String] = []
        for _ in 0..<n {
            guard let s = string() else { return nil }
            out.append(s)
        }
        return out
    }
}

/// One entry of a directory manifest (relative name, no leading slash).
struct ManifestEntry: Equatable, Sendable {
    enum Kind: UInt8 { case file = 102, directory = 100, symlink = 108 }  // f d l
    var name: String
    var kind: Kind
    /// Permission bits (07777).
    var mode: UInt32
    var size: Int64
    var mtime: Int64
    var mtimeNanos: UInt32
    /// The link's target, for a symlink.
    var target: String = ""

    func encode(to w: inout PayloadWriter) {
        w.byte(kind.rawValue); w.u32(mode); w.i64(size); w.i64(mtime); w.u32(mtimeNanos)
        w.string(name); w.string(target)
    }

    static func decode(_ r: inout PayloadReader) -> ManifestEntry? {
        guard let k = r.byte(), let kind = Kind(rawValue: k), let mode = r.u32(), let size = r.i64(),
              let mtime = r.i64(), let ns = r.u32(), let name = r.string(), let target = r.string() else { return nil }
        return ManifestEntry(name: name, kind: kind, mode: mode, size: size, mtime: mtime, mtimeNanos: ns, target: target)
    }
}
