// A FileCarrier between two real directory roots in virtual time: the
// master's files are at their own paths, the host's at hostRoot + path.
// Each transfer takes latency + bytes / rate; its work is done when it
// ends, so a link cut before that leaves nothing at the destination, as
// the real carrier promises.
@testable import Build
import Foundation
import HostPool
import Logs

final class FakeCarrier: FileCarrier {
    struct Transfer {
        var kind: String
        var path: String
        var bytes: Int64
        var files: Int
        var at: Double
    }

    let world: FakeWorld
    let hostRoot: String
    weak var runner: FakeRunner?
    var latency = 0.05
    var bytesPerSecond = 1e6
    /// Fetches of paths ending with one of these arrive damaged.
    var damage: Set<String> = []
    /// The host refuses every mirror or send, with this message.
    var refuseMirror: String?
    var refuseSend: String?
    /// Asked at the start of each transfer (kind, path): true cuts the link
    /// while that transfer is under way.
    var cutDuring: ((String, String) -> Bool)?
    /// Every transfer that ended well, when it ended.
    private(set) var transfers: [Transfer] = []
    /// Transfers started, by kind and path, when they started.
    private(set) var started: [(kind: String, path: String, at: Double)] = []
    private var pending: [Int: (Result<TransferStats, TransferError>) -> Void] = [:]
    private var serial = 0

    init(world: FakeWorld, hostRoot: String) {
        self.world = world; self.hostRoot = hostRoot
    }

    func onHost(_ path: String) -> String { hostRoot + path }

    func send(_ localPath: String, to remotePath: String, sha256: String?,
              completion: @escaping (Result<TransferStats, TransferError>) -> Void) {
        let size = FileIO.size(localPath) ?? 0
        run("send", remotePath, bytes: size, completion) { [self] in
            guard let data = FileManager.default.contents(atPath: localPath) else {
                return .failure(.local(path: localPath, message: "cannot read"))
            }
            let dest = onHost(remotePath)
            if let why = refuseSend { return .failure(.remote(path: remotePath, message: why)) }
            if let sha256, let there = try? FileDigest.sha256(of: dest).hex, there == sha256 {
                return .success(TransferStats())
            }
            return place(data, at: dest)
        }
    }

    func fetch(_ remotePath: String, to localPath: String,
               completion: @escaping (Result<TransferStats, TransferError>) -> Void) {
        let size = FileIO.size(onHost(remotePath)) ?? 0
        run("fetch", remotePath, bytes: size, completion) { [self] in
            guard let data = FileManager.default.contents(atPath: onHost(remotePath)) else {
                return .failure(.remote(path: remotePath, message: "No such file or directory"))
            }
            if damage.contains(where: { remotePath.hasSuffix($0) }) {
                return .failure(.damaged(path: localPath, expected: "aaaa", got: "bbbb"))
            }
            return place(data, at: localPath)
        }
    }

    func mirror(_ localDirectory: String, to remoteDirectory: String, only: [String]?, excluding: [String],
                completion: @escaping (Result<TransferStats, TransferError>) -> Void) {
        let scopes = only ?? [""]
        run("mirror", only?.joined(separator: " ") ?? "", bytes: 0, completion) { [self] in
            if let why = refuseMirror { return .failure(.remote(path: remoteDirectory, message: why)) }
            guard FileIO.exists(localDirectory) else {
                return .failure(.local(path: localDirectory, message: "no such directory"))
            }
            // A name excludes itself and what is below it; `X*` is a pattern.
            func excluded(_ rel: String) -> Bool {
                excluding.contains { $0.hasSuffix("*") ? rel.hasPrefix(String($0.dropLast())) : rel == $0 || rel.hasPrefix($0 + "/") }
            }
            var stats = TransferStats()
            for scope in scopes {
                let master = files(under: localDirectory, scope).filter { !excluded($0) }
                let host = files(under: onHost(remoteDirectory), scope).filter { !excluded($0) }
                for rel in master {
                    guard let data = FileManager.default.contents(atPath: localDirectory + "/" + rel) else { continue }
                    let dest = onHost(remoteDirectory) + "/" + rel
                    if FileManager.default.contents(atPath: dest) == data { continue }
                    if case .failure(let e) = place(data, at: dest) { return .failure(e) }
                    stats.files += 1
                    stats.bytes += Int64(data.count)
                }
                for rel in Set(host).subtracting(master) { unlink(onHost(remoteDirectory) + "/" + rel) }
            }
            return .success(stats)
        }
    }

    /// The link goes: every transfer under way ends lost, nothing written.
    func cut(_ why: String) {
        let lost = pending
        pending = [:]
        for (_, c) in lost.sorted(by: { $0.key < $1.key }) { world.after(0) { c(.failure(.linkLost(why))) } }
    }

    private func run(_ kind: String, _ path: String, bytes: Int64,
                     _ completion: @escaping (Result<TransferStats, TransferError>) -> Void,
                     work: @escaping () -> Result<TransferStats, TransferError>) {
        serial += 1
        let id = serial
        started.append((kind, path, world.now))
        if runner?.down ?? false {
            world.after(0) { completion(.failure(.linkLost("connection lost"))) }
            return
        }
        pending[id] = completion
        let seconds = latency + Double(bytes) / bytesPerSecond
        let begun = world.now
        world.after(seconds) { [self] in
            guard let c = pending.removeValue(forKey: id) else { return }
            var result = work()
            if case .success(var s) = result {
                s.seconds = world.now - begun
                result = .success(s)
                transfers.append(Transfer(kind: kind, path: path, bytes: s.bytes, files: s.files, at: world.now))
            }
            c(result)
        }
        if cutDuring?(kind, path) == true {
            world.after(seconds / 2) { [self] in runner?.goDown("link cut during \(kind) of \(path)") }
        }
    }

    /// Writes under a temporary name, then renames: all or nothing.
    private func place(_ data: Data, at path: String) -> Result<TransferStats, TransferError> {
        let tmp = path + ".part"
        do {
            try FileIO.makeDirectory((path as NSString).deletingLastPathComponent)
            try data.write(to: URL(fileURLWithPath: tmp))
        } catch {
            return .failure(.local(path: path, message: "\(error)"))
        }
        guard rename(tmp, path) == 0 else { return .failure(.local(path: path, message: "cannot rename")) }
        return .success(TransferStats(bytes: Int64(data.count), files: 1))
    }

    /// Regular files under root/scope, relative to root.
    private func files(under root: String, _ scope: String) -> [String] {
        let base = scope.isEmpty ? root : root + "/" + scope
        guard let e = FileManager.default.enumerator(atPath: base) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                out.append(scope.isEmpty ? rel : scope + "/" + rel)
            }
        }
        return out
    }
}
