/// Checks for the listing values that become file names or reach a shell:
/// FULLPKGNAME (`packages/NAME.log`, `REPO/ARCH/all/NAME.tgz`), DISTFILES
/// and DIST_SUBDIR (files under DISTDIR) and `tag:NAME` properties. A tree
/// is not trusted to keep them inside those directories, so a value that
/// fails here makes its port broken instead of being used.
/// Pkgpaths, flavors and subpackages are checked by `FullPkgPath` itself.
public enum ListedNames {
    /// The longest name kept: NAME plus `.tgz` or `.log` must fit in one
    /// file-name component (255 bytes on Linux).
    static let maxNameBytes = 250

    /// FULLPKGNAME: letters, digits and `. _ + -`; not starting with `.`
    /// or `-`.
    static func packageNameProblem(_ name: String) -> String? {
        if let p = lengthProblem(name) { return p }
        if let f = name.first, f == "." || f == "-" { return "starts with '\(f)'" }
        if let bad = name.unicodeScalars.first(where: { !PkgPath.allowed($0) }) {
            return "character \(shown(bad)) is not allowed (letters, digits, . _ + - only)"
        }
        return nil
    }

    /// One DISTFILES word or DIST_SUBDIR: a relative path below DISTDIR.
    /// Components are non-empty, never `.` or `..`, and use letters, digits
    /// and `. _ + - , ~ % @ : = { }` (what real distfile names, including
    /// the `name{url}` and `name:0` forms, need); the first one does not
    /// start with `-`.
    static func distPathProblem(_ path: String) -> String? {
        if let p = lengthProblem(path, limit: 1024) { return p }
        if path.first == "/" { return "is an absolute path" }
        if path.first == "-" { return "starts with '-'" }
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty { return "has an empty path component" }
            if part == "." || part == ".." { return "has a '\(part)' component" }
            if part.utf8.count > 255 { return "has a component longer than 255 bytes" }
            if let bad = part.unicodeScalars.first(where: { !distAllowed($0) }) {
                return "character \(shown(bad)) is not allowed (letters, digits, . _ + - , ~ % @ : = { } and / between components)"
            }
        }
        return nil
    }

    /// `tag:NAME`: NAME follows the pkgpath component alphabet.
    static func tagProblem(_ tag: String) -> String? {
        if tag.isEmpty { return "is empty" }
        if let p = lengthProblem(tag) { return p }
        return PkgPath.problem(inComponent: Substring(tag))
    }

    private static func lengthProblem(_ s: String, limit: Int = maxNameBytes) -> String? {
        if s.isEmpty { return "is empty" }
        if s.utf8.count > limit { return "is longer than \(limit) bytes" }
        return nil
    }

    private static func distAllowed(_ ch: Unicode.Scalar) -> Bool {
        if PkgPath.allowed(ch) { return true }
        switch ch {
        case ",", "~", "%", "@", ":", "=", "{", "}": return true
        default: return false
        }
    }

    /// A character as a reader can see it: control and non-ASCII ones by
    /// their code.
    private static func shown(_ ch: Unicode.Scalar) -> String {
        // The listing is decoded with replacement: U+FFFD is most likely a
        // byte that was not UTF-8 at all.
        if ch == "\u{FFFD}" { return "U+FFFD (a byte that is not valid UTF-8, or U+FFFD itself)" }
        return ch.isASCII && ch.value >= 0x20 && ch.value < 0x7f ? "'\(ch)'" : "U+" + String(ch.value, radix: 16, uppercase: true)
    }

    /// A value quoted for a reason text: at most 60 characters, control
    /// characters escaped, so a hostile value cannot flood or forge a log line.
    public static func quoted(_ s: String) -> String { "'" + visible(s, limit: 60) + "'" }

    /// `s` with control characters written as `\u{..}` (it goes to a
    /// terminal), cut after `limit` characters.
    public static func visible(_ s: String, limit: Int) -> String {
        var out = ""
        for (n, ch) in s.unicodeScalars.enumerated() {
            if n == limit { out += "..."; break }
            out += ch.value < 0x20 || ch.value == 0x7f ? "\\u{\(String(ch.value, radix: 16))}" : String(ch)
        }
        return out
    }
}
