// -M and -S with the real binary: a port whose recorded size fits builds
// with WRKOBJDIR on a tmpfs that the run mounts and unmounts; a mount left
// by a crashed run is cleaned up; without root, -M stops at once.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class MemoryEndToEndTests: XCTestCase {
    /// Mounting needs root with CAP_SYS_ADMIN: find out by trying.
    func requireMounting() throws {
        guard geteuid() == 0 else { throw XCTSkip("-M mounts a tmpfs: needs root (this test runs as uid \(geteuid()))") }
        let probe = try makeTempDir(prefix: "mount-probe")
        defer { removeTree(probe) }
        let mounted = try runProcess(["/bin/sh", "-c", "mount -t tmpfs -o size=64k probe \"$1\" && umount \"$1\"", "sh", probe])
        guard mounted.succeeded else { throw XCTSkip("cannot mount a tmpfs here (no CAP_SYS_ADMIN?): \(mounted.output)") }
    }

    func isMountPoint(_ dir: String) -> Bool {
        (try? runProcess(["mountpoint", "-q", dir]))?.succeeded ?? false
    }

    func mountPoint(_ bulk: Bulk) -> String? {
        bulk.lines("hosts.log").compactMap { line -> String? in
            guard let r = line.range(of: " memory file system at ") else { return nil }
            return line[r.upperBound...].split(separator: " ").first.map(String.init)
        }.last
    }

    func testASmallPortBuildsOnATmpfsTheOthersOnDisk() throws {
        try requireMounting()
        let tree = try TreeFixture(["--ports", "4", "--seed", "3"])
        let ports = tree.manifest.ports.filter { $0.kind == "plain" && !$0.ignored && !$0.fail && !$0.missingDep }
        let small = try XCTUnwrap(ports.first)
        let sizes = tree.path("sizes")
        // The small one fits in 1000 KiB, every other is far too big.
        let lines = ports.map { "\($0.paths.first ?? $0.pkgpath)(x-1) size=\($0.pkgpath == small.pkgpath ? 100 : 900_000) ts=1\n" }
        try writeFile(sizes, lines.joined())
        let bulk = Bulk(tree: tree)
        let r = try bulk.run(["-j", "2", "-s", "-S", sizes, "-M", "1000"])
        XCTAssertEqual(r.exitCode, 0, r.output)
        let mount = try XCTUnwrap(mountPoint(bulk), bulk.file("hosts.log"))
        let smallLog = bulk.file("paths/\(small.paths.first ?? small.pkgpath).log")
        XCTAssertTrue(smallLog.contains("===> Work directory \(mount)/"), smallLog)
        XCTAssertTrue(smallLog.contains(" on tmpfs"), smallLog)
        for other in ports where other.pkgpath != small.pkgpath {
            let log = bulk.file("paths/\(other.paths.first ?? other.pkgpath).log")
            XCTAssertFalse(log.contains("===> Work directory"), "\(other.pkgpath) built on disk: \(log)")
        }
        XCTAssertFalse(isMountPoint(mount), "unmounted at the end")
        XCTAssertFalse(fileExists(mount), "mount point removed")
        // -s measured the memory job (gentree lists no WRKDIR for disk builds).
        let sizeLog = bulk.lines("size.log")
        XCTAssertEqual(sizeLog.count, 1, bulk.file("size.log"))
        XCTAssertTrue(sizeLog.first?.hasPrefix("\(small.paths.first ?? small.pkgpath)(") ?? false, bulk.file("size.log"))
        XCTAssertTrue(readFile(sizes)?.contains(sizeLog.first ?? "-") ?? false, "the -S file got the new line")
    }

    func testAMountLeftByACrashedRunIsReplaced() throws {
        try requireMounting()
        let tree = try TreeFixture(["--ports", "2", "--seed", "4"])
        let bulk = Bulk(tree: tree)
        let sizes = tree.path("sizes")
        try writeFile(sizes, "")
        XCTAssertEqual(try bulk.run(["-j", "1", "-S", sizes, "-M", "1000"]).exitCode, 0)
        let mount = try XCTUnwrap(mountPoint(bulk))
        // What a killed run leaves: the tmpfs still mounted, files in it.
        XCTAssertTrue(try runProcess(["/bin/sh", "-c", "mkdir -p \"$1\" && mount -t tmpfs -o size=64k left \"$1\" && : > \"$1\"/leftover",
                                      "sh", mount]).succeeded)
        defer { _ = try? runProcess(["umount", mount]) }
        // The next run has something to build, so its host comes up.
        removeTree(tree.packagesDir)
        let r = try bulk.run(["-j", "1", "-S", sizes, "-M", "1000"])
        XCTAssertEqual(r.exitCode, 0, r.output)
        XCTAssertTrue(readFile(bulk.logdir + "/init.localhost.log")?.contains("unmounting a memory file system left at \(mount)") ?? false,
                      readFile(bulk.logdir + "/init.localhost.log") ?? "no init log")
        XCTAssertFalse(isMountPoint(mount))
    }

    /// The demo tree lists WRKDIR: -s measures a real build on disk, and -M
    /// then builds it in memory (its kept work directory vanishes with the
    /// tmpfs instead of staying under WRKOBJDIR).
    func testTheDemoTreeIsMeasuredOnDiskThenBuiltInMemory() throws {
        let demo = try DemoTreeCopy()
        let r = try demo.bulkbuild(["-j", "1", "-s", "devel/libfmt"])
        XCTAssertEqual(r.exitCode, 0, r.output)
        let line = (readFile(demo.logdir + "/size.log") ?? "").split(separator: "\n").map(String.init)
        XCTAssertEqual(line.count, 1)
        let kb = line.first.flatMap { $0.split(separator: " ").first { $0.hasPrefix("size=") } }.flatMap { Int($0.dropFirst(5)) }
        XCTAssertTrue(line.first?.hasPrefix("devel/libfmt(libfmt-1.2) size=") ?? false, "\(line)")
        XCTAssertGreaterThan(kb ?? 0, 0)
        let rolling = demo.portsDir + "/distfiles/build-stats/\(machineArch())-size"
        XCTAssertEqual(readFile(rolling), line.first.map { $0 + "\n" })

        try requireMounting()
        removeTree(demo.portsDir + "/packages")
        let disk = demo.portsDir + "/.work/obj/devel.libfmt"
        let again = try demo.bulkbuild(["-j", "1", "-M", "\((kb ?? 0) * 2)", "-C", "devel/libfmt", "devel/libfmt"])
        XCTAssertEqual(again.exitCode, 0, again.output)
        XCTAssertTrue(fileExists(demo.portsDir + "/packages/\(machineArch())/all/libfmt-1.2.tgz"))
        XCTAssertFalse(fileExists(disk), "built in memory, so nothing kept on disk")
        // The same, too big for memory: the kept work directory is on disk.
        removeTree(demo.portsDir + "/packages")
        let big = try demo.bulkbuild(["-j", "1", "-M", "\(max(1, (kb ?? 2) / 2))", "-C", "devel/libfmt", "devel/libfmt"])
        XCTAssertEqual(big.exitCode, 0, big.output)
        XCTAssertTrue(fileExists(disk), "did not fit: built on disk")
    }

    func machineArch() -> String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    func testWithoutRootMStopsAtOnce() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to run the binary as another user") }
        let tree = try TreeFixture(["--ports", "2", "--seed", "5"])
        _ = try runProcess(["chmod", "-R", "a+rX", tree.root])
        var dir = tree.root
        while dir != "/" && !dir.isEmpty {
            _ = try runProcess(["chmod", "a+x", dir])
            dir = (dir as NSString).deletingLastPathComponent
        }
        let bulk = Bulk(tree: tree)
        let r = try runProcess(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", try Products.bulkbuild()]
                               + bulk.args(["-M", "1000"]))
        XCTAssertEqual(r.exitCode, 2, r.output)
        XCTAssertTrue(r.stderr.contains("-M: building in memory mounts a tmpfs on localhost, which needs root (CAP_SYS_ADMIN)"), r.stderr)
        XCTAssertTrue(tree.packageFiles().isEmpty, "nothing built on disk instead")
    }
}
