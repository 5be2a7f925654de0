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
        /// The raw lines of the block, kept for a broken port's log.
        public var raw: [String] = []
        /// Lines in the block that could not be understood.
        public var problems: [String] = []
    }
    public var blocks: [Block] = []
    /// Paths reported as `>> Broken dependency: X non existent`.
    public var nonexistent: [String] = []
    /// Everything that is not a variable line: goes to vars.log.
    public var otherLines: [String] = []

    public init() {}

    /// Parses the whole output. Never fails: odd lines are collected.
    public static func parse(_ text: Substring) -> DumpVarsOutput {
        var out = DumpVarsOutput()
        var current: Block?
        func flush() {
            if let b = current { out.blocks.append(b) }
            current = nil
        }
        // "\r\n" is a single Character in Swift, so both ends are separators.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            if line.hasPrefix("===> ") {
                let rest = line.dropFirst(5)
                if rest.hasPrefix("Exiting "), rest.hasSuffix(" with an error") {
                    let name = rest.dropFirst(8).dropLast(14)
                    if current == nil || current!.header != String(name) {
                        flush()
                        current = Block(header: String(name))
                    }
                    current!.raw.append(String(line))
                    current!.broken = true
                    out.otherLines.append(String(line))
                    flush()
                    continue
                }
                flush()
                let name = rest.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
                current = Block(header: name)
                current!.raw.append(String(line))
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
            if let (path, name, value) = splitVariable(line) {
                if current == nil { current = Block(header: path.pkgpath.value) }
                current!.raw.append(String(line))
                if current!.vars[path] == nil { current!.order.append(path) }
                current!.vars[path, default: [:]][name] = value
                continue
            }
            out.otherLines.append(String(line))
            if current != nil {
                current!.raw.append(String(line))
                if line.contains("=") { current!.problems.append(String(line)) }
            }
        }
        flush()
        return out
    }

    /// `FULLPKGPATH.VAR=value` with VAR in `[A-Z][A-Z_0-9]*`; quotes around
    /// the value are stripped.
    static func splitVariable(_ line: Substring) -> (FullPkgPath, String, String)? {
        guard let eq = line.firstIndex(of: "=") else { return nil }
        let key = line[..<eq]
        guard let dot = key.lastIndex(of: ".") else { return nil }
        let name = key[key.index(after: dot)...]
        guard let first = name.unicodeScalars.first, ("A"..."Z").contains(first),
              name.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { return nil }
        guard let path = try? FullPkgPath(String(key[..<dot])) else { return nil }
        var value = line[line.index(after: eq)...]
        if value.count >= 2, value.first == "\"", value.last == "\"" {
            value = value.dropFirst().dropLast()
        }
        return (path, String(name), String(value))
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
