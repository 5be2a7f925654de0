// The agent's side of file transfers (frames in Agent.swift's header).
// Puts write to a part file beside the target and rename it only once
// the size and SHA-256 of the close frame match what arrived; gets are
// read a chunk at a time when the agent's reply buffer has room, so task
// output keeps flowing beside them.
import CPosix
#if canImport(Glibc)
import Glibc
#endif

final class AgentFileServer {
    final class Put {
        let place: FilePlace
        let part: String
        let fd: Int32
        let mode: UInt32
        let mtime: (Int64, UInt32)?
        let hasher = SHA256Hasher()
        var size: Int64 = 0
        var failure: FileFailure?
        init(place: FilePlace, part: String, fd: Int32, mode: UInt32, mtime: (Int64, UInt32)?) {
            self.place = place; self.part = part; self.fd = fd; self.mode = mode; self.mtime = mtime
        }
    }

    /// A file read a chunk at a time: a get (sent as B frames) or a have
    /// check (only hashed, compared with `want` at the end).
    final class Get {
        let path: String
        let fd: Int32
        let mode: UInt32
        let want: [UInt8]?
        let hasher = SHA256Hasher()
        var size: Int64 = 0
        init(path: String, fd: Int32, mode: UInt32, want: [UInt8]? = nil) {
            self.path = path; self.fd = fd; self.mode = mode; self.want = want
        }
    }

    var puts: [UInt32: Put] = [:]
    var gets: [UInt32: Get] = [:]
    /// Order in which gets take turns.
    var getOrder: [UInt32] = []
    /// Directories whose stale part files were swept (once each: a dead
    /// writer's part files are older than this agent).
    private var swept: Set<String> = []
    private var chunk = [UInt8](repeating: 0, count: AgentFrame.chunkSize)

    typealias Reply = (UInt8, UInt32, [UInt8]) -> Void

    /// Handles a file request; false when `type` is not one.
    func handle(_ type: UInt8, _ id: UInt32, _ payload: ArraySlice<UInt8>, reply: Reply) -> Bool {
        var r = PayloadReader(payload)
        let result: FileFailure?
        switch type {
        case AgentFrame.putOpen: result = open(id, &r)
        case AgentFrame.putData:
            if let p = puts[id], p.failure == nil {
                p.hasher.update(payload)
                p.size += Int64(payload.count)
                if !payload.withUnsafeBytes({ writeAll(p.fd, $0.baseAddress!, $0.count) }) {
                    p.failure = .errno(p.place.path, "cannot write")
                }
            }
            return true
        case AgentFrame.putClose: result = closePut(id, &r)
        case AgentFrame.putAbort:
            if let p = puts.removeValue(forKey: id) { discard(p) }
            return true
        case AgentFrame.have:
            switch have(id, &r) {
            case .success(let started): if !started { reply(AgentFrame.done, id, [0]) }; return true
            case .failure(let f): result = f
            }
        case AgentFrame.get: result = startGet(id, &r)
            if result == nil { return true }
        case AgentFrame.manifest:
            guard let root = r.string(), let hasOnly = r.byte(), let only = r.strings(), let excl = r.strings() else {
                result = .bad("", "bad manifest request"); break
            }
            switch walkManifest(root: root, only: hasOnly == 1 ? only : nil, excluding: excl) {
            case .failure(let f): result = f
            case .success(let entries):
                var w = PayloadWriter()
                for e in entries {
                    e.encode(to: &w)
                    if w.bytes.count >= AgentFrame.chunkSize { reply(AgentFrame.listing, id, w.bytes); w = PayloadWriter() }
                }
                if !w.bytes.isEmpty { reply(AgentFrame.listing, id, w.bytes) }
                result = nil
            }
        case AgentFrame.remove: result = remove(&r)
        case AgentFrame.symlink: result = symlink(id, &r)
        case AgentFrame.makeDirectory: result = makeDirectory(&r)
        default: return false
        }
        if let f = result {
            var w = PayloadWriter()
            w.u32(f.refusal.rawValue); w.string(f.path); w.string(f.message)
            reply(AgentFrame.refused, id, w.bytes)
        } else if type != AgentFrame.putOpen {
            reply(AgentFrame.done, id, [])
        }
        return true
    }

