// RemoteRunner as a FileCarrier: sends, fetches and mirrors travel as file
// frames on the agent channel (Agent.swift), on the host thread, between
// task frames. A put streams one chunk per turn (a few puts at a time),
// so task output and other transfers go on beside a large file.
//
// Without the agent (channels mode: SSH_AGENT=0, or no same bulkbuild on
// the host) every transfer fails at once with a `.remote` error saying
// that copy hosts need the agent; there is no SFTP fallback.
import CLibSSH
import CPosix
#if canImport(Glibc)
import Glibc
#endif

/// A send, fetch or mirror asked of a RemoteRunner. Host thread only,
/// except `completion` (coordinator thread).
final class FileTransfer: @unchecked Sendable {
    enum Kind {
        case send(local: String, remote: String, sha256: String?)
        case fetch(remote: String, local: String)
        case mirror(local: String, remote: String, only: [String]?, excluding: [String])
    }
    let kind: Kind
    let completion: (Result<TransferStats, TransferError>) -> Void
    var began = cp_monotonic()
    var stats = TransferStats()
    /// Agent requests not answered yet.
    var pending = 0
    /// A mirror is still issuing requests: not over even at 0 pending.
    var issuing = false
    var failure: TransferError?
    var finished = false

    init(_ kind: Kind, completion: @escaping (Result<TransferStats, TransferError>) -> Void) {
        self.kind = kind; self.completion = completion
    }

    var remotePath: String {
        switch kind {
        case .send(_, let r, _), .fetch(let r, _), .mirror(_, let r, _, _): return r
        }
    }
}

/// One request on the agent channel, for a transfer. Host thread only.
final class FileOp {
    enum Kind { case have, put, get, listing, plain }
    let kind: Kind
    let transfer: FileTransfer
    /// The file it is about, for messages.
    let path: String
    /// Runs when the agent answered A (or Z for a get) and all is well.
    var then: ((FileOp) -> Void)?
    var id: UInt32 = 0
    var reply: [UInt8] = []
    let hasher = SHA256Hasher()
    var size: Int64 = 0
    // A put: its source and where it goes.
    var local = ""
    var root = ""
    var name = ""
    var source: Int32 = -1
    var open = PayloadWriter()
    var expected: [UInt8]?
    var digest: [UInt8] = []
    /// fsync on the host before the rename (sends; not each file of a mirror).
    var durable = true
    // A get: the part file it fills.
    var sink: FilePlace?
    var part = ""
    var sinkFd: Int32 = -1
    var sinkFailure: TransferError?
    // A listing.
    var entries: [ManifestEntry] = []

    init(_ kind: Kind, _ transfer: FileTransfer, path: String) {
        self.kind = kind; self.transfer = transfer; self.path = path
    }

    /// Closes what it holds; a get's part file goes (unless renamed).
    func release() {
        if source >= 0 { close(source); source = -1 }
        if sinkFd >= 0 { close(sinkFd); sinkFd = -1 }
        if let s = sink {
            if !part.isEmpty { unlinkat(s.dir, part, 0) }
            s.close()
            sink = nil
        }
    }
}

/// The transfers of one RemoteRunner. Host thread only.
final class CarrierState {
    var transfers: [ObjectIdentifier: FileTransfer] = [:]
    var ops: [UInt32: FileOp] = [:]
    /// Puts waiting for their turn to stream, and those streaming.
    var waiting: [FileOp] = []
    var waitingHead = 0
    var streaming: [FileOp] = []
    /// Puts streaming at once (each holds a file open on both ends).
    let maxStreaming = 4
    /// The agent channel could not be written: the connection is lost.
    var broken: String?
    /// Local directories whose stale part files were swept.
    var swept: Set<String> = []
    var buffer = [UInt8](repeating: 0, count: AgentFrame.chunkSize)

    var hasWaiting: Bool { waitingHead < waiting.count }
    var busy: Bool { !streaming.isEmpty || hasWaiting }
}

extension RemoteRunner: FileCarrier {
    public func send(_ localPath: String, to remotePath: String, sha256: String?,
                     completion: @escaping (Result<TransferStats, TransferError>) -> Void) {
        submit(.transfer(FileTransfer(.send(local: localPath, remote: remotePath, sha256: sha256), completion: completion)))
    }

