/// A port directory relative to PORTSDIR: two or more components such as
/// `devel/gmake` or `x11/gnome/terminal`.
public struct PkgPath: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: String

    public init(_ text: String) throws(PathError) {
        // Nearly every name is plain: one pass over its bytes says so, and
        // only a name that fails it is split for the reason.
        if PkgPath.isPlain(text) {
            value = text
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2 else {
            throw PathError(text: text, reason: "a pkgpath needs at least two components (category/name)")
        }
        for part in parts {
            if let reason = PkgPath.problem(inComponent: part) {
                throw PathError(text: text, reason: reason)
            }
        }
        value = text
    }

    /// Why a component is not allowed, or nil when it is fine. Shared with
    /// flavor and subpackage names, which follow the same alphabet.
    static func problem(inComponent part: Substring) -> String? {
        if part.isEmpty { return "empty component" }
        if part == ".." || part == "." { return "component '\(part)' is not allowed" }
        if part.first == "-" { return "component '\(part)' starts with '-'" }
        // A directory name cannot be longer; such a name only fails later
        // (make's environment too big, a lock or log file name too long).
        if part.utf8.count > 255 { return "a component of \(part.utf8.count) bytes (a directory name has at most 255)" }
        for ch in part.unicodeScalars where !PkgPath.allowed(ch) {
            return "character '\(ch)' is not allowed (letters, digits, . _ + - only)"
        }
        return nil
    }

    /// Two or more components of allowed bytes, none empty, `.`, `..`,
    /// starting with `-` or longer than 255 bytes: what `problem` accepts.
    static func isPlain(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var components = 1
            var start = 0
            func componentOK(_ end: Int) -> Bool {
                let n = end - start
                guard n > 0, n <= 255, bytes[start] != UInt8(ascii: "-") else { return false }
                if bytes[start] == UInt8(ascii: "."), n == 1 || (n == 2 && bytes[start + 1] == UInt8(ascii: ".")) {
                    return false
                }
                return true
            }
            for i in 0..<bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "/") {
                    guard componentOK(i) else { return false }
                    components += 1
                    start = i + 1
                } else if !allowedByte(b) {
                    return false
                }
            }
            return componentOK(bytes.count) && components >= 2
        }
    }

    static func allowedByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "+"),
             UInt8(ascii: "-"): return true
        default: return false
        }
    }

    static func allowed(_ ch: Unicode.Scalar) -> Bool { ch.isASCII && allowedByte(UInt8(ch.value)) }

    /// The form used for lock files and affinity: slashes become dots.
    public var dotted: String { PkgPath.dotted(value) }

    /// On the bytes, not Characters (a lock name per job and per lock
    /// look): a slash is one byte in UTF-8 and never part of another
    /// character's.
    static func dotted(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 == UInt8(ascii: "/") ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
    }
    public var description: String { value }
    public static func < (a: PkgPath, b: PkgPath) -> Bool { a.value < b.value }
}

public struct PathError: Error, Equatable, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public init(text: String, reason: String) { self.text = text; self.reason = reason }
    /// The text is cut, so that the reason shows after a huge one.
    public var description: String { "invalid pkgpath '\(ListedNames.visible(text, limit: 200))': \(reason)" }
}

/// A pkgpath with optional flavors and at most one subpackage:
/// `www/foo,a,b,-docs`. Comparisons and hashing use the canonical form.
public struct FullPkgPath: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let pkgpath: PkgPath
    /// Sorted flavor names.
    public let flavors: [String]
    /// Subpackage including its leading '-', e.g. "-main".
    public let subpackage: String?
    /// `devel/foo,` means "explicitly no flavor", which differs from the
    /// default flavor that plain `devel/foo` asks for.
    public let explicitNoFlavor: Bool
    /// Canonical text: flavors sorted, subpackage last.
    public let canonical: String

    public init(_ text: String) throws(PathError) {
        // Most paths have no flavor or subpackage: the pkgpath alone.
        if !text.utf8.contains(UInt8(ascii: ",")) {
            do {
                self.init(pkgpath: try PkgPath(text))
            } catch {
                throw PathError(text: text, reason: error.reason)
            }
            return
        }
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
        let base: PkgPath
        do {
            base = try PkgPath(String(fields[0]))
        } catch {
            throw PathError(text: text, reason: error.reason)
        }
        var flavors: [String] = []
        var sub: String?
        var sawEmpty = false
        for field in fields.dropFirst() {
            if field.isEmpty { sawEmpty = true; continue }
            if field.first == "-" {
                let name = field.dropFirst()
                if sub != nil {
                    throw PathError(text: text, reason: "more than one subpackage")
                }
                if let reason = PkgPath.problem(inComponent: name) {
                    throw PathError(text: text, reason: "subpackage: \(reason)")
                }
                sub = String(field)
            } else {
                if let reason = PkgPath.problem(inComponent: field) {
                    throw PathError(text: text, reason: "flavor: \(reason)")
                }
                flavors.append(String(field))
            }
        }
        self.init(pkgpath: base, flavors: flavors, subpackage: sub,
                  explicitNoFlavor: sawEmpty && flavors.isEmpty)
    }

    public init(pkgpath: PkgPath, flavors: [String] = [], subpackage: String? = nil,
                explicitNoFlavor: Bool = false) {
        self.pkgpath = pkgpath
        let sorted = flavors.count < 2 ? flavors : Array(Set(flavors)).sorted()
        self.flavors = sorted
        self.subpackage = subpackage
        self.explicitNoFlavor = explicitNoFlavor && sorted.isEmpty
        var text = pkgpath.value
        for f in sorted { text += "," + f }
        if self.explicitNoFlavor { text += "," }
        if let s = subpackage { text += "," + s }
        canonical = text
    }

    /// The same path without its subpackage.
    public var withoutSubpackage: FullPkgPath {
        subpackage == nil ? self
            : FullPkgPath(pkgpath: pkgpath, flavors: flavors, subpackage: nil, explicitNoFlavor: explicitNoFlavor)
    }

    /// Form used for log and affinity file names: slashes become dots.
    public var dotted: String { PkgPath.dotted(canonical) }
    public var description: String { canonical }
    public static func == (a: FullPkgPath, b: FullPkgPath) -> Bool { a.canonical == b.canonical }
    public func hash(into h: inout Hasher) { h.combine(canonical) }
    public static func < (a: FullPkgPath, b: FullPkgPath) -> Bool { a.canonical < b.canonical }
}