    /// F: u32 mode, u32 has-time, i64 mtime, u32 nanoseconds, root, name.
    private func open(_ id: UInt32, _ r: inout PayloadReader) -> FileFailure? {
        guard let mode = r.u32(), let hasTime = r.u32(), let sec = r.i64(), let ns = r.u32(),
              let root = r.string(), let name = r.string() else { return .bad("", "bad put request") }
        if puts[id] != nil { return .bad(name, "transfer id \(id) is in use") }
        let place: FilePlace
        switch FilePlace.open(root: root, name: name, create: true) {
        case .failure(let f): return f
        case .success(let p): place = p
        }
        let part = PartFile.name(serial: id)
        if swept.insert(place.directoryPath).inserted { PartFile.sweep(place.dir, keep: Set(puts.values.map(\.part))) }
        let fd = openat(place.dir, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let f = FileFailure.errno(place.path, "cannot create a temporary file beside it")
            place.close()
            return f
        }
        puts[id] = Put(place: place, part: part, fd: fd, mode: mode & 0o7777, mtime: hasTime != 0 ? (sec, ns) : nil)
        return nil
    }

    /// C: u64 size, 32-byte SHA-256, u32 flags (1: fsync before the
    /// rename). Renames into place only when size and digest match.
    private func closePut(_ id: UInt32, _ r: inout PayloadReader) -> FileFailure? {
        guard let p = puts.removeValue(forKey: id) else { return .bad("", "no open transfer \(id)") }
        guard let size = r.u64(), let want = r.raw(32), let flags = r.u32() else {
            discard(p)
            return .bad(p.place.path, "bad close request")
        }
        if let f = p.failure { discard(p); return f }
        let got = p.hasher.finish()
        if Int64(bitPattern: size) != p.size || got != want {
            discard(p)
            return FileFailure(path: p.place.path, message: hexText(got), refusal: .damaged)
        }
        var failure: FileFailure?
        if fchmod(p.fd, mode_t(p.mode)) != 0 { failure = .errno(p.place.path, "cannot set the mode") }
        if let (sec, ns) = p.mtime, failure == nil {
            var times = [timespec(tv_sec: Int(sec), tv_nsec: Int(ns)), timespec(tv_sec: Int(sec), tv_nsec: Int(ns))]
            if futimens(p.fd, &times) != 0 { failure = .errno(p.place.path, "cannot set the modification time") }
        }
        if failure == nil && flags & 1 != 0 && fsync(p.fd) != 0 { failure = .errno(p.place.path, "cannot write to disk (fsync)") }
        if failure == nil && renameat(p.place.dir, p.part, p.place.dir, p.place.leaf) != 0 {
            failure = .errno(p.place.path, "cannot rename the temporary file into place")
        }
        if let f = failure { discard(p); return f }
        Glibc.close(p.fd)
        p.place.close()
        return nil
    }

    private func discard(_ p: Put) {
        Glibc.close(p.fd)
        unlinkat(p.place.dir, p.part, 0)
        p.place.close()
    }

