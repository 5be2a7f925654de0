import CPosix
import Foundation
import Synchronization

/// A file system in memory with the disk's answers: ENOENT for a file in a
/// directory that was never made, EEXIST for an exclusive create of a
/// name that is there, ENOTDIR/EISDIR where a file and a directory meet,
/// and failures a test injects (ENOSPC, EROFS) under a directory. For
/// in-process runs of thousands of ports at no file-system cost.
public final class MemoryFileStore: FileStore {
    enum Node {
        case file(String)
        case link(String)
        case directory(Set<String>)
    }

    struct State {
        var nodes: [String: Node] = ["/": .directory([])]
        /// Writes under these directories fail with this errno.
        var failing: [(prefix: String, code: Int32)] = []
    }

    let state = Mutex(State())

    public init() {}

    /// From now on every write under `directory` fails with `code`.
    public func failWrites(under directory: String, code: Int32) {
        let dir = MemoryFileStore.normalize(directory)
        state.withLock { $0.failing.append((dir, code)) }
    }

    public func createExclusive(_ path: String, with text: String) throws -> Bool {
        let p = MemoryFileStore.normalize(path)
        return try state.withLock { s in
            if s.nodes[p] != nil { return false }
            try s.checkWritable(p, "cannot create")
            s.put(p, .file(text))
            return true
        }
    }

    public func append(_ text: String, to path: String) throws {
        let p = MemoryFileStore.normalize(path)
        try state.withLock { s in
            // Looked up again, not kept from lookUp: a second reference to
            // the text would make the append below copy all of it.
            let target = s.lookUp(p).path
            switch s.nodes[target] {
            case .file(var old)?:
                try s.checkWritable(target, "write failed", parentKnown: true)
                // Released first so that the append does not copy the text.
                s.nodes[target] = .directory([])
                old += text
                s.nodes[target] = .file(old)
            case .directory?:
                throw FileIO.Failure(path: path, what: "cannot open for append", code: EISDIR)
            case .link?, nil:
                try s.checkWritable(target, "cannot open for append")
                s.put(target, .file(text))
            }
        }
    }

    public func appendIfPresent(_ text: String, to path: String) throws -> Bool {
        let p = MemoryFileStore.normalize(path)
        let present = state.withLock { s -> Bool in
            if case .file? = s.lookUp(p).node { return true }
            return false
        }
        if present { try append(text, to: path) }
        return present
    }

    public func replace(_ path: String, with text: String, sync: Bool) throws {
        let p = MemoryFileStore.normalize(path)
        try state.withLock { s in
            if case .directory? = s.nodes[p] {
                throw FileIO.Failure(path: path, what: "cannot rename into place", code: EISDIR)
            }
            try s.checkWritable(p, "cannot create")
            s.put(p, .file(text))
        }
    }

    public func read(_ path: String) -> String? {
        let p = MemoryFileStore.normalize(path)
        return state.withLock { s in
            if case let .file(text)? = s.lookUp(p).node { return text }
            return nil
        }
    }

    public func read(_ path: String, from offset: UInt64, limit: Int?) -> Data? {
        guard let text = read(path) else { return nil }
        let bytes = Array(text.utf8)
        guard offset < UInt64(bytes.count) else { return Data() }
        let start = Int(offset)
        let end = limit.map { min(bytes.count, start + $0) } ?? bytes.count
        return Data(bytes[start..<end])
    }

    public func exists(_ path: String) -> Bool {
        let p = MemoryFileStore.normalize(path)
        return state.withLock { s in s.lookUp(p).node.map { if case .link = $0 { false } else { true } } ?? false }
    }

    public func size(_ path: String) -> Int64? {
        let p = MemoryFileStore.normalize(path)
        return state.withLock { s in
            switch s.lookUp(p).node {
            case let .file(text)?: return Int64(text.utf8.count)
            case .directory?: return 4096
            default: return nil
            }
        }
    }

    public func remove(_ path: String) {
        let p = MemoryFileStore.normalize(path)
        state.withLock { s in
            switch s.nodes[p] {
            case .file?, .link?: s.drop(p)
            default: break
            }
        }
    }

