import Engine
import HostPool
import Logs

/// Everything a build run needs, resolved from the command line, the
/// environment and the tree.
public struct RunConfig {
    public var portsdir: String
    public var make: String
    public var logdir: String
    public var lockdir: String
    public var tree: TreeSettings
    public var request: PathRequest
    public var wholeTree: Bool
    /// -q: keep running while errors or locks remain, for hot-fixes.
    public var waitForFixes: Bool
    /// -c: clean before each build.
    public var cleanFirst: Bool
    /// -C: pkgpaths whose work directory is not cleaned after the build.
    public var keepWorkdir: Set<PkgPath>
    /// -X: pkgpaths whose packages junk must keep.
    public var junkKeep: [FullPkgPath]
    public var displayTimeout: Double
    /// Seconds between TERM and KILL when stopping jobs on a signal.
    public var killGrace: Double
    /// -e: the listing does not take a build slot.
    public var extraListing: Bool
    public var dontCleanLocks: Bool
    public var alwaysClean: Bool
    public var localHost: String
    /// Target architecture (-A, default the tree's MACHINE_ARCH).
    public var arch: String
    public var ordering: QueueOrdering
    public var noBuildStats = false
    /// `%f/build-stats/%a`
    public var statsPath = ""
    /// -b: prime the statistics from this build.log.
    public var primeLog: String?
    public var stuckTimeout: Double?
    public var buildTimeout: Double?
    /// -p: overrides every host's `parallel`.
    public var parallel: ParallelSetting?
    /// STARTUP: a local script run on every host at init.
    public var startupScript: String?
    /// -D REPORT=FILE: `bulkbuild report` written there at the end.
    public var reportPath: String?
    /// -f / -F: fetch jobs beside the builds (0: builds fetch for themselves).
    public var fetch = FetchSettings()
    /// WAIT_TIMEOUT: seconds a package file may take to show up after its
    /// job ended (NFS); 0: missing at once is an error.
    public var waitTimeout: Double = 600
    /// -R: rebuild packages whose signature changed (see BuildEngine.RebuildCheck).
    public var rebuild = false
    /// -u / -U (and -R): what the `depends` phase is told in BULKBUILD_UPDATE.
    public var update: PackageUpdate?
    /// -I: paths installed on this machine at the end (also built).
    public var install: [FullPkgPath] = []
    /// -s: measure each port's work directory before its last clean.
    public var measureSizes = false
    /// The rolling size file (`%f/build-stats/%a-size`, or -S; empty: none,
    /// with NO_BUILD_STATS), and what it held at the start.
    public var sizesPath = ""
    public var sizes = SizeLog()
    /// -M: kilobytes of recorded work directory sizes that may build at
    /// once in each host's memory file system (a host's `memory` wins).
    public var memoryThreshold: Int64?
    /// Where each host mounts its memory file system.
    public var memoryRoot = "/tmp/bulkbuild-memory"
    public var batchSize = 64
    public var parallelListings = 2

    public init(portsdir: String, make: String, logdir: String, lockdir: String, tree: TreeSettings,
                request: PathRequest, wholeTree: Bool, waitForFixes: Bool, cleanFirst: Bool,
                keepWorkdir: Set<PkgPath>, junkKeep: [FullPkgPath], displayTimeout: Double, killGrace: Double,
                extraListing: Bool, dontCleanLocks: Bool, alwaysClean: Bool, localHost: String, arch: String,
                ordering: QueueOrdering, noBuildStats: Bool = false, statsPath: String = "",
                primeLog: String? = nil, stuckTimeout: Double? = nil, buildTimeout: Double? = nil,
                parallel: ParallelSetting? = nil, startupScript: String? = nil) {
        self.portsdir = portsdir
        self.make = make
        self.logdir = logdir
        self.lockdir = lockdir
        self.tree = tree
        self.request = request
        self.wholeTree = wholeTree
        self.waitForFixes = waitForFixes
        self.cleanFirst = cleanFirst
        self.keepWorkdir = keepWorkdir
        self.junkKeep = junkKeep
        self.displayTimeout = displayTimeout
        self.killGrace = killGrace
        self.extraListing = extraListing
        self.dontCleanLocks = dontCleanLocks
        self.alwaysClean = alwaysClean
        self.localHost = localHost
        self.arch = arch
        self.ordering = ordering
        self.noBuildStats = noBuildStats
        self.statsPath = statsPath
        self.primeLog = primeLog
        self.stuckTimeout = stuckTimeout
        self.buildTimeout = buildTimeout
        self.parallel = parallel
        self.startupScript = startupScript
    }

    /// What each package was built from, next to the build history.
    public var signaturesPath: String { statsPath + "-signatures" }

    /// `${PACKAGE_REPOSITORY}/${MACHINE_ARCH}/all/${FULLPKGNAME}.tgz`
    public func packageFile(_ pkgname: String) -> String {
        "\(tree.packageRepository)/\(arch)/all/\(pkgname).tgz"
    }
}

/// BULKBUILD_UPDATE for `depends`: installed packages that are older are
/// updated (-u, -R), or reinstalled even when they look the same (-U).
public enum PackageUpdate: String, Sendable {
    case update, force
}