    /// W: 32-byte SHA-256, root, name. The answer (A with 1 byte, 1 when a
    /// regular file with that digest is there) comes now when there is no
    /// such file (false), else once it is hashed, a chunk a turn as gets are.
    private func have(_ id: UInt32, _ r: inout PayloadReader) -> Result<Bool, FileFailure> {
        guard let want = r.raw(32), let root = r.string(), let name = r.string() else {
            return .failure(.bad("", "bad have request"))
        }
        let place: FilePlace
        switch FilePlace.open(root: root, name: name, create: false) {
        case .failure(let f): return f.refusal == .badRequest ? .failure(f) : .success(false)
        case .success(let p): place = p
        }
        defer { place.close() }
        let fd = openat(place.dir, place.leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return .success(false) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { Glibc.close(fd); return .success(false) }
        gets[id] = Get(path: place.path, fd: fd, mode: 0, want: want)
        getOrder.append(id)
        return .success(true)
    }

    /// G: path. The data follows as B frames, then Z.
    private func startGet(_ id: UInt32, _ r: inout PayloadReader) -> FileFailure? {
        guard let path = r.string() else { return .bad("", "bad get request") }
        if let f = checkAbsolute(path) { return f }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .errno(path, "cannot open") }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(fd)
            return .bad(path, "not a regular file")
        }
        gets[id] = Get(path: path, fd: fd, mode: UInt32(st.st_mode & 0o7777))
        getOrder.append(id)
        return nil
    }

    /// Reads one chunk of each get (or ends it): B id data, or at the end
    /// Z id u64 size + 32-byte SHA-256 + u32 mode (R when a read fails).
    /// A have check answers A at its end.
    func pumpGets(reply: Reply) {
        for id in getOrder {
            guard let g = gets[id] else { continue }
            let n = chunk.withUnsafeMutableBytes { read(g.fd, $0.baseAddress, $0.count) }
            if n < 0 && cp_errno() == EINTR { continue }
            if n > 0 {
                g.hasher.update(chunk[0..<n])
                g.size += Int64(n)
                if g.want == nil { reply(AgentFrame.getData, id, Array(chunk[0..<n])) }
                continue
            }
            var w = PayloadWriter()
            if let want = g.want {
                reply(AgentFrame.done, id, [n == 0 && g.hasher.finish() == want ? 1 : 0])
            } else if n < 0 {
                w.u32(AgentFrame.Refusal.failed.rawValue); w.string(g.path)
                w.string("read failed: \(String(cString: strerror(cp_errno())))")
                reply(AgentFrame.refused, id, w.bytes)
            } else {
                w.u64(UInt64(g.size)); w.raw(g.hasher.finish()); w.u32(g.mode)
                reply(AgentFrame.getEnd, id, w.bytes)
            }
            Glibc.close(g.fd)
            gets.removeValue(forKey: id)
        }
        getOrder.removeAll { gets[$0] == nil }
    }

    var hasGets: Bool { !gets.isEmpty }

    /// U: root, name.
    private func remove(_ r: inout PayloadReader) -> FileFailure? {
        guard let root = r.string(), let name = r.string() else { return .bad("", "bad remove request") }
        switch FilePlace.open(root: root, name: name, create: false) {
        case .failure(let f): return f.refusal == .badRequest ? f : nil  // its directory is gone: so is it
        case .success(let place):
            defer { place.close() }
            if let e = removeTree(place.dir, place.leaf) { return .errno(place.path, "cannot remove", e) }
            return nil
        }
    }

    /// Y: root, name, target. Made under a part name, then renamed over.
    private func symlink(_ id: UInt32, _ r: inout PayloadReader) -> FileFailure? {
        guard let root = r.string(), let name = r.string(), let target = r.string(), !target.contains("\0") else {
            return .bad("", "bad symlink request")
        }
        switch FilePlace.open(root: root, name: name, create: true) {
        case .failure(let f): return f
        case .success(let place):
            defer { place.close() }
            let part = PartFile.name(serial: id)
            unlinkat(place.dir, part, 0)
            guard symlinkat(target, place.dir, part) == 0 else { return .errno(place.path, "cannot make the link") }
            guard renameat(place.dir, part, place.dir, place.leaf) == 0 else {
                let f = FileFailure.errno(place.path, "cannot rename the link into place")
                unlinkat(place.dir, part, 0)
                return f
            }
            return nil
        }
    }

    /// I: u32 mode, root, name.
    private func makeDirectory(_ r: inout PayloadReader) -> FileFailure? {
        guard let mode = r.u32(), let root = r.string(), let name = r.string() else {
            return .bad("", "bad mkdir request")
        }
        switch FilePlace.open(root: root, name: name, create: true) {
        case .failure(let f): return f
        case .success(let place):
            defer { place.close() }
            if mkdirat(place.dir, place.leaf, 0o700) != 0 && cp_errno() != EEXIST {
                return .errno(place.path, "cannot create the directory")
            }
            let fd = openat(place.dir, place.leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { return .bad(place.path, "exists and is not a directory") }
            defer { Glibc.close(fd) }
            if fchmod(fd, mode_t(mode & 0o7777)) != 0 { return .errno(place.path, "cannot set the mode") }
            return nil
        }
    }

    /// The agent is ending: no part file of its own stays behind.
    func removeEverything() {
        for p in puts.values { discard(p) }
        puts.removeAll()
        for g in gets.values { Glibc.close(g.fd) }
        gets.removeAll()
    }
}
