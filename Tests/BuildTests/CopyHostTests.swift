// Copy hosts (copy=1) in-process: the coordinator sends the tree, the
// distfiles and the packages a job needs through the host's FileCarrier and
// brings back what it made, in virtual time. FakeCarrier copies between
// the master's paths and a directory standing for the host, and the fake
// `depends` there fails when a dependency's package was not sent.
@testable import Build
import Engine
import Foundation
import HostPool
import Logs
import XCTest

final class CopyHostTests: XCTestCase {
    func copyHarness(_ hosts: [FakeHostSpec], ports: Int = 20, seconds: Double = 10) throws -> Harness {
        let h = try Harness()
        h.tree.addLayered(ports, seconds: { _ in seconds })
        h.hostSpecs = hosts
        try h.tree.writePortDirectories(under: h.config.portsdir)
        return h
    }

    func paths(_ h: Harness, _ letter: String) -> [String] {
        h.engineLines(letter).compactMap { $0.components(separatedBy: ": \(letter): ").last?.split(separator: " ").first.map(String.init) }
    }

    func testTheTreeIsMirroredBeforeTheFirstJobAndEveryPackageComesBackIdentical() throws {
        let h = try copyHarness([FakeHostSpec(name: "c1", slots: 3, copy: true)])
        XCTAssertEqual(try h.run(), 0, h.reporter.events.suffix(5).joined(separator: "\n"))
        let carrier = h.carriers["c1"]!
        let firstPhase = h.tree.phases.first { $0.host == "c1" }!.at
        let mirrors = carrier.transfers.filter { $0.kind == "mirror" && $0.path.isEmpty }
        XCTAssertEqual(mirrors.count, 1, "the whole tree is mirrored once")
        XCTAssertLessThanOrEqual(mirrors[0].at, firstPhase)
        XCTAssertEqual(mirrors[0].files, h.tree.ports.count, "one Makefile per port")
        for p in h.tree.order {
            XCTAssertTrue(FileIO.exists(carrier.onHost(h.config.portsdir + "/" + p + "/Makefile")), p)
            let master = FileManager.default.contents(atPath: h.tree.packageFile(p))
            XCTAssertNotNil(master, "\(p) not brought back")
            XCTAssertEqual(master, FileManager.default.contents(atPath: h.tree.packageFile(p, root: carrier.hostRoot)), p)
        }
        let hostsLog = FileIO.read(h.logs.hostsLog) ?? ""
        XCTAssertTrue(hostsLog.contains("c1 mirrored \(h.config.portsdir): \(h.tree.ports.count) files"), hostsLog)
        XCTAssertTrue(hostsLog.contains("c1 brought back for "), hostsLog)
        XCTAssertTrue(hostsLog.contains("c1 transfers: sent "), hostsLog)
    }

    func testTheMirrorLeavesTheRepositoryDistfilesAndWorkAreasInsideTheTreeAlone() throws {
        let h = try copyHarness([FakeHostSpec(name: "c1", slots: 1, copy: true)], ports: 1)
        let p = h.config.portsdir
        h.config.tree.packageRepository = p + "/packages"
        h.config.tree.distdir = p + "/distfiles"
        h.config.tree.wrkobjdir = p + "/.work/obj"
        h.config.tree.localbase = p + "/.work/master/localbase"
        let c = try h.prepare()
        XCTAssertEqual(c.treeExclusions, ["packages", "distfiles", ".work"])
        h.config.tree.wrkobjdir = p + "/obj"
        h.config.tree.localbase = p + "/localbase"
        XCTAssertEqual(try h.startOverAndPrepare().treeExclusions, ["packages", "distfiles", "obj", "localbase"])
    }

    func testEachDependencyPackageIsSentAtMostOncePerHostAndBeforeItsDepends() throws {
        let h = try copyHarness([FakeHostSpec(name: "localhost", slots: 2, local: true),
                                 FakeHostSpec(name: "c1", slots: 3, copy: true),
                                 FakeHostSpec(name: "c2", slots: 3, copy: true)], ports: 60)
        // The fake `depends` on a copy host fails without its packages there.
        XCTAssertEqual(try h.run(), 0, h.reporter.events.suffix(5).joined(separator: "\n"))
        var sentSomething = 0
        for (name, carrier) in h.carriers {
            let sends = carrier.transfers.filter { $0.kind == "send" }
            sentSomething += sends.count
            var seen = Set<String>()
            for s in sends { XCTAssertTrue(seen.insert(s.path).inserted, "\(s.path) sent twice to \(name)") }
            // What the host built itself is never sent to it.
            let builtThere = Set(h.tree.phases.filter { $0.host == name && $0.phase == "package" }.map { $0.path })
            for p in builtThere { XCTAssertFalse(seen.contains(h.tree.packageFile(p)), "\(p) built on \(name) and sent to it") }
        }
        XCTAssertGreaterThan(sentSomething, 0)
        XCTAssertTrue(h.runners["localhost"]!.carrier == nil)
        XCTAssertEqual(Set(h.tree.phases.map { $0.host }), ["localhost", "c1", "c2"], "a mixed cluster uses every host")
    }

