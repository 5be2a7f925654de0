// Small helpers shared by the HostPool files: files, quoting, names.
import CPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The whole content of a file, or nil when it cannot be read.
func readWholeFile(_ path: String) -> String? {
    let fd = cp_open_read(path)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
        if n < 0 { if cp_errno() == EINTR { continue }; return nil }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes every byte (retrying short writes); false on error.
@discardableResult
func writeAll(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Bool {
    var done = 0
    while done < count {
        let n = write(fd, base + done, count - done)
        if n < 0 { if cp_errno() == EINTR { continue }; return false }
        done += n
    }
    return true
}

/// A -D parameter that turns something off: `0`, `no`, `off` or `false`,
/// in any case (SSH_AGENT, LOCAL_AGENT).
public func parameterSaysOff(_ value: String?) -> Bool {
    ["0", "no", "off", "false"].contains(value?.lowercased() ?? "")
}

@discardableResult
func writeAll(_ fd: Int32, _ text: String) -> Bool {
    var t = text
    return t.withUTF8 { writeAll(fd, $0.baseAddress!, $0.count) }
}

/// One word for a POSIX shell: left bare when it only has safe characters,
/// otherwise single-quoted (with `'` written as `'\''`).
public func shellQuote(_ word: String) -> String {
    if !word.isEmpty && word.unicodeScalars.allSatisfy({
        isASCIILetter($0) || isASCIIDigit($0) || "%+,-./:=@_".unicodeScalars.contains($0) }) {
        return word
    }
    return "'" + word.replacingAll("'", with: "'\\''") + "'"
}

/// The command line a shell runs for `argv` with `environment` added:
/// `env -- K=V ... argv...`, every word quoted.
public func shellCommand(argv: [String], environment: [String: String]) -> String {
    var words: [String] = []
    if !environment.isEmpty {
        words.append("env")
        for k in environment.keys.sorted() { words.append(shellQuote("\(k)=\(environment[k]!)")) }
    }
    words.append(contentsOf: argv.map(shellQuote))
    return words.joined(separator: " ")
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

/// The text of a NUL-terminated C buffer.
public func textOfCBuffer(_ buf: [CChar]) -> String {
    String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Names that mean this machine: its host name, short and long.
public func localHostNames() -> Set<String> {
    var buf = [CChar](repeating: 0, count: 256)
    guard gethostname(&buf, 255) == 0 else { return ["localhost"] }
    let full = textOfCBuffer(buf).lowercased()
    var names: Set<String> = ["localhost", full]
    if let dot = full.firstIndex(of: ".") { names.insert(String(full[..<dot])) }
    return names
}

/// A lock for state shared between threads, on the standard library's
/// Mutex: `locked` runs its body with the lock held.
final class Mutex: Sendable {
    private let m = Synchronization.Mutex<Void>(())
    init() {}
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        try m.withLock { _ in try body() }
    }
}

/// Starts a detached thread running `body`.
func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(&tid, nil, { arg in
        let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
        b.body()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed: \(rc)")
    pthread_detach(tid)
}
