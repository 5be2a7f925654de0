// The file-system side of transfers, shared by the agent (on the host) and
// the runner (on the master): checking the paths a request names, opening
// the directory a file goes into without following symbolic links out of
// a mirrored tree, temporary names, and directory walks.
import CPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A failed file operation: the path and what went wrong.
struct FileFailure: Error, Equatable {
    var path: String
    var message: String
    var refusal: AgentFrame.Refusal = .failed

    static func errno(_ path: String, _ what: String, _ code: Int32 = cp_errno()) -> FileFailure {
        FileFailure(path: path, message: "\(what): \(String(cString: strerror(code)))")
    }
    static func bad(_ path: String, _ why: String) -> FileFailure {
        FileFailure(path: path, message: why, refusal: .badRequest)
    }
}

/// Temporary files of transfers: `.bulkbuild-part.PID.SERIAL` beside the
/// final name, so that whoever made one can be told from its name.
enum PartFile {
    static let prefix = ".bulkbuild-part."

    static func name(serial: UInt32) -> String { "\(prefix)\(getpid()).\(serial)" }

    private static let serial = Synchronization.Mutex<UInt32>(0)
    /// Serials for part names on the master, unique in the process.
    static func nextSerial() -> UInt32 { serial.withLock { $0 &+= 1; return $0 } }

    /// Removes part files in `dir` whose writer is gone (its pid does not
    /// run); with `keep`, also this process's own that it no longer has
    /// open (those not in `keep`).
    static func sweep(_ dir: Int32, keep: Set<String>?) {
        let copy = dup(dir)
        guard copy >= 0, let d = fdopendir(copy) else { if copy >= 0 { close(copy) }; return }
        defer { closedir(d) }
        var stale: [String] = []
        while let e = readdir(d) {
            let name = entryName(e)
            guard name.hasPrefix(prefix), keep?.contains(name) != true else { continue }
            let pidText = name.dropFirst(prefix.count).prefix(while: { $0 != "." })
            guard let pid = Int32(pidText) else { continue }
            if pid == getpid() ? keep != nil : kill(pid, 0) != 0 && cp_errno() == ESRCH { stale.append(name) }
        }
        for n in stale { unlinkat(dir, n, 0) }
    }
}

func entryName(_ e: UnsafeMutablePointer<dirent>) -> String {
    withUnsafePointer(to: &e.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
    }
}

/// Relative names inside a mirrored directory: non-empty components,
/// none `.` or `..`, no NUL, not absolute.
func checkRelative(_ name: String) -> FileFailure? {
    if name.isEmpty || name.hasPrefix("/") || name.contains("\0") {
        return .bad(name, "not a relative name inside the directory")
    }
    for c in name.split(separator: "/", omittingEmptySubsequences: false) where c.isEmpty || c == "." || c == ".." {
        return .bad(name, "a relative name may not have empty, `.` or `..` components")
    }
    return nil
}

/// Absolute paths from the master: no NUL, no `..` component.
func checkAbsolute(_ path: String) -> FileFailure? {
    if !path.hasPrefix("/") || path.contains("\0") { return .bad(path, "not an absolute path") }
    if path.split(separator: "/").contains("..") { return .bad(path, "a path may not have `..` components") }
    return nil
}

/// mkdir -p (following symbolic links, as the user's paths may).
func makeDirectories(_ path: String) -> FileFailure? {
    var at = ""
    for c in path.split(separator: "/") {
        at += "/" + c
        if mkdir(at, 0o755) != 0 && cp_errno() != EEXIST { return .errno(at, "cannot create the directory") }
    }
    return nil
}

/// Where a file named by a request lives: an open directory and the last
/// name in it. With a `root`, `name` is relative to it and no directory
/// below the root may be a symbolic link (mirrored trees); without one,
/// `name` is an absolute path. `create` makes missing directories (0755).
struct FilePlace {
    let dir: Int32
    let leaf: String
    let path: String
    /// The path of `dir`.
    var directoryPath: String { String(path.dropLast(leaf.utf8.count + 1)) }

    static func open(root: String, name: String, create: Bool) -> Result<FilePlace, FileFailure> {
        if root.isEmpty {
            if let f = checkAbsolute(name) { return .failure(f) }
            let cut = name.lastIndex(of: "/")!
            let parent = cut == name.startIndex ? "/" : String(name[..<cut])
            let leaf = String(name[name.index(after: cut)...])
            guard !leaf.isEmpty else { return .failure(.bad(name, "names a directory, not a file")) }
            if create, let f = makeDirectories(parent) { return .failure(f) }
            let fd = Glibc.open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { return .failure(.errno(parent, "cannot open the directory")) }
            return .success(FilePlace(dir: fd, leaf: leaf, path: name))
        }
        if let f = checkAbsolute(root) ?? checkRelative(name) { return .failure(f) }
        if create, let f = makeDirectories(root) { return .failure(f) }
        var fd = Glibc.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.errno(root, "cannot open the directory")) }
        var parts = name.split(separator: "/").map(String.init)
        let leaf = parts.removeLast()
        var here = root
        for p in parts {
            here += "/" + p
            if create && mkdirat(fd, p, 0o755) != 0 && cp_errno() != EEXIST {
                Glibc.close(fd)
                return .failure(.errno(here, "cannot create the directory"))
            }
            let next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let e = cp_errno()
            Glibc.close(fd)
            guard next >= 0 else {
                return .failure(e == ELOOP || e == ENOTDIR
                    ? .bad(here, "is a symbolic link or not a directory: nothing is written through it")
                    : .errno(here, "cannot open the directory", e))
            }
            fd = next
        }
        return .success(FilePlace(dir: fd, leaf: leaf, path: root + "/" + name))
    }

    func close() { Glibc.close(dir) }
}

