/// What a port's listing says about fetching: DIST_SUBDIR, the SITES
/// groups, CHECKSUM_FILE, and the files a person must fetch.
public struct FetchFacts: Sendable, Equatable {
    public var files: [Distfile] = []
    /// SITES (key "") and SITES0 ... SITES9 (keys "0" ... "9"); MASTER_SITES
    /// stands in for SITES when that is empty.
    public var sites: [String: [String]] = [:]
    public var checksumFile: String?
    /// FETCH_MANUALLY's text when it names no file (the instructions).
    public var manualText: String?
    /// PERMIT_DISTFILES_CDROM / _FTP: nil when the port says nothing.
    public var permitCdrom: String?
    public var permitFtp: String?
    public init() {}
}

/// One DISTFILES word: `NAME`, `NAME{REMOTE}SUFFIX` (fetched as
/// REMOTE SUFFIX, kept as NAME SUFFIX), either with `:N` (from SITESN).
public struct Distfile: Sendable, Equatable, Hashable {
    /// DIST_SUBDIR/NAME: the name in distinfo and the path under DISTDIR.
    public var key: String
    /// What is appended to a site to make the URL.
    public var remote: String
    /// "" for SITES, "0" ... "9" for SITES0 ... SITES9.
    public var group: String
    /// Listed in FETCH_MANUALLY or MISSING_FILES: a person fetches it.
    public var manual = false

    public init(key: String, remote: String, group: String = "", manual: Bool = false) {
        self.key = key; self.remote = remote; self.group = group; self.manual = manual
    }

    /// The file's own name, without DIST_SUBDIR.
    public var basename: String { String(key.split(separator: "/").last ?? Substring(key)) }

    /// Parses one word (already checked by `ListedNames.distPathProblem`).
    public static func parse(_ word: String, subdir: String?) -> Result<Distfile, FetchProblem> {
        var w = Substring(word)
        var group = ""
        if let colon = w.lastIndex(of: ":"), w[w.index(after: colon)...].allSatisfy({ $0.isASCII && $0.isNumber }) {
            group = String(w[w.index(after: colon)...])
            guard group.count == 1 else { return .failure("site group ':\(group)' is not one digit (SITES0 to SITES9)") }
            w = w[..<colon]
        }
        // PREFIX{REMOTE}SUFFIX: kept as PREFIX SUFFIX, fetched as REMOTE SUFFIX.
        var name = String(w), remote = String(w)
        if let open = w.firstIndex(of: "{") {
            guard let close = w[open...].firstIndex(of: "}"), open != w.startIndex else {
                return .failure("expected NAME{REMOTE} or NAME{REMOTE}SUFFIX")
            }
            let inner = w[w.index(after: open)..<close], suffix = w[w.index(after: close)...]
            guard !inner.isEmpty, !inner.contains("{"), !suffix.contains("{"), !suffix.contains("}") else {
                return .failure("expected one {REMOTE}, not empty")
            }
            name = String(w[..<open] + suffix)
            remote = String(inner + suffix)
        }
        if name.contains("}") { return .failure("unbalanced braces") }
        let local = name
        if let why = ListedNames.distPathProblem(local) { return .failure("\(why)") }
        let key = subdir.map { $0 + "/" + local } ?? local
        return .success(Distfile(key: key, remote: remote, group: group))
    }
}

/// Why a distfile cannot be fetched as the port describes it.
public struct FetchProblem: Error, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public let description: String
    public init(stringLiteral value: String) { description = value }
    public init(stringInterpolation: DefaultStringInterpolation) { description = String(stringInterpolation: stringInterpolation) }
}

/// URLs a distfile is fetched from.
public enum FetchURL {
    /// Schemes the fetch command is given; anything else is an error in
    /// the port rather than something to try.
    public static let schemes = ["http", "https", "ftp", "file"]

    /// SITE (a trailing `/` added when missing) followed by REMOTE.
    public static func make(site: String, remote: String) -> Result<String, FetchProblem> {
        guard let sep = site.firstIndex(of: ":"), site[sep...].hasPrefix("://") else {
            return .failure("site \(ListedNames.quoted(site)) is not a URL (expected SCHEME://...)")
        }
        let scheme = site[..<sep].lowercased()
        guard schemes.contains(scheme) else {
            return .failure("site \(ListedNames.quoted(site)): unknown URL scheme '\(scheme)' (known: \(schemes.joined(separator: " ")))")
        }
        if let bad = site.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value == 0x7f }) {
            return .failure("site \(ListedNames.quoted(site)) holds the control or space character U+\(String(bad.value, radix: 16))")
        }
        return .success(site.hasSuffix("/") ? site + remote : site + "/" + remote)
    }

    /// `scheme://authority`: what a dead site is remembered by.
    public static func origin(_ url: String) -> String {
        guard let r = url.firstRange(of: "://") else { return url }
        let rest = url[r.upperBound...]
        return String(url[..<r.upperBound]) + String(rest.prefix { $0 != "/" })
    }
}

/// The content-addressed cache under DISTDIR: every verified file is also
/// linked as `by_cipher/sha256/XX/HEX/NAME` (HEX the lower-case SHA256,
/// XX its first two digits), so a file renamed upstream, or asked for under
/// another name, is found by its checksum, and a re-rolled one (new
/// checksum) gets a directory of its own.
public enum ByCipher {
    public static func directory(hex: String) -> String {
        "by_cipher/sha256/" + String(hex.prefix(2)) + "/" + hex
    }

    public static func path(hex: String, name: String) -> String {
        directory(hex: hex) + "/" + name
    }
}

extension String {
    func firstRange(of needle: String) -> Range<Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}
