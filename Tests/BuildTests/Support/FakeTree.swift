// A ports tree in memory, answering the tree protocol through fake tasks:
// `dump-vars` prints blocks for what is asked, each phase takes a set time
// and `package` writes the package file into a real (temporary) repository.
import Foundation
import HostPool
import Logs

struct FakePort {
    var pkgpath: String
    var deps: [String] = []
    /// Seconds of the build phase (every other phase takes 0.1 s).
    var seconds: Double = 10
    /// A phase that fails (exit 1).
    var failIn: String?
    /// A phase that goes silent and never ends by itself.
    var hangIn: String?
    var ignoresTerm = false
    var properties: [String] = []
    /// More `VAR=value` lines for its listing (DISTFILES, SITES...).
    var listingExtra: [String] = []
    /// Seconds of other phases than build (0.1 when not given).
    var phaseSeconds: [String: Double] = [:]
    /// Of `seconds`, the part that MAKE_JOBS divides (a parallel build).
    var scalable: Double = 0
    /// Seconds after `package` ends until its file is visible (a
    /// repository on NFS); .infinity: never.
    var packageDelay: Double = 0
    var version = "1.0"

    var pkgname: String { (pkgpath.split(separator: "/").last.map(String.init) ?? pkgpath) + "-" + version }
}

final class FakeTree {
    var ports: [String: FakePort] = [:]
    var order: [String] = []
    /// PACKAGE_REPOSITORY/ARCH/all
    let packageDir: String
    /// Every listing fails (make exits 2 with a message).
    var listingFails = false
    /// Answers fetch tasks (see FakeFetch.swift): seconds and end.
    var fetchAnswer: ((TaskSpec) -> (Double, TaskEnd))?
    /// `du -sk` answers by directory (-s); a directory not here fails du.
    var workKilobytes: [String: Int64] = [:]
    /// Mounting a memory file system fails (-M without the privilege).
    var mountFails = false
    var mountSeconds = 0.01
    /// (pkgpath, phase, host, start) of every phase started.
    private(set) var phases: [(path: String, phase: String, host: String, at: Double, makeJobs: Int?)] = []
    /// JUNK_KEEP of every junk run, with its host.
    private(set) var junkRuns: [(host: String, keep: String)] = []

    init(packageDir: String) { self.packageDir = packageDir }

    func add(_ p: FakePort) {
        if ports[p.pkgpath] == nil { order.append(p.pkgpath) }
        ports[p.pkgpath] = p
    }

    static func name(_ i: Int) -> String { "cat\(i % 5)/p\(i)" }

    /// Adds a layered tree of `n` ports: each depends on up to two earlier ones.
    func addLayered(_ n: Int, seconds: (Int) -> Double = { 5 + Double($0 % 7) }) {
        for i in 0..<n {
            var deps = Set<String>()
            if i >= 3 { deps.insert(FakeTree.name(i / 3)) }
            if i >= 10 { deps.insert(FakeTree.name(i / 2)) }
            add(FakePort(pkgpath: FakeTree.name(i), deps: deps.sorted(), seconds: seconds(i)))
        }
    }

    func phasesOf(_ path: String) -> [String] { phases.filter { $0.path == path }.map { $0.phase } }
    /// `root`: a copy host's files (FakeCarrier.hostRoot); "" the master's.
    func packageExists(_ path: String, root: String = "") -> Bool {
        FileIO.exists(packageFile(path, root: root))
    }
    func packageFile(_ path: String, root: String = "") -> String {
        root + packageDir + "/" + (ports[path]?.pkgname ?? "?") + ".tgz"
    }

    /// A Makefile per port under `portsdir`, for copy hosts to mirror.
    func writePortDirectories(under portsdir: String) throws {
        for (path, port) in ports {
            try FileIO.makeDirectory(portsdir + "/" + path)
            try FileIO.replace(portsdir + "/" + path + "/Makefile", with: "# \(port.pkgname)\n")
        }
        // Older than the run's first mirror by more than its slack for
        // coarse file times, so that only later changes are sent again.
        usleep(100_000)
    }

    func dumpVars(_ subdir: String) -> String {
        let asked = subdir.split(separator: " ").map(String.init)
        var out = ""
        for path in asked.isEmpty ? order : asked {
            guard let p = ports[path] else {
                out += ">> Broken dependency: \(path) non existent\n"
                continue
            }
            out += "===> \(path)\n\(path).FULLPKGNAME=\(p.pkgname)\n"
            if !p.deps.isEmpty { out += "\(path).BUILD_DEPENDS=\(p.deps.joined(separator: " "))\n" }
            if !p.properties.isEmpty { out += "\(path).DPB_PROPERTIES=\(p.properties.joined(separator: " "))\n" }
            for line in p.listingExtra { out += "\(path).\(line)\n" }
        }
        return out
    }

    /// What a phase of `path` does: how long it takes and how it ends.
    func outcome(path: String, phase: String, host: String, at: Double,
                 makeJobs: Int? = nil) -> (seconds: Double, end: TaskEnd, writes: Bool) {
        phases.append((path, phase, host, at, makeJobs))
        guard let p = ports[path] else { return (0.1, .exited(1), true) }
        if p.hangIn == phase { return (.infinity, .exited(0), false) }
        if p.failIn == phase { return (0.1, .exited(1), true) }
        if phase == "build" {
            return (p.seconds - p.scalable + p.scalable / Double(max(1, makeJobs ?? 1)), .exited(0), true)
        }
        return (p.phaseSeconds[phase] ?? 0.1, .exited(0), true)
    }

    func junk(host: String, keep: String) { junkRuns.append((host, keep)) }

    func makePackage(_ path: String, root: String = "") {
        guard let p = ports[path] else { return }
        try? FileIO.makeDirectory(root + packageDir)
        try? FileIO.replace(root + packageDir + "/" + p.pkgname + ".tgz", with: "fake package of \(path) v\(p.version)\n")
    }
}
