// A generated ports tree in a private temp directory, removed afterwards.
import Foundation

/// One line of the tree's MANIFEST.
struct ManifestPort {
    var pkgpath: String
    /// "plain", "flavored" or "multi".
    var kind: String
    /// Every fullpkgpath of the port, default first (`cat/name`, `cat/name,a`,
    /// or `cat/name,-main`, `cat/name,-lib`).
    var paths: [String] = []
    /// Every package name (FULLPKGNAME, no .tgz) of the port.
    var packages: [String] = []
    /// Bare pkgpaths it depends on (any kind of dependency).
    var deps: [String] = []
    var properties: [String] = []
    var sleep: Double = 0
    /// Of `sleep`, the part MAKE_JOBS divides (--scalable).
    var scalable: Double = 0
    var ignored = false
    var garbage = false
    var fail = false
    var missingDep = false
}

/// DIR/MANIFEST parsed: one entry per port, in generation order (a port
/// only depends on earlier ones).
struct TreeManifest {
    var ports: [ManifestPort] = []

    init(text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ").map(String.init)
            guard f.count >= 2 else { continue }
            var p = ManifestPort(pkgpath: f[0], kind: f[1])
            for w in f.dropFirst(2) {
                if let eq = w.firstIndex(of: "=") {
                    let k = w[..<eq], v = String(w[w.index(after: eq)...])
                    switch k {
                    case "path": p.paths.append(v)
                    case "pkg": p.packages.append(v)
                    case "dep": p.deps.append(v)
                    case "prop": p.properties.append(v)
                    case "sleep": p.sleep = Double(v) ?? 0
                    case "scalable": p.scalable = Double(v) ?? 0
                    default: break
                    }
                } else {
                    switch w {
                    case "ignored": p.ignored = true
                    case "garbage": p.garbage = true
                    case "fail": p.fail = true
                    case "missing-dep": p.missingDep = true
                    default: break
                    }
                }
            }
            ports.append(p)
        }
    }

    func port(_ pkgpath: String) -> ManifestPort? { ports.first { $0.pkgpath == pkgpath } }
    func ports(kind: String) -> [ManifestPort] { ports.filter { $0.kind == kind } }
    /// Every package name of every port.
    var allPackages: [String] { ports.flatMap { $0.packages } }
}

/// One line of DIR/.built.log, written by each successful `package` phase.
struct BuiltEntry: Equatable {
    let fullpkgpath: String
    let pid: Int32
    let epoch: Int
}

/// Generates a tree with `bulkbuild-gentree` into `root/ports`; `root` is a
/// fresh temp dir (use `path(_:)` for log dirs and the like). The tree is
/// deleted by `cleanup()` or when the fixture goes away, unless
/// BULKBUILD_KEEP_TMP is set.
final class TreeFixture {
    let root: String
    let portsDir: String
    let flags: [String]
    /// stdout of the generator.
    let generatorOutput: String
    let manifest: TreeManifest
    /// MACHINE_ARCH baked into the tree.
    let arch: String
    private var removed = false

    init(_ flags: [String] = [], prefix: String = "gentree") throws {
        root = try makeTempDir(prefix: prefix)
        portsDir = root + "/ports"
        self.flags = flags
        let gen: RunResult
        do {
            gen = try runProcess([try Products.gentree(), portsDir] + flags, timeout: 300)
        } catch {
            removeTree(root)
            throw error
        }
        guard gen.succeeded else {
            removeTree(root)
            throw SpawnError(description: "bulkbuild-gentree \(flags.joined(separator: " ")) failed (\(gen.status)): \(gen.output)")
        }
        generatorOutput = gen.stdout
        manifest = TreeManifest(text: readFile(portsDir + "/MANIFEST") ?? "")
        let makefile = readFile(portsDir + "/Makefile") ?? ""
        arch = makefile.split(separator: "\n").first { $0.hasPrefix("ARCH = ") }
            .map { String($0.dropFirst("ARCH = ".count)) } ?? ""
    }

    deinit { cleanup() }

    func cleanup() {
        guard !removed else { return }
        removed = true
        if ProcessInfo.processInfo.environment["BULKBUILD_KEEP_TMP"] == nil { removeTree(root) }
    }

    /// A path under the fixture's temp dir.
    func path(_ relative: String) -> String { root + "/" + relative }
    /// A path inside the tree.
    func treePath(_ relative: String) -> String { portsDir + "/" + relative }

    var packageRepository: String { portsDir + "/packages" }
    var packagesDir: String { packageRepository + "/" + arch + "/all" }

    /// `make -s -C PORTSDIR TARGET [ARGS]` with SUBDIR (and PHASE for a
    /// phase) set, stdout and stderr merged.
    func make(_ target: String, subdir: String? = nil, args: [String] = [], env: [String: String] = [:],
              timeout: TimeInterval = 60) throws -> RunResult {
        var e = env
        if let s = subdir {
            e["SUBDIR"] = s
            e["PHASE"] = target
        }
        let unset = subdir == nil && env["SUBDIR"] == nil ? ["SUBDIR"] : []
        return try runProcess(["make", "-s", "-C", portsDir, target] + args, setEnv: e, unsetEnv: unset,
                              mergeOutput: true, timeout: timeout)
    }

    /// Runs phases in order for one fullpkgpath; stops at the first failure.
    /// Returns the last result.
    @discardableResult
    func buildByHand(_ fullpkgpath: String,
                     phases: [String] = ["depends", "prepare", "fetch", "patch", "configure",
                                         "build", "fake", "package", "clean"]) throws -> RunResult {
        var last: RunResult? = nil
        for ph in phases {
            let r = try make(ph, subdir: fullpkgpath)
            last = r
            if !r.succeeded { break }
        }
        return last!
    }

    /// Package file names now in PACKAGE_REPOSITORY/ARCH/all.
    func packageFiles() -> [String] { listPackageFiles(packagesDir) }
    func hasPackage(_ fullpkgname: String) -> Bool { fileExists(packagesDir + "/" + fullpkgname + ".tgz") }

    /// The lines of .built.log in order.
    func builtLog() -> [BuiltEntry] {
        (readFile(portsDir + "/.built.log") ?? "").split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 3, let pid = Int32(f[1]), let t = Int(f[2]) else { return nil }
            return BuiltEntry(fullpkgpath: String(f[0]), pid: pid, epoch: t)
        }
    }

    /// Creates or removes PKGPATH/FAIL (a failing build, and its fix).
    func setFail(_ pkgpath: String, _ failing: Bool) throws {
        let p = treePath(pkgpath + "/FAIL")
        if failing { try writeFile(p, "failing on purpose\n") } else { removeTree(p) }
    }

    /// Names in .running: ports between prepare and package/clean.
    func runningBuilds() -> [String] { listDirectory(portsDir + "/.running") }
}
