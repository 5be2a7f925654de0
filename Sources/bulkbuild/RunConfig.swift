import Engine
import HostPool

/// Everything a build run needs, resolved from the command line, the
/// environment and the tree.
struct RunConfig {
    var portsdir: String
    var make: String
    var logdir: String
    var lockdir: String
    var tree: TreeSettings
    var request: PathRequest
    var wholeTree: Bool
    /// -q: keep running while errors or locks remain, for hot-fixes.
    var waitForFixes: Bool
    /// -c: clean before each build.
    var cleanFirst: Bool
    /// -C: pkgpaths whose work directory is not cleaned after the build.
    var keepWorkdir: Set<PkgPath>
    /// -X: pkgpaths whose packages junk must keep.
    var junkKeep: [FullPkgPath]
    var displayTimeout: Double
    /// Seconds between TERM and KILL when stopping jobs on a signal.
    var killGrace: Double
    /// -e: the listing does not take a build slot.
    var extraListing: Bool
    var dontCleanLocks: Bool
    var alwaysClean: Bool
    var localHost: String
    /// Target architecture (-A, default the tree's MACHINE_ARCH).
    var arch: String
    var ordering: QueueOrdering
    var noBuildStats = false
    /// `%f/build-stats/%a`
    var statsPath = ""
    /// -b: prime the statistics from this build.log.
    var primeLog: String?
    var stuckTimeout: Double?
    var buildTimeout: Double?
    /// -p: overrides every host's `parallel`.
    var parallel: ParallelSetting?
    /// STARTUP: a local script run on every host at init.
    var startupScript: String?
    var batchSize = 64
    var parallelListings = 2

    /// `${PACKAGE_REPOSITORY}/${MACHINE_ARCH}/all/${FULLPKGNAME}.tgz`
    func packageFile(_ pkgname: String) -> String {
        "\(tree.packageRepository)/\(arch)/all/\(pkgname).tgz"
    }
}
