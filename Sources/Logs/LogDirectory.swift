import Engine
import Foundation

/// The log directory and the name of every file in it.
public struct LogDirectory: Sendable {
    public let root: String
    /// Where its files live: the disk, or memory in in-process tests.
    public let files: any FileStore
    public init(root: String, files: any FileStore = PosixFileStore.shared) { self.root = root; self.files = files }

    public var engineLog: String { root + "/engine.log" }
    public var buildLog: String { root + "/build.log" }
    public var statsLog: String { root + "/stats.log" }
    public var concurrentLog: String { root + "/concurrent.log" }
    public var varsLog: String { root + "/vars.log" }
    /// `FULLPKGPATH build DEP... run DEP...` per listed port, for the run
    /// report's critical path.
    public var dependsLog: String { root + "/depends.log" }
    public var equivLog: String { root + "/equiv.log" }
    public var performanceLog: String { root + "/performance.log" }
    public var affinityLog: String { root + "/affinity.log" }
    public var signatureLog: String { root + "/signature.log" }
    /// -R: each existing package rebuilt or kept, and why.
    public var rebuildLog: String { root + "/rebuild.log" }
    /// -I: the output of every `install` at the end of the run.
    public var installLog: String { root + "/install.log" }
    /// After a whole-tree listing: how many ports depend on each path.
    public var dependenciesLog: String { root + "/dependencies.log" }
    /// At each junk run: the packages kept on that host.
    public var neededLog: String { root + "/needed.log" }
    /// Paths whose `clean` failed, so their work directory may remain.
    public var cleanLog: String { root + "/clean.log" }
    /// -s: each port's work directory size, measured before its clean.
    public var sizeLog: String { root + "/size.log" }
    public var statusFile: String { root + "/status.json" }
    public var affinityDirectory: String { root + "/affinity" }
    public var stopFile: String { root + "/stop" }
    public var listingDirectory: String { root + "/listing" }
    public var hostsLog: String { root + "/hosts.log" }
    /// `fetch/`: good.log, bad.log, manually.log, distfiles.log.
    public var fetchDirectory: String { root + "/fetch" }
    public var fetchGoodLog: String { fetchDirectory + "/good.log" }
    public var fetchBadLog: String { fetchDirectory + "/bad.log" }
    public var fetchManuallyLog: String { fetchDirectory + "/manually.log" }
    public var fetchDistfilesLog: String { fetchDirectory + "/distfiles.log" }
    /// `dist/DISTFILE.log`: every fetch attempt of one distfile.
    public func distfileLog(_ key: String) -> String { root + "/dist/" + key + ".log" }
    public func initLog(host: String) -> String { root + "/init.\(host).log" }
    public func junkLog(host: String) -> String { root + "/junk.\(host).log" }
    /// `workdirs/PKGPATH-with-dots`: a job of that port started and has not
    /// built yet, so its work directory may hold anything; the next build
    /// starts with `clean`. It outlives crashes, hot-fixes and locks removed
    /// by hand between runs.
    public var workdirDirectory: String { root + "/workdirs" }
    public func dirtyWorkdirMarker(_ pkgpath: PkgPath) -> String { workdirDirectory + "/" + pkgpath.dotted }
    /// dpb documents both spellings; either stops new jobs on that host.
    public func hostStopFiles(host: String) -> [String] { [root + "/stop-\(host)", root + "/\(host)-stop"] }

    /// `paths/FULLPKGPATH.log`: the per-port log.
    public func portLog(_ path: FullPkgPath) -> String { root + "/paths/" + path.canonical + ".log" }
    /// `packages/PKGNAME.log`: a relative symlink to the port log.
    public func packageLog(_ pkgname: String) -> String { root + "/packages/" + pkgname + ".log" }

    public func create() throws {
        for dir in [root, root + "/paths", root + "/packages", listingDirectory, workdirDirectory] {
            try files.makeDirectory(dir)
        }
    }

    /// Makes the port log's directory and the package symlink.
    public func preparePortLog(_ path: FullPkgPath, pkgname: String) throws -> String {
        let log = portLog(path)
        if let slash = log.lastIndex(of: "/") { try files.makeDirectory(String(log[..<slash])) }
        if !pkgname.isEmpty { linkPackageLog(pkgname, to: path) }
        return log
    }

    /// `packages/PKGNAME.log` -> `../paths/FULLPKGPATH.log`, replaced.
    public func linkPackageLog(_ pkgname: String, to path: FullPkgPath) {
        files.link(packageLog(pkgname), to: "../paths/" + path.canonical + ".log")
    }
}
