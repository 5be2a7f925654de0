// What `hosts test` checks on a copy host (copy=1) instead of the shared
// paths: the host gets its own PORTSDIR, DISTDIR and package repository at
// the master's paths, so each must exist writable or be creatable there,
// with room for the tree; its files travel through the bulkbuild agent.
#if canImport(Glibc)
import Glibc
#endif

struct CopyHostNeeds {
    /// The master's PACKAGE_REPOSITORY and DISTDIR (print-data, or the
    /// protocol's defaults) and the tree's size in KiB (nil: unknown).
    var repository: String
    var distdir: String
    var treeKiB: Int?

    /// Asks the master's tree, through this machine's runner.
    static func measure(portsDir: String, make: String, driver: SyncDriver, logDir: String) -> CopyHostNeeds {
        let local = LocalRunner(hostName: "localhost", reaper: driver.reaper, queue: driver.queue)
        let log = "\(logDir)/hosts-check.master.log"
        var before = fileSize(log)
        var values: [String: String] = [:]
        if driver.runTask(local, TaskSpec(argv: [make, "-C", portsDir, "-s", "print-data"], logPath: log),
                          timeout: 60).succeeded {
            for line in readFrom(log, offset: before).split(separator: "\n") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                values[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
        }
        before = fileSize(log)
        var size: Int?
        if driver.runTask(local, TaskSpec(argv: ["du", "-sk", portsDir], logPath: log), timeout: 120).succeeded {
            size = readFrom(log, offset: before).split(separator: "\n").last
                .flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first }.flatMap { Int($0) }
        }
        func value(_ name: String, _ fallback: String) -> String {
            guard let v = values[name], !v.isEmpty else { return fallback }
            return v
        }
        return CopyHostNeeds(repository: value("PACKAGE_REPOSITORY", portsDir + "/packages"),
                             distdir: value("DISTDIR", portsDir + "/distfiles"), treeKiB: size)
    }

    /// Adds the copy host's lines to its report, and its problems.
    func report(_ c: [String: String], mode: DispatchMode?, portsDir: String, into r: inout HostReport) {
        r.add("files", "copied over ssh (copy=1): the host has its own tree, distfiles and packages")
        if mode == .agent {
            r.add("agent", "running (it carries the files)")
        } else {
            r.add("agent", "NOT AVAILABLE")
            r.fail("copy=1 needs the bulkbuild agent on the host: the same bulkbuild, at the same path as here")
        }
        for (key, name, path) in [("portsdir", "PORTSDIR", portsDir), ("repository", "packages", repository),
                                  ("distdir", "DISTDIR", distdir)] {
            let state = c["\(key)_state"] ?? "unknown"
            r.add(name, "\(path): \(state), \(kib(c["\(key)_free"])) free")
            if !(state == "writable" || state.hasPrefix("will be created")) { r.fail("\(name) \(path) \(state)") }
        }
        if let need = treeKiB, let free = c["portsdir_free"].flatMap({ Int($0) }), free < need {
            r.fail("PORTSDIR \(portsDir): \(kib(String(free))) free there, the tree takes \(kib(String(need)))")
        }
    }

    /// Shell script: $1 PORTSDIR, $2 MAKE, $3 repository, $4 DISTDIR.
    /// Prints `bulkbuild-fact` lines: make, and for each place its state
    /// and the free KiB of the file system it is (or will be) on.
    static let script = """
        p=$1; mk=$2
        echo "bulkbuild-fact make=$(command -v "$mk" 2>/dev/null)"
        \(HostsCheck.placeFunction)
        place portsdir "$p"; place repository "$3"; place distdir "$4"
        [ -r /proc/loadavg ] && echo "bulkbuild-fact load=$(cut -d' ' -f1-3 /proc/loadavg)"
        exit 0
        """
}
