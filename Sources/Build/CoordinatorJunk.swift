import CPosix
import Engine
import Foundation
import HostPool
import Logs
import TTYReport

/// Junk runs: removing packages installed only as dependencies on a host
/// every `junk` builds.
extension Coordinator {
    func startJunk() {
        for host in hosts where host.state == .up && !hostStopped(host) && host.junkEvery > 0
            && host.buildsSinceJunk >= host.junkEvery {
            guard junkTasks[host] == nil, host.dependsHolder == nil,
                  !host.running.contains(where: { $0.record.has(property: "nojunk") }) else { continue }
            let name = locks.hostLockName(host: host.name)
            let t = now()
            do {
                guard try locks.create(name, lines: [("locked", name), ("dpb", "\(pid) on \(config.localHost)"),
                                                     ("path", "junk")] + taskMarkLine(name, host)) == .created else { continue }
            } catch {
                storageFailed("\(error)", t)
                return
            }
            var keep = Set<String>()
            for job in host.running { keep.formUnion(engine.neededPackages(for: job.path)) }
            for p in config.junkKeep { if let r = engine.record(for: p) { keep.insert(r.pkgname) } }
            host.buildsSinceJunk = 0
            let log = logs.junkLog(host: host.name)
            guard writing(t, {
                try files.append(">>> Running junk on \(host.name) at \(Int(t))\n", to: log)
                try files.append(LogFormat.needed(time: t, host: host.name, packages: keep.sorted()), to: logs.neededLog)
            }) else {
                locks.remove(name)
                return
            }
            let junk = Phase.junk.rawValue
            let spec = TaskSpec(argv: [config.make, "-C", config.portsdir, "-s", junk],
                                environment: ["JUNK_KEEP": keep.sorted().joined(separator: " "), "PHASE": junk, "SUBDIR": ""],
                                logPath: log, groupMark: taskMark(name, host))
            let handle = host.runner.start(spec) { [weak self] end in
                guard let self else { return }
                self.junkTasks[host] = nil
                self.locks.remove(name)
                if !end.succeeded {
                    self.reporter.event(.message("junk on \(host.name) ended with \(end.text) (see \(log))"), at: self.now())
                }
            }
            junkTasks[host] = handle
        }
    }
}
