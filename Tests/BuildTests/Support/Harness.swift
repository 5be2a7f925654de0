// One coordinator run in virtual time: logs, locks and package repository
// in a MemoryFileStore (or on disk, in a temporary directory, for tests of
// what reads the disk itself), a FakeTree, fake hosts, and a reporter that
// keeps what it was told.
@testable import Build
import Engine
import Foundation
import HostPool
import Logs
import TTYReport
import XCTest

final class RecordingReporter: Reporter {
    /// The events as text, made when a test reads them: describing every
    /// event as it comes (by reflection) was a tenth of a big run's time.
    var events: [String] { recorded.map { "\($0)" } }
    private var recorded: [ReportEvent] = []
    var last: RunSnapshot?
    func update(_ snapshot: RunSnapshot, force: Bool) { last = snapshot }
    func event(_ event: ReportEvent, at time: Double) { recorded.append(event) }
    func finish(_ snapshot: RunSnapshot) { last = snapshot }
    func suspend() {}
    func resume() {}
}

struct FakeHostSpec {
    var name: String
    var slots: Int
    var sf: Double = 1
    var local = false
    var stuck: Double?
    var junkEvery = 0
    var alwaysClean = false
    /// Shares no file system with the master: files go through a FakeCarrier.
    var copy = false
    /// memory=: the host's -M threshold in KiB.
    var memory: Int64?
}

/// Where a harness keeps its files.
enum HarnessStore {
    /// A MemoryFileStore: no file is made on disk.
    case memory
    /// The disk, for what the run reads or writes past the store (the run
    /// report, distfiles, status.json read back by the monitor).
    case disk
}

final class Harness {
    let dir: String
    let files: any FileStore
    let world: FakeWorld
    let tree: FakeTree
    let reporter = RecordingReporter()
    var config: RunConfig
    private(set) var coordinator: Coordinator!
    private(set) var runners: [String: FakeRunner] = [:]
    /// The carriers of copy hosts, by host name.
    private(set) var carriers: [String: FakeCarrier] = [:]
    var hostSpecs: [FakeHostSpec] = [FakeHostSpec(name: "localhost", slots: 4, local: true)]

    init(ports: [FakePort] = [], limit: Double = 1_000_000, store: HarnessStore = .memory) throws {
        let base = NSTemporaryDirectory() + "bulkbuild-build-tests"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var template = Array((base + "/run.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        dir = String(cString: made)
        files = store == .memory ? MemoryFileStore() : PosixFileStore.shared
        world = FakeWorld(limit: limit)
        tree = FakeTree(packageDir: dir + "/packages/amd64/all", files: files)
        for p in ports { tree.add(p) }
        let settings = TreeSettings(packageRepository: dir + "/packages", distdir: dir + "/distfiles",
                                    machineArch: "amd64", localbase: nil, wrkobjdir: nil, warning: nil)
        config = RunConfig(portsdir: dir + "/ports", make: "make", logdir: dir + "/logs", lockdir: dir + "/logs/locks",
                           tree: settings, request: PathRequest(), wholeTree: true, waitForFixes: false,
                           cleanFirst: false, keepWorkdir: [], junkKeep: [], displayTimeout: 10, killGrace: 20,
                           extraListing: true, dontCleanLocks: false, alwaysClean: false, localHost: "testhost",
                           arch: "amd64", ordering: .criticalPath, noBuildStats: true,
                           statsPath: dir + "/build-stats/amd64")
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    var logs: LogDirectory { LogDirectory(root: config.logdir, files: files) }
    func lockPath(_ pkgpath: String) -> String { config.lockdir + "/" + pkgpath.replacingOccurrences(of: "/", with: ".") }
    func engineLines(_ letter: String) -> [String] {
        (files.read(logs.engineLog) ?? "").split(separator: "\n").map(String.init).filter { $0.contains(": \(letter): ") }
    }
    func portLog(_ path: String) -> String { files.read(config.logdir + "/paths/" + path + ".log") ?? "" }

    /// Creates the coordinator and its hosts (so tests can script events
    /// against them before `run`).
    @discardableResult
    func prepare() throws -> Coordinator {
        if let c = coordinator { return c }
        let c = try Coordinator(config: config, reporter: reporter, queue: CoordinatorQueue(), startTime: world.now,
                                clock: world.clock, events: world, files: files)
        c.listingRunner = FakeRunner(hostName: "localhost", isLocal: true, world: world, tree: tree)
        for spec in hostSpecs {
            let runner = FakeRunner(hostName: spec.name, isLocal: spec.local, world: world, tree: tree)
            runners[spec.name] = runner
            // A remote runner reports to the host's model, as a RemoteRunner does.
            let model = HostPool.Host(config: HostConfig(name: spec.name, address: spec.name, isLocal: spec.local,
                                                         origin: "test"), runner: runner)
            let host = BuildHost(name: spec.name, runner: runner, slots: spec.slots, speedFactor: spec.sf,
                                 junkEvery: spec.junkEvery, stuckTimeout: spec.stuck, alwaysClean: spec.alwaysClean,
                                 model: model)
            if spec.copy {
                let carrier = FakeCarrier(world: world, hostRoot: dir + "/on-" + spec.name)
                carrier.runner = runner
                runner.carrier = carrier
                carriers[spec.name] = carrier
                host.files = HostFiles(carrier: carrier)
            }
            host.memoryThreshold = spec.memory ?? config.memoryThreshold
            c.addHost(host)
            if spec.local {
                c.startInit(host)
            } else {
                model.onStatusChange = { [weak c] h in c?.remoteStatusChanged(h) }
                runner.host = model
                // The connection comes up: init runs, then the host gets slots.
                runner.comeUp()
            }
        }
        coordinator = c
        return c
    }

    /// Forgets the coordinator and its hosts, so that `run` starts another
    /// run on the same directories, tree and virtual clock.
    func startOver() {
        coordinator = nil
        runners = [:]
        carriers = [:]
    }

    func startOverAndPrepare() throws -> Coordinator {
        startOver()
        return try prepare()
    }

    /// Runs to the end; the exit status.
    func run(file: StaticString = #filePath, line: UInt = #line) throws -> Int32 {
        let status = try prepare().run()
        XCTAssertFalse(world.overLimit, "the run did not end in virtual time", file: file, line: line)
        return status
    }
}
