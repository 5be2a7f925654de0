import Engine
import Foundation
import HostPool
import Logs

/// -I: once the builds are over, the paths asked for are installed on this
/// machine, one after another, by the tree's `install` target; what was
/// installed (or why not) goes to the summary, the output to install.log.
extension Coordinator {
    /// Ends the run, after the installs of -I when there are any.
    func endRun(status: Int32) {
        guard !config.install.isEmpty, installReport == nil else {
            if !installing { finish(status: status) }
            return
        }
        installReport = []
        installing = true
        installNext(Array(config.install), status: status)
    }

    func installNext(_ left: [FullPkgPath], status: Int32) {
        // A signal ends the run as for builds, the stop file and a failing
        // disk too once the install running has ended: nothing more is
        // installed, and the summary names each path left.
        let stopped = shutdownSignal.map { "signal \($0)" } ?? (stopFileSeen ? logs.stopFile : storageFailure.map { _ in "storage failed" })
        if let stopped {
            for p in left { installReport?.append("not installed: \(p.canonical) (the run was stopped: \(stopped))") }
            installing = false
            if shutdownSignal == nil { finish(status: 1) }
            return
        }
        guard let path = left.first else {
            installing = false
            let failed = installReport?.contains { !$0.hasPrefix("installed") } ?? false
            finish(status: failed ? 1 : status)
            return
        }
        let rest = Array(left.dropFirst())
        let canonical = engine.canonical(path)
        let state = engine.state(of: canonical)
        guard state == .installable || state == .built, let record = engine.record(for: canonical),
              let runner = listingRunner ?? hosts.first(where: { $0.isLocal })?.runner else {
            installReport?.append("not installed: \(path.canonical) (not built)")
            installNext(rest, status: status)
            return
        }
        let t = now()
        writing(t) {
            try files.append(LogFormat.phaseHeader(phase: "install", path: canonical.canonical, time: t), to: logs.installLog)
        }
        let spec = TaskSpec(argv: [config.make, "-C", config.portsdir, "-s", "install"],
                            environment: ["SUBDIR": canonical.canonical, "PHASE": "install"], logPath: logs.installLog)
        installTask = runner.start(spec) { [weak self] end in
            guard let self else { return }
            self.installTask = nil
            self.installReport?.append(end.succeeded ? "installed: \(record.pkgname) (\(canonical.canonical))"
                                       : "not installed: \(canonical.canonical) (install ended with \(end.text), see \(self.logs.installLog))")
            self.installNext(rest, status: status)
        }
    }
}
