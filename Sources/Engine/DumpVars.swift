/// What one `make dump-vars` run printed, parsed but not yet interpreted.
public struct DumpVarsOutput: Sendable {
    public struct Block: Sendable {
        /// The directory named in `===> PKGPATH` (may carry flavors).
        public var header: String
        /// Variables per fullpkgpath, in the order they first appeared.
        public var order: [FullPkgPath] = []
        public var vars: [FullPkgPath: [String: String]] = [:]
        /// Set when the block ended with `===> Exiting ... with an error`.
        public var broken = false
        /// The raw lines of the block, for a broken port's log: slices of
        /// the parsed text, not copies (a whole tree's listing is megabytes,
        /// and only broken blocks are ever written out).
        public var rawLines: [Substring] = []
        public var raw: [String] { rawLines.map(String.init) }
        /// Lines in the block that could not be understood.
        public var problems: [String] = []
        /// A variable given twice with different values, by path: the
        /// output is garbled, and neither value can be trusted.
        public var conflicts: [FullPkgPath: String] = [:]
    }
    public var blocks: [Block] = []
    /// Paths reported as `>> Broken dependency: X non existent`.
    public var nonexistent: [String] = []
    /// Everything that is not a variable line: goes to vars.log.
    public var otherLines: [String] = []
    /// Paths the tree printed (a block header, a variable line) that are
    /// no valid fullpkgpath, each once with the reason: such a port can
    /// be neither named nor built, and must not be lost without a word.
    public var unusablePaths: [String] = []

    public init() {}

    /// Parses the whole output. Never fails: odd lines are collected.
    public static func parse(_ text: Substring) -> DumpVarsOutput {
        var out = DumpVarsOutput()
        var current: Block?
        func flush() {
            if let b = current { out.blocks.append(b) }
            current = nil
        }
        // The path of the last variable line: a port's lines come together.
        var lastPath: (text: Substring, path: FullPkgPath)?
        var unusable = Set<Substring>()
        func checkNamed(_ text: Substring) {
            guard !text.isEmpty, !unusable.contains(text) else { return }
            do { _ = try FullPkgPath(String(text)) } catch {
                unusable.insert(text)
                out.unusablePaths.append(ListedNames.visible("\(error)", limit: 300))
            }
        }
        // Split on bytes, not Characters ("\r\n" is one Character): a
        // whole tree's listing has hundreds of thousands of lines.
        for bytes in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let rawLine = Substring(bytes)
            let line = bytes.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            if line.hasPrefix("===> ") {
                let rest = line.dropFirst(5)
                if rest.hasPrefix("Exiting "), rest.hasSuffix(" with an error") {
                    let name = rest.dropFirst(8).dropLast(14)
                    if current == nil || current!.header != String(name) {
                        flush()
                        current = Block(header: String(name))
                    }
                    current!.rawLines.append(line)
                    current!.broken = true
                    out.otherLines.append(String(line))
                    flush()
                    continue
                }
                flush()
                let name = rest.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
                checkNamed(Substring(name))
                current = Block(header: name)
                current!.rawLines.append(line)
                out.otherLines.append(String(line))
                continue
            }
            if line.hasPrefix(">> Broken dependency: ") {
                var rest = line.dropFirst(22)
                if rest.hasSuffix(" non existent") { rest = rest.dropLast(13) }
                out.nonexistent.append(String(rest).trimmingSpaces())
                out.otherLines.append(String(line))
                continue
            }
            if let (path, name, value) = splitVariable(line, last: &lastPath) {
                if current == nil { current = Block(header: path.pkgpath.value) }
                current!.rawLines.append(line)
                if current!.vars[path] == nil { current!.order.append(path) }
                if let before = current!.vars[path]?[name], before != value, current!.conflicts[path] == nil {
                    current!.conflicts[path] = "\(name) given twice: \(ListedNames.quoted(before)), then \(ListedNames.quoted(value))"
                }
                current!.vars[path, default: [:]][name] = value
                continue
            }
            if let key = variableKey(line) { checkNamed(key.path) }
            out.otherLines.append(String(line))
            if current != nil {
                current!.rawLines.append(line)
                if line.contains("=") { current!.problems.append(String(line)) }
            }
        }
        flush()
        return out
    }

    /// The path, name and value of a `PATH.VAR=value` line with VAR in
    /// `[A-Z][A-Z_0-9]*` (the path not checked).
    static func variableKey(_ line: Substring) -> (path: Substring, name: Substring, value: Substring)? {
        let u = line.utf8
        guard let eq = u.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let key = u[..<eq]
        guard let dot = key.lastIndex(of: UInt8(ascii: ".")) else { return nil }
        let name = key[key.index(after: dot)...]
        guard let first = name.first, first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z"),
              name.allSatisfy({ ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                  || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_") })
        else { return nil }
        return (Substring(key[..<dot]), Substring(name), Substring(u[u.index(after: eq)...]))
    }

    /// `FULLPKGPATH.VAR=value` with VAR in `[A-Z][A-Z_0-9]*`; quotes around
    /// the value are stripped.
    /// `last` is the path of the line before, parsed again only when the
    /// text differs.
    static func splitVariable(_ line: Substring,
                              last: inout (text: Substring, path: FullPkgPath)?) -> (FullPkgPath, String, String)? {
        guard let (pathText, name, whole) = variableKey(line) else { return nil }
        let path: FullPkgPath
        if let last, last.text.utf8.elementsEqual(pathText.utf8) {
            path = last.path
        } else {
            guard let p = try? FullPkgPath(String(pathText)) else { return nil }
            path = p
            last = (pathText, p)
        }
        var value = whole.utf8[...]
        if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") {
            value = value.dropFirst().dropLast()
        }
        return (path, String(name), String(Substring(value)))
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
    /// Words separated by spaces or tabs.
    func words() -> [String] {
        let chars: Substring = Substring(self)
        return chars.split(whereSeparator: { (c: Character) in c == " " || c == "\t" }).map(String.init)
    }
}
