// A TaskRunner whose tasks are FakeTree's answers in virtual time. A
// remote one reports up and down as a RemoteRunner does, through its
// HostPool.Host.
@testable import Build
import HostPool
import Logs

final class FakeRunner: TaskRunner {
    let hostName: String
    let isLocal: Bool
    let world: FakeWorld
    let tree: FakeTree
    /// The host model it reports to (remote runners only).
    weak var host: HostPool.Host?
    private(set) var live: [FakeTask] = []
    /// (SUBDIR, hard) of every stop asked for.
    var stops: [(String, Bool)] = []
    private(set) var down = false
    /// BULKBUILD_UPDATE given to each `depends`, by SUBDIR ("" when none).
    private(set) var updates: [String: String] = [:]
    /// A copy host's files: its tasks read and write under the carrier's
    /// root instead of the master's paths.
    var carrier: FakeCarrier?
    /// The argv of every task that is not a port's make call (du, mounts).
    /// SUBDIR of every dump-vars, in order ("" for the whole tree).
    private(set) var listings: [String] = []
    private(set) var argvs: [(at: Double, argv: [String])] = []
    /// The group mark each task was given (TaskSpec.groupMark), by SUBDIR.
    private(set) var marks: [(subdir: String, phase: String, mark: String?)] = []
    /// (SUBDIR, phase, WRKOBJDIR=...) of every phase run with a WRKOBJDIR (-M).
    private(set) var wrkobjdirs: [(String, String, String)] = []

    init(hostName: String, isLocal: Bool, world: FakeWorld, tree: FakeTree) {
        self.hostName = hostName; self.isLocal = isLocal; self.world = world; self.tree = tree
    }

    func start(_ spec: TaskSpec, completion: @escaping (TaskEnd) -> Void) -> TaskHandle {
        let t = world.now
        var seconds = 0.01
        var end = TaskEnd.exited(0)
        var writes = ""
        var ignoresTerm = false
        var onFinish: (() -> Void)?
        let subdir = spec.environment["SUBDIR"] ?? ""
        let phase = spec.environment["PHASE"] ?? ""
        marks.append((subdir, phase, spec.groupMark))
        if down {
            seconds = 0; end = .lost("connection lost")
        } else if !phase.isEmpty && phase != "junk" {
            // A port's phase, the most common task by far: looked at first.
            if phase == "depends" { updates[subdir] = spec.environment["BULKBUILD_UPDATE"] ?? "" }
            var jobs: Int?
            for word in spec.argv {
                if word.hasPrefix("WRKOBJDIR=") { wrkobjdirs.append((subdir, phase, word)) }
                if word.hasPrefix("MAKE_JOBS=") { jobs = Int(word.dropFirst(10)) }
            }
            let port = tree.ports[subdir]
            let o = tree.outcome(path: subdir, phase: phase, host: hostName, at: t, makeJobs: jobs)
            seconds = o.seconds; end = o.end
            if phase == "depends", let root = carrier?.hostRoot,
               let missing = port?.deps.first(where: { !tree.packageExists($0, root: root) }) {
                // A copy host installs only what was sent to it.
                writes = "===> \(subdir): the package of \(missing) is not in this host's repository\n"
                end = .exited(1)
            }
            if o.writes { writes = "===> fake " + phase + " for " + subdir + " on " + hostName + "\n" }
            ignoresTerm = port?.ignoresTerm ?? false
            if phase == "package" {
                let delay = port?.packageDelay ?? 0
                let root = carrier?.hostRoot ?? ""
                onFinish = { [tree, world] in
                    if delay == 0 { tree.makePackage(subdir, root: root) }
                    else if delay.isFinite { world.after(delay) { tree.makePackage(subdir, root: root) } }
                }
            }
        } else if spec.argv.count >= 3 && spec.argv[2] == HostInit.probeScript {
            writes = """
                bulkbuild-fact user=builder
                bulkbuild-fact cpus=4
                bulkbuild-fact arch=amd64
                bulkbuild-fact libc=glibc 2.36
                bulkbuild-fact libraries=10
                bulkbuild-fact signature=\(String(repeating: "ab", count: 32))

                """
        } else if spec.argv.first == "du", let dir = spec.argv.last {
            // -s measures a work directory: FakeTree says how big it is.
            seconds = 1
            if let kb = tree.workKilobytes[dir] { writes = "\(kb)\t\(dir)\n" } else { end = .exited(1) }
            argvs.append((t, spec.argv))
        } else if spec.environment["BULKBUILD_FETCH"] != nil, let answer = tree.fetchAnswer {
            (seconds, end) = answer(spec)
        } else if spec.argv.contains("dump-vars") {
            listings.append(subdir)
            seconds = 0.05
            if tree.listingFails {
                writes = "make: *** No rule to make target 'dump-vars'.  Stop.\n"
                end = .exited(2)
            } else {
                writes = tree.dumpVars(subdir)
            }
        } else if phase == "junk" {
            seconds = 0.2
            tree.junk(host: hostName, keep: spec.environment["JUNK_KEEP"] ?? "")
        } else if spec.argv.first == "/bin/sh" && spec.argv.contains(where: { $0.contains("tmpfs") || $0.contains("umount") }) {
            argvs.append((t, spec.argv))
            if tree.mountFails { end = .exited(32) }
            seconds = tree.mountSeconds
        }
        if !(spec.logHeader + writes).isEmpty { try? tree.files.append(spec.logHeader + writes, to: spec.logPath) }
        let task = FakeTask(pid: world.newPid(), spec: spec, runner: self, endAt: t + seconds, end: end,
                            completion: completion)
        task.ignoresTerm = ignoresTerm
        task.onFinish = onFinish
        live.append(task)
        world.add(task)
        return task
    }

    func ended(_ task: FakeTask) { live.removeAll { $0 === task } }

    /// The link is cut: the host reports down, then its tasks end lost.
    func goDown(_ why: String = "connection lost") {
        down = true
        host?.hostEvent(.down(why))
        carrier?.cut(why)
        for t in live { world.endSoon(t, .lost(why)) }
    }

    func comeUp() {
        down = false
        host?.hostEvent(.up)
    }
}