    public func fetch(_ remotePath: String, to localPath: String,
                      completion: @escaping (Result<TransferStats, TransferError>) -> Void) {
        submit(.transfer(FileTransfer(.fetch(remote: remotePath, local: localPath), completion: completion)))
    }

    public func mirror(_ localDirectory: String, to remoteDirectory: String, only: [String]?, excluding: [String],
                       completion: @escaping (Result<TransferStats, TransferError>) -> Void) {
        submit(.transfer(FileTransfer(.mirror(local: localDirectory, remote: remoteDirectory, only: only,
                                              excluding: excluding), completion: completion)))
    }

    // MARK: host thread

    /// Completes a transfer begun on the host thread (once).
    func finishTransfer(_ x: FileTransfer, _ result: Result<TransferStats, TransferError>) {
        guard !x.finished else { return }
        carrier.transfers.removeValue(forKey: ObjectIdentifier(x))
        complete(x, result)
    }

    /// Posts a transfer's end to the coordinator thread. Also for those
    /// never begun (runner down or gone), from whichever thread has them.
    func complete(_ x: FileTransfer, _ result: Result<TransferStats, TransferError>) {
        guard !x.finished else { return }
        x.finished = true
        let r = result.map { s in var s = s; s.seconds = cp_monotonic() - x.began; return s }
        let done = CoordinatorBound(x.completion)
        queue.post { done.value(r) }
    }

    /// The connection is gone: every transfer in flight ends `.linkLost`
    /// and what it had open (part files on the master too) goes.
    func loseTransfers(_ why: String) {
        for op in carrier.ops.values { op.release() }
        for op in carrier.waiting[carrier.waitingHead...] { op.release() }
        carrier.ops.removeAll()
        carrier.waiting.removeAll()
        carrier.waitingHead = 0
        carrier.streaming.removeAll()
        carrier.broken = nil
        for x in carrier.transfers.values { finishTransfer(x, .failure(.linkLost(why))) }
    }

    /// Starts a transfer on this connection.
    func begin(_ x: FileTransfer, agent: AgentLink?) {
        x.began = cp_monotonic()
        carrier.transfers[ObjectIdentifier(x)] = x
        guard let a = agent else {
            let path = target.agentPath ?? "the bulkbuild binary"
            return finishTransfer(x, .failure(.remote(path: x.remotePath, message:
                "copying files needs the bulkbuild agent, and this connection runs tasks without it: "
                + "install this very bulkbuild at \(path) on the host (and leave SSH_AGENT unset)")))
        }
        switch x.kind {
        case .send(let local, let remote, let sha):
            var expected: [UInt8]?
            if let s = sha {
                guard let b = digestBytes(hex: s) else {
                    return finishTransfer(x, .failure(.local(path: local, message: "\(s) is not a SHA-256 in hex")))
                }
                expected = b
            }
            let put = makePut(x, local: local, root: "", name: remote, expected: expected)
            guard let want = expected else { return queuePut(put) }
            var w = PayloadWriter()
            w.raw(want); w.string(""); w.string(remote)
            let have = FileOp(.have, x, path: remote)
            have.then = { [unowned self] op in
                if op.reply.first == 1 { put.release() } else { self.queuePut(put) }
            }
            issue(have, AgentFrame.have, w, a)
        case .fetch(let remote, let local):
            startGet(x, remote: remote, local: local, a)
        case .mirror(let local, let remote, let only, let excluding):
            startMirror(x, local: local, remote: remote, only: only, excluding: excluding, a)
        }
    }

    /// Sends a request for `op` and waits for its answer.
    func issue(_ op: FileOp, _ type: UInt8, _ w: PayloadWriter, _ a: AgentLink) {
        a.lastId &+= 1
        op.id = a.lastId
        carrier.ops[op.id] = op
        op.transfer.pending += 1
        var frame: [UInt8] = []
        AgentFrame.append(type, op.id, w.bytes, to: &frame)
        write(frame, a)
    }

