// The hosts file (`-h FILE`, may be repeated): which machines build, and
// how. Pure parsing: nothing here touches the network or the disk except
// `HostsFile.load`, which only reads the files.
//
// Line kinds, after `#` comments are cut and blanks are skipped:
//   NAME=value            a -D parameter (the command line wins; the caller
//                         merges them)
//   DEFAULT key=value ... presets for every host line that follows it in
//                         the same file (several DEFAULT lines accumulate)
//   HOST key=value ...    one build host
//
// See hosts.example at the top of the repository for every property.

import Engine

/// How many cores a `parallel` port may take on a host.
public enum ParallelSetting: Sendable, Equatable, CustomStringConvertible {
    /// A fixed number of cores.
    case cores(Int)
    /// `/n`: max(2, jobs / n).
    case fraction(Int)

    /// Cores for a host that runs `jobs` jobs: never more than its jobs
    /// (a parallel port takes that many slots), never fewer than one.
    public func cores(forJobs jobs: Int) -> Int {
        let wanted: Int
        switch self {
        case .cores(let n): wanted = n
        case .fraction(let n): wanted = max(2, jobs / max(1, n))
        }
        return max(1, min(wanted, jobs))
    }

    public var description: String {
        switch self {
        case .cores(let n): return String(n)
        case .fraction(let n): return "/\(n)"
        }
    }
}

/// Per-host properties, as written in the hosts file (with defaults).
public struct HostProperties: Sendable, Equatable {
    /// Jobs run at once; nil: the host's CPU count, learnt by host init.
    public var jobs: Int? = nil
    /// Speed factor, relative to the other hosts.
    public var sf: Double = 1
    /// Stuck timeout in seconds (multiplied by sf); nil: STUCK_TIMEOUT or none.
    public var stuck: Int? = nil
    /// The host's architecture; a host for another arch is skipped.
    public var arch: String? = nil
    /// In-memory build threshold in KiB (sum of work dirs under /tmp).
    public var memory: Int? = nil
    public var parallel: ParallelSetting = .fraction(2)
    /// Small-port threshold in seconds (multiplied by sf).
    public var small: Int = 120
    /// Junk unused packages every `junk` builds (0: never).
    public var junk: Int = 150
    /// ssh connection timeout in seconds; nil: CONNECTION_TIMEOUT or 60.
    public var timeout: Int? = nil
    /// Clean work directories even after an error; nil: ALWAYS_CLEAN.
    public var alwaysClean: Bool? = nil
    /// The host shares no file system with the master: the tree, distfiles
    /// and packages travel over its ssh session (a copy host).
    public var copy = false

    public init() {}

    /// Every property name the file accepts, in documentation order.
    public static let names = ["jobs", "sf", "stuck", "arch", "memory", "parallel",
                               "small", "junk", "timeout", "always_clean", "copy"]
}

/// One host line, resolved.
public struct HostConfig: Sendable, Equatable {
    /// As written (`user@b2`, `b2`, `[fe80::1]`): the name shown everywhere.
    public var name: String
    /// The user part of `user@host`, if any.
    public var user: String?
    /// What ssh connects to (an ssh_config alias, a name or an address,
    /// IPv6 brackets removed).
    public var address: String
    public var properties: HostProperties
    /// Commands run directly, without ssh.
    public var isLocal: Bool
    /// `FILE:LINE` of the host line.
    public var origin: String
    /// Shares no file system with the master (`copy=1`).
    public var isCopy: Bool { properties.copy }

    public init(name: String, user: String? = nil, address: String,
                properties: HostProperties = HostProperties(), isLocal: Bool,
                origin: String = "") {
        self.name = name; self.user = user; self.address = address
        self.properties = properties; self.isLocal = isLocal; self.origin = origin
    }
}

/// A parameter line (`NAME=value`).
public struct HostsParameter: Sendable, Equatable {
    public var name: String
    public var value: String
    public var origin: String
}

/// `FILE:LINE: what was expected`.
public struct HostsFileError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}

public struct HostsFile: Sendable, Equatable {
    /// Host lines, in file order, minus the skipped ones.
    public var hosts: [HostConfig] = []
    /// Parameter lines, in file order (a later one overrides an earlier one
    /// in `parameterValues`).
    public var parameters: [HostsParameter] = []
    /// Notes for the user: hosts skipped for their arch.
    public var notes: [String] = []