    func testDistfilesTheMasterFetchedAreSentOnce() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/a", seconds: 5, listingExtra: ["DISTFILES=a-1.tar.gz"]))
        h.tree.add(FakePort(pkgpath: "devel/b", seconds: 5, listingExtra: ["DISTFILES=a-1.tar.gz b-1.tar.gz"]))
        h.hostSpecs = [FakeHostSpec(name: "c1", slots: 1, copy: true)]
        try h.tree.writePortDirectories(under: h.config.portsdir)
        try FileIO.makeDirectory(h.config.tree.distdir)
        try FileIO.replace(h.config.tree.distdir + "/a-1.tar.gz", with: String(repeating: "a", count: 5000))
        XCTAssertEqual(try h.run(), 0)
        let sends = h.carriers["c1"]!.transfers.filter { $0.kind == "send" }.map { $0.path }
        // b-1 is not on the master: the job fetches it itself.
        XCTAssertEqual(sends, [h.config.tree.distdir + "/a-1.tar.gz"])
        XCTAssertTrue(h.portLog("devel/a").contains(">>> Sending files for devel/a"))
        XCTAssertTrue(h.portLog("devel/a").contains(">>> 1 file, 5000 bytes in "), h.portLog("devel/a"))
    }

    func testPackagesComeBackBeforeTheJobCountsAsBuiltAndTheScreenShowsTheTransfer() throws {
        let h = try copyHarness([FakeHostSpec(name: "c1", slots: 1, copy: true)], ports: 1, seconds: 10)
        try h.prepare()
        let carrier = h.carriers["c1"]!
        carrier.latency = 30
        var shown: [String] = []
        var builtWhileFetching = false
        for s in stride(from: 1.0, to: 200, by: 5) {
            h.world.after(s) {
                let phases = h.coordinator.snapshot(h.world.now).jobs.map { $0.phase }
                shown += phases
                if phases.contains("bringing-back") && h.engine(h).state(of: try! FullPkgPath("cat0/p0")) == .built {
                    builtWhileFetching = true
                }
            }
        }
        XCTAssertEqual(try h.run(), 0)
        XCTAssertTrue(shown.contains("sending"), "\(shown)")
        XCTAssertTrue(shown.contains("bringing-back"), "\(shown)")
        XCTAssertFalse(builtWhileFetching)
        let log = h.portLog("cat0/p0")
        let back = log.range(of: ">>> Bringing back packages for cat0/p0")
        let ended = log.range(of: ">>> Ended at")
        XCTAssertNotNil(back, log)
        XCTAssertLessThan(back!.lowerBound, ended!.lowerBound)
        // package, then the fetch (30 s), then clean.
        let package = h.tree.phases.first { $0.phase == "package" }!.at
        let clean = h.tree.phases.last { $0.phase == "clean" }!.at
        XCTAssertGreaterThanOrEqual(clean - package, 30)
    }

    func testADamagedPackageFailsTheJobAndLeavesNothingInTheRepository() throws {
        let h = try copyHarness([FakeHostSpec(name: "c1", slots: 2, copy: true)], ports: 4)
        try h.prepare()
        h.carriers["c1"]!.damage = ["/p3-1.0.tgz"]
        XCTAssertEqual(try h.run(), 1)
        XCTAssertEqual(paths(h, "E"), ["cat3/p3"])
        XCTAssertFalse(h.tree.packageExists("cat3/p3"), "a damaged package must not reach the repository")
        let repo = (try? FileManager.default.contentsOfDirectory(atPath: h.tree.packageDir)) ?? []
        XCTAssertFalse(repo.contains { $0.contains("p3") }, "\(repo)")
        XCTAssertTrue(h.portLog("cat3/p3").contains("bringing back packages: "), h.portLog("cat3/p3"))
        XCTAssertTrue(h.portLog("cat3/p3").contains("damaged in transfer"))
        let engineLog = FileIO.read(h.logs.engineLog) ?? ""
        XCTAssertTrue(engineLog.contains("transfer: cat3/p3 on c1: bringing back packages: "), engineLog)
        XCTAssertTrue(FileIO.exists(h.lockPath("cat3/p3")), "an error keeps its lock, as any failure")
        for p in ["cat0/p0", "cat1/p1", "cat2/p2"] { XCTAssertTrue(h.tree.packageExists(p), p) }
    }

    func testALinkLostMidTransferIsAHostDownAndTheJobIsRedoneElsewhere() throws {
        let h = try copyHarness([FakeHostSpec(name: "localhost", slots: 1, local: true),
                                 FakeHostSpec(name: "c1", slots: 2, copy: true)], ports: 12)
        try h.prepare()
        let carrier = h.carriers["c1"]!
        carrier.latency = 4
        var cutFor: String?
        carrier.cutDuring = { kind, path in
            guard kind == "fetch", cutFor == nil else { return false }
            cutFor = path
            return true
        }
        XCTAssertEqual(try h.run(), 0, h.reporter.events.suffix(5).joined(separator: "\n"))
        let cut = try XCTUnwrap(cutFor)
        let port = h.tree.order.first { h.tree.packageFile($0) == cut }!
        let lost = paths(h, "N")
        XCTAssertTrue(lost.contains(port), "the job whose package was coming back is not finished: \(lost)")
        for p in lost { XCTAssertTrue(h.tree.packageExists(p), p) }
        XCTAssertTrue(h.reporter.events.contains { $0.contains("hostDown") && $0.contains("link cut during fetch") })
        // Redone on the local host, which shares the repository.
        XCTAssertEqual(h.tree.phases.last { $0.path == port && $0.phase == "package" }?.host, "localhost")
        XCTAssertEqual(FileIO.read(h.tree.packageFile(port)), "fake package of \(port) v1.0\n")
        let repo = (try? FileManager.default.contentsOfDirectory(atPath: h.tree.packageDir)) ?? []
        XCTAssertFalse(repo.contains { $0.hasSuffix(".part") }, "\(repo)")
        XCTAssertTrue(h.portLog(port).contains("bringing back packages: link lost"), h.portLog(port))
    }

    func testAHostBackFromDownGetsTheTreeInStepAgain() throws {
        let h = try copyHarness([FakeHostSpec(name: "c1", slots: 2, copy: true)], ports: 10, seconds: 20)
        let start = h.world.now
        try h.prepare()
        h.world.at(start + 30) { h.runners["c1"]!.goDown("link cut") }
        h.world.at(start + 60) { h.runners["c1"]!.comeUp() }
        XCTAssertEqual(try h.run(), 0)
        let mirrors = h.carriers["c1"]!.transfers.filter { $0.kind == "mirror" && $0.path.isEmpty }
        XCTAssertEqual(mirrors.count, 2)
        XCTAssertEqual(mirrors.last?.files, 0, "nothing changed: nothing crosses")
    }

    func testAHotFixSendsThePortDirectoryAgainBeforeItsRetry() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/base", seconds: 5))
        h.tree.add(FakePort(pkgpath: "devel/broken", deps: ["devel/base"], seconds: 5, failIn: "build"))
        h.hostSpecs = [FakeHostSpec(name: "c1", slots: 2, copy: true)]
        try h.tree.writePortDirectories(under: h.config.portsdir)
        h.config.waitForFixes = true
        let start = h.world.now
        try h.prepare()
        let fixed = h.config.portsdir + "/devel/broken/Makefile"
        h.world.at(start + 100) {
            try? FileIO.replace(fixed, with: "# fixed\n")
            h.tree.ports["devel/broken"]?.failIn = nil
            unlink(h.lockPath("devel/broken"))
        }
        XCTAssertEqual(try h.run(), 0)
        let carrier = h.carriers["c1"]!
        let again = carrier.transfers.filter { $0.kind == "mirror" && $0.path == "devel/broken" }
        XCTAssertEqual(again.count, 1, "\(carrier.transfers.map { "\($0.kind) \($0.path)" })")
        let retry = h.tree.phases.filter { $0.path == "devel/broken" && $0.at > start + 100 }.first!.at
        XCTAssertLessThanOrEqual(again[0].at, retry)
        XCTAssertEqual(FileIO.read(carrier.onHost(fixed)), "# fixed\n")
        // devel/base did not change: not sent again.
        XCTAssertFalse(carrier.transfers.contains { $0.kind == "mirror" && $0.path == "devel/base" })
    }

    func testAPortDirectoryChangedOnTheMasterAfterTheMirrorIsSentBeforeItsJob() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/base", seconds: 20))
        h.tree.add(FakePort(pkgpath: "devel/user", deps: ["devel/base"], seconds: 5))
        h.tree.add(FakePort(pkgpath: "devel/other", deps: ["devel/base"], seconds: 5))
        h.hostSpecs = [FakeHostSpec(name: "c1", slots: 1, copy: true)]
        try h.tree.writePortDirectories(under: h.config.portsdir)
        let start = h.world.now
        try h.prepare()
        let changed = h.config.portsdir + "/devel/user/patches/patch-a"
        // While devel/base builds: the tree is already there.
        h.world.at(start + 10) {
            try? FileIO.makeDirectory((changed as NSString).deletingLastPathComponent)
            try? FileIO.replace(changed, with: "--- a\n+++ b\n")
        }
        XCTAssertEqual(try h.run(), 0)
        let carrier = h.carriers["c1"]!
        let mirrors = carrier.transfers.filter { $0.kind == "mirror" }.map { $0.path }
        XCTAssertEqual(mirrors, ["", "devel/user"], "only the changed port directory is sent again")
        XCTAssertEqual(FileIO.read(carrier.onHost(changed)), "--- a\n+++ b\n")
        let sent = carrier.transfers.first { $0.kind == "mirror" && $0.path == "devel/user" }!.at
        XCTAssertLessThanOrEqual(sent, h.tree.phases.first { $0.path == "devel/user" }!.at)
    }

    func testAHostThatCannotTakeTheTreeGetsNoJobsAndTheyGoElsewhere() throws {
        let h = try copyHarness([FakeHostSpec(name: "localhost", slots: 1, local: true),
                                 FakeHostSpec(name: "c1", slots: 2, copy: true)], ports: 6)
        try h.prepare()
        h.carriers["c1"]!.refuseMirror = "No space left on device"
        XCTAssertEqual(try h.run(), 0)
        XCTAssertEqual(paths(h, "E"), [], "a host's trouble is no port's error")
        XCTAssertFalse(paths(h, "N").isEmpty)
        XCTAssertFalse(h.tree.phases.contains { $0.host == "c1" })
        for p in h.tree.order { XCTAssertTrue(h.tree.packageExists(p), p) }
        let hostsLog = FileIO.read(h.logs.hostsLog) ?? ""
        XCTAssertTrue(hostsLog.contains("c1 failed: cannot mirror \(h.config.portsdir) there: "), hostsLog)
        XCTAssertTrue(hostsLog.contains("No space left on device"), hostsLog)
    }

    func testASignalDuringATransferEndsTheRunWithoutCountingTheJob() throws {
        let h = try copyHarness([FakeHostSpec(name: "c1", slots: 2, copy: true)], ports: 3)
        try h.prepare()
        h.carriers["c1"]!.latency = 60
        h.world.signal(SIGTERM, after: 30)
        XCTAssertEqual(try h.run(), 128 + SIGTERM)
        XCTAssertEqual(paths(h, "B"), [])
        XCTAssertTrue(h.tree.phases.isEmpty, "no phase starts after the stop: \(h.tree.phases.map { $0.phase })")
        XCTAssertEqual(h.coordinator.jobs.count, 0)
    }

    func testASendThatFailsOnTheHostIsAnErrorOfTheJob() throws {
        let h = try Harness()
        h.tree.add(FakePort(pkgpath: "devel/a", seconds: 5, listingExtra: ["DISTFILES=a-1.tar.gz"]))
        h.hostSpecs = [FakeHostSpec(name: "c1", slots: 1, copy: true)]
        try h.tree.writePortDirectories(under: h.config.portsdir)
        try FileIO.makeDirectory(h.config.tree.distdir)
        try FileIO.replace(h.config.tree.distdir + "/a-1.tar.gz", with: "a")
        try h.prepare()
        h.carriers["c1"]!.refuseSend = "Read-only file system"
        XCTAssertEqual(try h.run(), 1)
        XCTAssertEqual(paths(h, "E"), ["devel/a"])
        XCTAssertTrue(h.portLog("devel/a").contains("sending files: "), h.portLog("devel/a"))
        XCTAssertTrue(h.portLog("devel/a").contains("Read-only file system"), h.portLog("devel/a"))
        XCTAssertTrue((FileIO.read(h.logs.hostsLog) ?? "").contains("c1 sending files for devel/a failed: "))
    }
}

extension Harness {
    func engine(_ h: Harness) -> BuildEngine { h.coordinator.engine }
}