    public func makeDirectory(_ path: String) throws {
        let p = MemoryFileStore.normalize(path)
        try state.withLock { s in
            if case .directory? = s.nodes[p] { return }
            var made = ""
            for part in p.split(separator: "/") {
                made += "/" + part
                switch s.nodes[made] {
                case .directory?: continue
                case .file?, .link?:
                    throw FileIO.Failure(path: path, what: "cannot create directory", code: ENOTDIR)
                case nil:
                    try s.checkWritable(made, "cannot create directory")
                    s.put(made, .directory([]))
                }
            }
        }
    }

    public func list(_ directory: String) -> [String]? {
        let p = MemoryFileStore.normalize(directory)
        return state.withLock { s in
            if case let .directory(names)? = s.lookUp(p).node { return Array(names) }
            return nil
        }
    }

    public func link(_ link: String, to target: String) {
        let p = MemoryFileStore.normalize(link)
        state.withLock { s in
            if case .directory? = s.nodes[p] { return }
            guard (try? s.checkWritable(p, "cannot link")) != nil else { return }
            s.put(p, .link(target))
        }
    }

    public func openLog(_ path: String) throws -> any LogSink {
        // Made now, as open(O_CREAT) would, so a missing directory fails here.
        try append("", to: path)
        return MemoryLog(store: self, path: path)
    }

    /// `/a//b/./c/` is `/a/b/c`; `..` goes up.
    static func normalize(_ path: String) -> String {
        if isNormal(path) { return path }
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Absolute, no `//`, no `/.` and no trailing slash: most paths, told
    /// in one pass over the bytes (Foundation's `contains` costs more than
    /// the rest of a lookup).
    static func isNormal(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { bytes in
            let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
            guard let base = bytes.baseAddress, bytes.count > 0, base[0] == slash else { return false }
            if bytes.count == 1 { return true }
            if base[bytes.count - 1] == slash { return false }
            var i = 1
            while i < bytes.count {
                if base[i - 1] == slash && (base[i] == slash || base[i] == dot) { return false }
                i += 1
            }
            return true
        }
    }

    static func parent(_ path: String) -> String {
        // On the bytes: a Character search backwards costs more than the
        // rest of a lookup.
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}

extension MemoryFileStore.State {
    /// What `path` names, through a symbolic link (one level, relative to
    /// the link's directory): the path reached and its node.
    func lookUp(_ path: String) -> (path: String, node: MemoryFileStore.Node?) {
        let node = nodes[path]
        guard case let .link(target)? = node else { return (path, node) }
        let full = MemoryFileStore.normalize(target.hasPrefix("/") ? target : MemoryFileStore.parent(path) + "/" + target)
        return (full, nodes[full])
    }

    /// The parent must be a directory and no failure injected there.
    func checkWritable(_ path: String, _ what: String, parentKnown: Bool = false) throws {
        for f in failing where path == f.prefix || path.hasPrefix(f.prefix + "/") {
            throw FileIO.Failure(path: path, what: what, code: f.code)
        }
        if parentKnown { return }
        switch nodes[MemoryFileStore.parent(path)] {
        case .directory?: return
        case nil: throw FileIO.Failure(path: path, what: what, code: ENOENT)
        default: throw FileIO.Failure(path: path, what: what, code: ENOTDIR)
        }
    }

    mutating func put(_ path: String, _ node: MemoryFileStore.Node) {
        if nodes.updateValue(node, forKey: path) == nil { editNames(of: path) { $0.insert($1) } }
    }

    mutating func drop(_ path: String) {
        if nodes.removeValue(forKey: path) != nil { editNames(of: path) { $0.remove($1) } }
    }

    /// Changes the name list of `path`'s directory in place (the set is
    /// taken out of the table first so that it is not copied).
    mutating func editNames(of path: String, _ change: (inout Set<String>, String) -> Void) {
        let dir = MemoryFileStore.parent(path)
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return }
        let name = String(path[path.utf8.index(after: slash)...])
        guard case var .directory(names)? = nodes[dir] else { return }
        nodes[dir] = .file("")
        change(&names, name)
        nodes[dir] = .directory(names)
    }
}

/// An append-only file of a MemoryFileStore.
final class MemoryLog: LogSink {
    let store: MemoryFileStore
    let path: String
    init(store: MemoryFileStore, path: String) { self.store = store; self.path = path }
    func write(_ text: String) throws { try store.append(text, to: path) }
}