    public init() {}

    /// Parameters as a dictionary, last one winning.
    public var parameterValues: [String: String] {
        var d: [String: String] = [:]
        for p in parameters { d[p.name] = p.value }
        return d
    }

    /// Reads and parses several files; a host may appear in only one of them.
    /// - Parameters:
    ///   - targetArch: hosts with another `arch=` are skipped (nil: keep all).
    ///   - localNames: names that mean this machine (`localhost` always does).
    ///   - localArch: this machine's architecture; a local host declaring
    ///     another one is refused with a note (nil: no check).
    public static func load(paths: [String], targetArch: String?,
                            localNames: Set<String>, localArch: String? = nil) throws -> HostsFile {
        var result = HostsFile()
        for (n, path) in paths.enumerated() {
            // Otherwise its first host is "already listed" at its own line.
            if paths[..<n].contains(path) {
                throw HostsFileError(file: path, line: 0, message: "this hosts file is given twice (-h)")
            }
            guard let text = readWholeFile(path) else {
                throw HostsFileError(file: path, line: 0, message: "cannot read the hosts file")
            }
            try result.parse(text, file: path, targetArch: targetArch, localNames: localNames, localArch: localArch)
        }
        return result
    }

    /// Parses one file's text into `self` (DEFAULT presets start afresh).
    public mutating func parse(_ text: String, file: String, targetArch: String?,
                               localNames: Set<String>, localArch: String? = nil) throws {
        var defaults = HostProperties()
        var lineNumber = 0
        // Lower-cased name -> index in `hosts`, so a duplicate is found in
        // constant time: a file of many hosts parses in linear time.
        var listed: [String: Int] = [:]
        // Room for one host a line up front: growing a large table is
        // what costs most after the words themselves.
        let lines = text.utf8.reduce(into: 1) { n, b in if b == UInt8(ascii: "\n") { n += 1 } }
        listed.reserveCapacity(hosts.count + lines)
        hosts.reserveCapacity(hosts.count + lines)
        for (i, h) in hosts.enumerated() { listed[h.name.lowercased()] = i }
        // Lines and words are cut on bytes and each word becomes a String of
        // its own: every separator is ASCII, and Character-wise scanning
        // made a 100,000-line file take seconds (it also kept "\r\n", one
        // Character, from ending a line).
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
        let equals = UInt8(ascii: "=")
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            func fail(_ message: String) -> HostsFileError {
                // The message quotes the line's words: binary or megabytes
                // of them must not reach the terminal as they are.
                HostsFileError(file: file, line: lineNumber, message: ListedNames.visible(message, limit: 300))
            }
            var line = rawLine
            if let hash = line.firstIndex(of: UInt8(ascii: "#")) { line = line[..<hash] }
            let words = line.split(whereSeparator: isBlank)
            guard let first = words.first else { continue }

            if let eq = first.firstIndex(of: equals) {
                // NAME=value: the value is the rest of the line, trimmed.
                let name = String(decoding: first[..<eq], as: UTF8.self)
                guard Self.isParameterName(name) else {
                    throw fail("expected a parameter NAME=value with NAME made of letters, digits and _, got '\(String(decoding: first, as: UTF8.self))'")
                }
                // `first` is a slice of `line`, so its index is valid there.
                var value = line[line.index(after: eq)...]
                while let b = value.first, isBlank(b) { value = value.dropFirst() }
                while let b = value.last, isBlank(b) { value = value.dropLast() }
                parameters.append(HostsParameter(name: name, value: String(decoding: value, as: UTF8.self),
                                                 origin: "\(file):\(lineNumber)"))
                continue
            }

            let hostWord = String(decoding: first, as: UTF8.self)
            var props = defaults
            var keys: Set<String> = []
            for word in words.dropFirst() {
                guard let eq = word.firstIndex(of: equals) else {
                    throw fail("expected key=value, got '\(String(decoding: word, as: UTF8.self))'")
                }
                let key = String(decoding: word[..<eq], as: UTF8.self)
                // Which of two values would win is a guess: say so instead.
                guard keys.insert(key).inserted else { throw fail("property '\(key)' given twice on one line") }
                let value = String(decoding: word[word.index(after: eq)...], as: UTF8.self)
                if let problem = Self.apply(key: key, value: value, to: &props) {
                    throw fail(problem)
                }
            }
            if hostWord == "DEFAULT" {
                defaults = props
                continue
            }
            guard let parsed = Self.parseHostName(hostWord) else {
                throw fail("expected a host name ([user@]host: letters, digits, '.', '-', '_', or an IPv6 address in [brackets]), got '\(hostWord)'")
            }
            // The name is looked up and goes into log file names: one DNS
            // cannot hold would only fail later, as a host down.
            if !parsed.address.contains(":"),
               parsed.address.utf8.count > 253 || parsed.address.split(separator: ".").contains(where: { $0.utf8.count > 63 }) {
                throw fail("host name '\(hostWord.prefix(40))...' is longer than a host name can be (253 bytes, 63 between dots)")
            }
            let key = hostWord.lowercased()
            if let dup = listed[key] {
                throw fail("host \(hostWord) is already listed at \(hosts[dup].origin)")
            }
            if let want = targetArch, let arch = props.arch, arch != want {
                notes.append("\(file):\(lineNumber): skipping \(hostWord): arch=\(arch), building for \(want)")
                continue
            }
            let address = parsed.address.lowercased()
            let local = parsed.user == nil && (address == "localhost" || localNames.contains(address))
            if local, let arch = props.arch, let mine = localArch, arch != mine {
                // It would build packages for `arch` with this machine's tools.
                notes.append("\(file):\(lineNumber): refusing \(hostWord): it is this machine, whose architecture is \(mine), but it declares arch=\(arch)")
                continue
            }
            // Two names of this machine would be two local hosts sharing one
            // LOCALBASE and the CPUs twice over.
            if local, let other = hosts.first(where: { $0.isLocal }) {
                throw fail("\(hostWord) is this machine, already listed as \(other.name) at \(other.origin): list this machine once")
            }
            if local && props.copy {
                throw fail("copy=1: \(hostWord) is this machine, which always shares its own files; copy hosts must be remote (write copy=0 on this line to override a DEFAULT)")
            }
            listed[key] = hosts.count
            hosts.append(HostConfig(name: hostWord, user: parsed.user, address: parsed.address,
                                    properties: props, isLocal: local,
                                    origin: "\(file):\(lineNumber)"))
        }
    }

    static func isParameterName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || isASCIILetter(f) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || isASCIILetter($0) || isASCIIDigit($0) }
    }

    /// Sets one property; returns what was expected when the value is bad.
    static func apply(key: String, value: String, to p: inout HostProperties) -> String? {
        func count(min: Int) -> Int? {
            guard let n = Int(value), n >= min, value.first != "+" else { return nil }
            return n
        }
        switch key {
        case "jobs":
            guard let n = count(min: 1) else { return "jobs: expected a number of jobs >= 1, got '\(value)'" }
            p.jobs = n
        case "sf":
            // Bounded so that weights divided or multiplied by it stay finite.
            // Plain decimals only: Double() would also take 0x10 and 1e2.
            let decimal = value.utf8.allSatisfy { isASCIIDigit($0) || $0 == UInt8(ascii: ".") }
            guard decimal, let d = Double(value), d >= 0.001, d <= 1000 else {
                return "sf: expected a speed factor from 0.001 to 1000 (e.g. 1 or 2.5), got '\(value)'"
            }
            p.sf = d
        case "stuck":
            guard let n = count(min: 1) else { return "stuck: expected a timeout in seconds >= 1, got '\(value)'" }
            p.stuck = n
        case "arch":
            guard HostsFile.isArchName(value) else {
                return "arch: expected an architecture name (e.g. amd64, x86_64), got '\(value)'"
            }
            p.arch = value
        case "memory":
            guard let kib = parseKiB(value) else {
                return "memory: expected a size in KiB (a number, or with a K, M or G suffix), got '\(value)'"
            }
            p.memory = kib
        case "parallel":
            if value.hasPrefix("/") {
                guard let n = Int(value.dropFirst()), n >= 1, value.dropFirst().first != "+" else {
                    return "parallel: expected a number of cores or /n with n >= 1, got '\(value)'"
                }
                p.parallel = .fraction(n)
            } else {
                // As -p: at least one core (0 would be a port that cannot run).
                guard let n = count(min: 1) else {
                    return "parallel: expected a number of cores >= 1 or /n with n >= 1, got '\(value)'"
                }
                p.parallel = .cores(n)
            }
        case "small":
            guard let n = count(min: 0) else { return "small: expected a threshold in seconds >= 0, got '\(value)'" }
            p.small = n
        case "junk":
            guard let n = count(min: 0) else { return "junk: expected a number of builds >= 0 (0: never), got '\(value)'" }
            p.junk = n
        case "timeout":
            guard let n = count(min: 1) else { return "timeout: expected a connection timeout in seconds >= 1, got '\(value)'" }
            p.timeout = n
        case "always_clean":
            switch value {
            case "0": p.alwaysClean = false
            case "1": p.alwaysClean = true
            default: return "always_clean: expected 0 or 1, got '\(value)'"
            }
        case "copy":
            switch value {
            case "0": p.copy = false
            case "1": p.copy = true
            default: return "copy: expected 0 (shared file system) or 1 (files are copied over ssh), got '\(value)'"
            }
        default:
            return "unknown property '\(key)': expected one of \(HostProperties.names.joined(separator: " "))"
        }
        return nil
    }

    static func parseKiB(_ v: String) -> Int? {
        var digits = Substring(v)
        var scale = 1
        switch v.last {
        case "K", "k": scale = 1; digits = digits.dropLast()
        case "M", "m": scale = 1024; digits = digits.dropLast()
        case "G", "g": scale = 1024 * 1024; digits = digits.dropLast()
        default: break
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let n = Int(digits) else { return nil }
        let (r, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : r
    }

    /// `[user@]host`, `[user@][v6addr]`, or a bare IPv6 address. The result
    /// reaches ssh and remote shells, so only a small alphabet is allowed.
    /// Checked on bytes: every allowed character is ASCII.
    static func parseHostName(_ word: String) -> (user: String?, address: String)? {
        func isNameByte(_ c: UInt8) -> Bool {
            isASCIILetter(c) || isASCIIDigit(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
        }
        // A leading '-' would read as an ssh option; a leading '.' (`..`)
        // is no host, and the name becomes part of log file names.
        func startsWell(_ s: Substring.UTF8View) -> Bool {
            guard let f = s.first else { return false }
            return f != UInt8(ascii: "-") && f != UInt8(ascii: ".")
        }
        func isV6(_ s: Substring.UTF8View) -> Bool {
            s.contains(UInt8(ascii: ":")) && s.allSatisfy {
                isASCIIDigit($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0)
                    || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
        }
        func text(_ s: Substring.UTF8View) -> String { String(decoding: s, as: UTF8.self) }
        var user: String? = nil
        var rest = word.utf8[...]
        if let at = rest.firstIndex(of: UInt8(ascii: "@")) {
            let u = rest[..<at]
            guard startsWell(u), u.allSatisfy(isNameByte) else { return nil }
            user = text(u)
            rest = rest[rest.index(after: at)...]
        }
        guard startsWell(rest) else { return nil }
        if rest.first == UInt8(ascii: "[") {
            guard rest.last == UInt8(ascii: "]"), rest.count > 2 else { return nil }
            let inner = rest.dropFirst().dropLast()
            return isV6(inner) ? (user, text(inner)) : nil
        }
        if rest.contains(UInt8(ascii: ":")) {
            return isV6(rest) ? (user, text(rest)) : nil
        }
        return rest.allSatisfy(isNameByte) ? (user, text(rest)) : nil
    }
}

extension HostsFile {
    /// An architecture name (`arch=`, -A, the tree's MACHINE_ARCH): letters,
    /// digits, `_` and `-` only, since it becomes a directory name in the
    /// package repository and the log directory.
    public static func isArchName(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { isASCIILetter($0) || isASCIIDigit($0) || $0 == "_" || $0 == "-" }
    }
}

@inline(__always) func isASCIILetter(_ c: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(c) || ("A"..."Z").contains(c)
}
@inline(__always) func isASCIIDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
@inline(__always) func isASCIILetter(_ c: UInt8) -> Bool { (0x61...0x7A).contains(c) || (0x41...0x5A).contains(c) }
@inline(__always) func isASCIIDigit(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) }

extension Substring {
    func trimmingSpaces() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
}