/// Removes `leaf` in `dir`: a file or link, or a directory with all it
/// holds (never following links). Missing is fine.
func removeTree(_ dir: Int32, _ leaf: String) -> Int32? {
    var st = stat()
    if fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 { return cp_errno() == ENOENT ? nil : cp_errno() }
    if (st.st_mode & S_IFMT) != S_IFDIR { return unlinkat(dir, leaf, 0) == 0 || cp_errno() == ENOENT ? nil : cp_errno() }
    let sub = openat(dir, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    guard sub >= 0 else { return cp_errno() }
    if let d = fdopendir(sub) {
        var names: [String] = []
        while let e = readdir(d) {
            let n = entryName(e)
            if n != "." && n != ".." { names.append(n) }
        }
        for n in names { if let e = removeTree(sub, n) { closedir(d); return e } }
        closedir(d)
    } else {
        close(sub)
        return cp_errno()
    }
    return unlinkat(dir, leaf, AT_REMOVEDIR) == 0 || cp_errno() == ENOENT ? nil : cp_errno()
}

/// Does a relative name fall under an exclusion? An exclusion names itself
/// and everything below it, or is a shell pattern for the whole name.
func isExcluded(_ name: String, _ excluding: [String]) -> Bool {
    excluding.contains { e in
        name == e || name.hasPrefix(e + "/") || fnmatch(e, name, 0) == 0
    }
}

/// The entries under `root` (relative names, not following links): with
/// `only`, just those subdirectories (each with itself); without, all.
/// A missing root or subdirectory has no entries; one that cannot be read
/// is an error (a mirror must not take it for gone and remove it).
func walkManifest(root: String, only: [String]?, excluding: [String]) -> Result<[ManifestEntry], FileFailure> {
    if let f = checkAbsolute(root) { return .failure(f) }
    for n in (only ?? []) + excluding { if let f = checkRelative(n) { return .failure(f) } }
    let top = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard top >= 0 else {
        return cp_errno() == ENOENT ? .success([]) : .failure(.errno(root, "cannot open the directory"))
    }
    defer { close(top) }
    var out: [ManifestEntry] = []
    var failure: FileFailure?
    let gone: Set<Int32> = [ENOENT, ENOTDIR]
    func entry(_ dir: Int32, _ leaf: String, _ name: String) -> ManifestEntry? {
        var st = stat()
        guard fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            if !gone.contains(cp_errno()) { failure = failure ?? .errno(root + "/" + name, "cannot stat") }
            return nil
        }
        var e = ManifestEntry(name: name, kind: .file, mode: UInt32(st.st_mode & 0o7777), size: Int64(st.st_size),
                              mtime: Int64(st.st_mtim.tv_sec), mtimeNanos: UInt32(st.st_mtim.tv_nsec))
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: e.kind = .directory; e.size = 0
        case S_IFLNK:
            e.kind = .symlink
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlinkat(dir, leaf, &buf, buf.count - 1)
            guard n >= 0 else { failure = failure ?? .errno(root + "/" + name, "cannot read the link"); return nil }
            e.target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        default: return nil  // devices, fifos, sockets are not carried
        }
        return e
    }
    /// Lists `dir` (named `prefix`) and what is below it.
    func walk(_ dir: Int32, _ prefix: String) {
        let copy = dup(dir)
        guard copy >= 0, let d = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            failure = failure ?? .errno(root + "/" + prefix, "cannot read the directory")
            return
        }
        defer { closedir(d) }
        while let raw = readdir(d), failure == nil {
            let leaf = entryName(raw)
            if leaf == "." || leaf == ".." || leaf.hasPrefix(PartFile.prefix) { continue }
            let name = prefix.isEmpty ? leaf : prefix + "/" + leaf
            if isExcluded(name, excluding) { continue }
            guard let e = entry(dir, leaf, name) else { continue }
            out.append(e)
            if e.kind == .directory { descend(dir, leaf, name) }
        }
    }
    func descend(_ dir: Int32, _ leaf: String, _ name: String) {
        let sub = openat(dir, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sub >= 0 else {
            if !gone.contains(cp_errno()) { failure = failure ?? .errno(root + "/" + name, "cannot open the directory") }
            return
        }
        walk(sub, name)
        close(sub)
    }
    if let subdirs = only {
        for s in subdirs where !isExcluded(s, excluding) && failure == nil {
            // (A symbolic link on the way: not carried, on either side.)
            guard case .success(let place) = FilePlace.open(root: root, name: s, create: false) else {
                var st = stat()
                if lstat(root + "/" + s, &st) != 0 && !gone.contains(cp_errno()) {
                    failure = .errno(root + "/" + s, "cannot stat")
                }
                continue
            }
            defer { place.close() }
            guard let e = entry(place.dir, place.leaf, s) else { continue }
            out.append(e)
            if e.kind == .directory { descend(place.dir, place.leaf, s) }
        }
    } else {
        walk(top, "")
    }
    return failure.map { .failure($0) } ?? .success(out)
}
