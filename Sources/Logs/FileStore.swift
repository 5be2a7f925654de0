import CPosix
import Foundation

/// The file side of a run: every file the coordinator, the log directory,
/// the lock directory and the package checks touch goes through one of
/// these. `PosixFileStore` is the disk; `MemoryFileStore` keeps the same
/// names and error codes in memory, so that in-process tests of whole runs
/// cost no file creation. Paths are absolute, as the real ones are.
public protocol FileStore: AnyObject, Sendable {
    /// Creates `path` with `text` unless something is there (O_EXCL):
    /// false when it exists. A failed write removes the file again.
    func createExclusive(_ path: String, with text: String) throws -> Bool
    /// Appends in one write, creating the file.
    func append(_ text: String, to path: String) throws
    /// Appends to a file that exists; false (and nothing made) when it is gone.
    func appendIfPresent(_ text: String, to path: String) throws -> Bool
    /// Replaces `path` whole: readers see the old text or the new one.
    func replace(_ path: String, with text: String, sync: Bool) throws
    func read(_ path: String) -> String?
    /// The bytes from `offset` on (a file that grows, read as it does), at
    /// most `limit` of them when one is given.
    func read(_ path: String, from offset: UInt64, limit: Int?) -> Data?
    /// Follows symbolic links, as stat(2) does.
    func exists(_ path: String) -> Bool
    func size(_ path: String) -> Int64?
    /// unlink(2); a missing file is no error.
    func remove(_ path: String)
    /// mkdir -p.
    func makeDirectory(_ path: String) throws
    /// The names in a directory, nil when it cannot be read.
    func list(_ directory: String) -> [String]?
    /// Makes `link` a symbolic link to `target`, replacing what was there.
    func link(_ link: String, to target: String)
    /// An append-only file opened once for many lines.
    func openLog(_ path: String) throws -> any LogSink
}

/// One open append-only file.
public protocol LogSink: AnyObject {
    func write(_ text: String) throws
}

extension FileStore {
    public func replace(_ path: String, with text: String) throws { try replace(path, with: text, sync: false) }
}

/// The disk, through the helpers every log already used.
public final class PosixFileStore: FileStore {
    public static let shared = PosixFileStore()
    public init() {}

    public func createExclusive(_ path: String, with text: String) throws -> Bool {
        let fd = cp_open_excl(path, 0o644)
        if fd < 0 {
            let code = cp_errno()
            if code == EEXIST { return false }
            throw FileIO.Failure(path: path, what: "cannot create exclusively", code: code)
        }
        defer { close(fd) }
        do {
            try FileIO.writeAll(fd, text, path: path)
        } catch {
            unlink(path)
            throw error
        }
        return true
    }

    public func append(_ text: String, to path: String) throws { try FileIO.append(text, to: path) }

    public func appendIfPresent(_ text: String, to path: String) throws -> Bool {
        // No O_CREAT and no stat() first: a file that is gone stays gone.
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        if fd < 0 {
            let code = cp_errno()
            if code == ENOENT { return false }
            throw FileIO.Failure(path: path, what: "cannot open for append", code: code)
        }
        defer { close(fd) }
        try FileIO.writeAll(fd, text, path: path)
        return true
    }

    public func replace(_ path: String, with text: String, sync: Bool) throws {
        try FileIO.replace(path, with: text, sync: sync)
    }
    public func read(_ path: String) -> String? { FileIO.read(path) }
    public func read(_ path: String, from offset: UInt64, limit: Int?) -> Data? {
        guard let fh = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? fh.close() }
        try? fh.seek(toOffset: offset)
        guard let limit else { return fh.readDataToEndOfFile() }
        return ((try? fh.read(upToCount: limit)) ?? nil) ?? Data()
    }
    public func exists(_ path: String) -> Bool { FileIO.exists(path) }
    public func size(_ path: String) -> Int64? { FileIO.size(path) }
    public func remove(_ path: String) { unlink(path) }
    public func makeDirectory(_ path: String) throws { try FileIO.makeDirectory(path) }
    public func list(_ directory: String) -> [String]? { try? FileManager.default.contentsOfDirectory(atPath: directory) }
    public func link(_ link: String, to target: String) {
        // Usually new (a first build) or already right (a rebuild).
        if symlink(target, link) == 0 { return }
        guard cp_errno() == EEXIST else { return }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(link, &buf, buf.count - 1)
        if n >= 0 && String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) == target { return }
        unlink(link)
        _ = symlink(target, link)
    }
    public func openLog(_ path: String) throws -> any LogSink { try DescriptorLog(path: path) }
}

/// An append-only file held open: O_APPEND makes each line land whole.
final class DescriptorLog: LogSink {
    let path: String
    let fd: Int32
    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileIO.Failure(path: path, what: "cannot open for append", code: cp_errno()) }
    }
    deinit { close(fd) }
    func write(_ text: String) throws { try FileIO.writeAll(fd, text, path: path) }
}
