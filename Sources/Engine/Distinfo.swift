/// A port's distinfo file (its CHECKSUM_FILE): `SHA256 (NAME) = BASE64` and
/// `SIZE (NAME) = BYTES` lines, NAME relative to DISTDIR (DIST_SUBDIR
/// included). Other algorithms are read over; a line that is not of this
/// shape is an error with its file and line, since a port whose checksums
/// cannot be read cannot have its distfiles verified.
public struct Distinfo: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Base64 of the 32 bytes, as distinfo writes it.
        public var sha256: String?
        public var size: Int64?
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let file: String
        public let line: Int
        public let problem: String
        public var description: String { "\(file):\(line): \(problem)" }
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    public subscript(name: String) -> Entry? { entries[name] }

    public static func parse(_ text: String, file: String) throws -> Distinfo {
        var d = Distinfo()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            func fail(_ why: String) -> ParseError {
                ParseError(file: file, line: n + 1, problem: "\(why) in \(ListedNames.quoted(String(line)))")
            }
            // ALG (NAME) = VALUE; NAME may itself hold parentheses.
            guard let open = line.firstIndex(of: "("), let close = line.lastRange(of: ") = "),
                  open < close.lowerBound else {
                throw fail("expected 'ALGORITHM (FILE) = VALUE'")
            }
            let alg = line[..<open].trimmingSpaces
            let name = String(line[line.index(after: open)..<close.lowerBound])
            let value = String(line[close.upperBound...].trimmingSpaces)
            guard !alg.isEmpty, alg.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                throw fail("expected an algorithm name before '('")
            }
            if let why = ListedNames.distPathProblem(name) { throw fail("file name \(why)") }
            switch alg {
            case "SHA256":
                guard Distinfo.isBase64SHA256(value) else {
                    throw fail("SHA256 must be 44 characters of base64 (32 bytes)")
                }
                d.entries[name, default: Entry()].sha256 = value
            case "SIZE":
                guard !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }), let size = Int64(value) else {
                    throw fail("SIZE must be a number of bytes")
                }
                d.entries[name, default: Entry()].size = size
            default:
                continue
            }
        }
        return d
    }

    /// 43 base64 characters and one `=`: the encoding of 32 bytes (the last
    /// character carries 2 bits, so it is one of `AEIMQUYcgkosw048`).
    static func isBase64SHA256(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 44, u[43] == UInt8(ascii: "=") else { return false }
        for c in u[0..<43] where Base64.value(c) == nil { return false }
        return Base64.value(u[42]).map { $0 & 3 == 0 } ?? false
    }
}

/// The 64 characters of base64 (RFC 4648) and the hex form the cache uses.
public enum Base64 {
    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }

    /// Lower-case hex of the bytes a padded base64 text stands for; nil when
    /// it is not base64.
    public static func hex(_ text: String) -> String? {
        var bits: UInt32 = 0, count = 0
        var out = ""
        let digits = Array("0123456789abcdef".utf8)
        for c in text.utf8 {
            if c == UInt8(ascii: "=") { break }
            guard let v = value(c) else { return nil }
            bits = (bits << 6) | UInt32(v)
            count += 6
            if count >= 8 {
                count -= 8
                let byte = Int((bits >> UInt32(count)) & 0xff)
                out.append(Character(Unicode.Scalar(digits[byte >> 4])))
                out.append(Character(Unicode.Scalar(digits[byte & 15])))
            }
        }
        return out
    }
}

extension Substring {
    /// The last place `needle` occurs.
    func lastRange(of needle: String) -> Range<Index>? {
        let n = needle.count
        guard count >= n else { return nil }
        var start = index(endIndex, offsetBy: -n)
        while true {
            let end = index(start, offsetBy: n)
            if self[start..<end] == needle { return start..<end }
            if start == startIndex { return nil }
            start = index(before: start)
        }
    }

    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