    private func write(_ frame: [UInt8], _ a: AgentLink) {
        guard carrier.broken == nil else { return }
        if let why = send(frame, to: a) { carrier.broken = why }
    }

    /// A put of a local file to ROOT, NAME (frames in Agent.swift). The
    /// file is opened when its turn to stream comes, so a mirror of many
    /// files holds only a few open.
    private func makePut(_ x: FileTransfer, local: String, root: String, name: String,
                         expected: [UInt8]?) -> FileOp {
        let op = FileOp(.put, x, path: root.isEmpty ? name : root + "/" + name)
        op.local = local
        op.root = root
        op.name = name
        op.expected = expected
        op.then = { op in op.transfer.stats.bytes += op.size; op.transfer.stats.files += 1 }
        return op
    }

    /// Opens a put's local file and makes its open frame (mode and mtime
    /// kept); nil when it cannot be read.
    private func openSource(_ op: FileOp) -> TransferError? {
        let fd = cp_open_read(op.local)
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            let e = cp_errno()
            if fd >= 0 { close(fd) }
            return .local(path: op.local, message: fd < 0 ? "cannot open: \(String(cString: strerror(e)))"
                                                          : "not a regular file")
        }
        op.source = fd
        op.open.u32(UInt32(st.st_mode & 0o7777)); op.open.u32(1)
        op.open.i64(Int64(st.st_mtim.tv_sec)); op.open.u32(UInt32(st.st_mtim.tv_nsec))
        op.open.string(op.root); op.open.string(op.name)
        return nil
    }

    private func queuePut(_ op: FileOp) {
        op.transfer.pending += 1  // until it is issued
        carrier.waiting.append(op)
    }

    /// One turn of the puts: new ones open, each streaming one sends a
    /// chunk, those at their end send the close with size and digest.
    func feedPuts(_ a: AgentLink) {
        while carrier.streaming.count < carrier.maxStreaming && carrier.hasWaiting {
            let op = carrier.waiting[carrier.waitingHead]
            carrier.waitingHead += 1
            if let e = openSource(op) {
                opFailed(op, e)  // (not issued: its queued count goes)
                continue
            }
            op.transfer.pending -= 1
            issue(op, AgentFrame.putOpen, op.open, a)
            carrier.streaming.append(op)
        }
        if !carrier.hasWaiting { carrier.waiting.removeAll(keepingCapacity: true); carrier.waitingHead = 0 }
        var i = 0
        while i < carrier.streaming.count, carrier.broken == nil {
            let op = carrier.streaming[i]
            if feedPut(op, a) { i += 1 } else { carrier.streaming.remove(at: i) }
        }
    }

    /// Sends the next piece of `op`; false when it has no more to send.
    private func feedPut(_ op: FileOp, _ a: AgentLink) -> Bool {
        guard carrier.ops[op.id] === op, op.source >= 0 else { return false }  // refused meanwhile
        var n = 0
        for _ in 0..<2 {
            n = carrier.buffer.withUnsafeMutableBytes { read(op.source, $0.baseAddress, $0.count) }
            if n < 0 && cp_errno() == EINTR { continue }
            if n <= 0 { break }
            op.hasher.update(carrier.buffer[0..<n])
            op.size += Int64(n)
            var frame: [UInt8] = []
            frame.reserveCapacity(n + AgentFrame.headerSize)
            AgentFrame.header(AgentFrame.putData, op.id, n, to: &frame)
            frame.append(contentsOf: carrier.buffer[0..<n])
            write(frame, a)
            // A short read is most likely the end: look for it at once.
            if n == carrier.buffer.count { return true }
        }
        close(op.source)
        op.source = -1
        op.digest = op.hasher.finish()
        var failure: TransferError?
        if n < 0 {
            failure = .local(path: op.path, message: "read failed: \(String(cString: strerror(cp_errno())))")
        } else if let want = op.expected, want != op.digest {
            failure = .local(path: op.path, message: "the file to send has sha256 \(hexText(op.digest)), expected \(hexText(want))")
        }
        if let f = failure {
            write(frameOf(AgentFrame.putAbort, op.id, []), a)
            opFailed(op, f)
            return false
        }
        var w = PayloadWriter()
        w.u64(UInt64(op.size)); w.raw(op.digest); w.u32(op.durable ? 1 : 0)
        write(frameOf(AgentFrame.putClose, op.id, w.bytes), a)
        return false
    }

    private func frameOf(_ type: UInt8, _ id: UInt32, _ payload: [UInt8]) -> [UInt8] {
        var f: [UInt8] = []
        AgentFrame.append(type, id, payload, to: &f)
        return f
    }

    private func opFailed(_ op: FileOp, _ error: TransferError) {
        carrier.ops.removeValue(forKey: op.id)
        op.release()
        let x = op.transfer
        if x.failure == nil { x.failure = error }
        x.pending -= 1
        settle(x)
    }

    private func opSucceeded(_ op: FileOp) {
        carrier.ops.removeValue(forKey: op.id)
        op.then?(op)
        op.release()
        op.transfer.pending -= 1
        settle(op.transfer)
    }

    private func settle(_ x: FileTransfer) {
        guard x.pending == 0, !x.issuing else { return }
        finishTransfer(x, x.failure.map { .failure($0) } ?? .success(x.stats))
    }

    /// A reply to a file request (frames with an id no task has).
    func fileReply(_ type: UInt8, _ id: UInt32, _ payload: ArraySlice<UInt8>) {
        guard let op = carrier.ops[id] else { return }
        var r = PayloadReader(payload)
        switch type {
        case AgentFrame.done:
            op.reply = Array(payload)
            opSucceeded(op)
        case AgentFrame.refused:
            let kind = r.u32().flatMap(AgentFrame.Refusal.init) ?? .failed
            let path = r.string().flatMap { $0.isEmpty ? nil : $0 } ?? op.path
            let message = r.string() ?? "refused"
            if kind == .damaged {
                opFailed(op, .damaged(path: path, expected: hexText(op.digest), got: message))
            } else {
                opFailed(op, .remote(path: path, message: message))
            }
        case AgentFrame.listing:
            while !r.isAtEnd {
                guard let e = ManifestEntry.decode(&r) else {
                    return opFailed(op, .remote(path: op.path, message: "garbled manifest from the agent"))
                }
                op.entries.append(e)
            }
        case AgentFrame.getData:
            guard op.sinkFailure == nil else { return }
            op.hasher.update(payload)
            op.size += Int64(payload.count)
            if !payload.withUnsafeBytes({ writeAll(op.sinkFd, $0.baseAddress!, $0.count) }) {
                op.sinkFailure = .local(path: op.sink?.path ?? op.path,
                                        message: "cannot write: \(String(cString: strerror(cp_errno())))")
            }
        case AgentFrame.getEnd:
            endGet(op, &r)
        default:
            break
        }
    }

    // MARK: fetch

    private func startGet(_ x: FileTransfer, remote: String, local: String, _ a: AgentLink) {
        let place: FilePlace
        switch FilePlace.open(root: "", name: local, create: true) {
        case .failure(let f): return finishTransfer(x, .failure(.local(path: f.path, message: f.message)))
        case .success(let p): place = p
        }
        let op = FileOp(.get, x, path: remote)
        op.part = PartFile.name(serial: PartFile.nextSerial())
        // (Other runners of this process fetch into the same directories:
        // only the part files of dead processes go.)
        if carrier.swept.insert(place.directoryPath).inserted { PartFile.sweep(place.dir, keep: nil) }
        op.sinkFd = openat(place.dir, op.part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard op.sinkFd >= 0 else {
            let e = cp_errno()
            place.close()
            return finishTransfer(x, .failure(.local(path: local,
                message: "cannot create a temporary file beside it: \(String(cString: strerror(e)))")))
        }
        op.sink = place
        var w = PayloadWriter()
        w.string(remote)
        op.then = { op in op.transfer.stats.bytes += op.size; op.transfer.stats.files += 1 }
        issue(op, AgentFrame.get, w, a)
    }

    /// Z: the host's size, digest and mode. The part file becomes the
    /// local file only when they match what arrived.
    private func endGet(_ op: FileOp, _ r: inout PayloadReader) {
        guard let size = r.u64(), let digest = r.raw(32), let mode = r.u32(), let place = op.sink else {
            return opFailed(op, .remote(path: op.path, message: "garbled end of file from the agent"))
        }
        if let f = op.sinkFailure { return opFailed(op, f) }
        let got = op.hasher.finish()
        guard got == digest, Int64(bitPattern: size) == op.size else {
            return opFailed(op, .damaged(path: place.path, expected: hexText(digest), got: hexText(got)))
        }
        var failure: String?
        if fchmod(op.sinkFd, mode_t(mode & 0o7777)) != 0 { failure = "cannot set the mode" }
        else if fsync(op.sinkFd) != 0 { failure = "cannot write to disk (fsync)" }
        else if renameat(place.dir, op.part, place.dir, place.leaf) != 0 { failure = "cannot rename the temporary file into place" }
        if let f = failure {
            return opFailed(op, .local(path: place.path, message: "\(f): \(String(cString: strerror(cp_errno())))"))
        }
        _ = fsync(place.dir)
        op.part = ""  // renamed: nothing to remove
        opSucceeded(op)
    }

    // MARK: mirror

    private func startMirror(_ x: FileTransfer, local: String, remote: String, only: [String]?,
                             excluding: [String], _ a: AgentLink) {
        // A missing master directory must not empty the host's.
        var st = stat()
        guard stat(local, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            return finishTransfer(x, .failure(.local(path: local, message: "not a directory")))
        }
        let mine: [ManifestEntry]
        switch walkManifest(root: local, only: only, excluding: excluding) {
        case .failure(let f): return finishTransfer(x, .failure(.local(path: f.path, message: f.message)))
        case .success(let e): mine = e
        }
        var w = PayloadWriter()
        w.string(remote); w.byte(only == nil ? 0 : 1); w.strings(only ?? []); w.strings(excluding)
        let listing = FileOp(.listing, x, path: remote)
        listing.then = { [unowned self] op in
            op.transfer.issuing = true
            self.reconcile(op.transfer, local: local, remote: remote, mine: mine, theirs: op.entries, a)
            op.transfer.issuing = false
        }
        issue(listing, AgentFrame.manifest, w, a)
    }

    /// Requests that make the host's entries the master's: removals
    /// first, then directories (parents first), links and files.
    private func reconcile(_ x: FileTransfer, local: String, remote: String, mine: [ManifestEntry],
                           theirs: [ManifestEntry], _ a: AgentLink) {
        let have = Dictionary(theirs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let want = Dictionary(mine.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var removed: [String] = []
        for e in theirs.sorted(by: { $0.name < $1.name }) {
            if let m = want[e.name], m.kind == e.kind { continue }
            if removed.contains(where: { e.name.hasPrefix($0 + "/") }) { continue }
            removed.append(e.name)
            var w = PayloadWriter()
            w.string(remote); w.string(e.name)
            issue(FileOp(.plain, x, path: remote + "/" + e.name), AgentFrame.remove, w, a)
        }
        let gone = Set(removed)
        for m in mine.sorted(by: { $0.name < $1.name }) {
            let old = gone.contains(m.name) ? nil : have[m.name]
            switch m.kind {
            case .directory:
                if let o = old, o.mode == m.mode { continue }
                var w = PayloadWriter()
                w.u32(m.mode); w.string(remote); w.string(m.name)
                issue(FileOp(.plain, x, path: remote + "/" + m.name), AgentFrame.makeDirectory, w, a)
            case .symlink:
                if let o = old, o.target == m.target { continue }
                var w = PayloadWriter()
                w.string(remote); w.string(m.name); w.string(m.target)
                let op = FileOp(.plain, x, path: remote + "/" + m.name)
                op.then = { op in op.transfer.stats.files += 1 }
                issue(op, AgentFrame.symlink, w, a)
            case .file:
                if let o = old, o.size == m.size, o.mtime == m.mtime, o.mtimeNanos == m.mtimeNanos, o.mode == m.mode {
                    continue
                }
                // (One that cannot be read fails the mirror; the rest goes on.)
                let put = makePut(x, local: local + "/" + m.name, root: remote, name: m.name, expected: nil)
                put.durable = false
                queuePut(put)
            }
        }
    }
}
