#if canImport(Glibc)
import Glibc
#endif
import Build
import CPosix
import Engine
import Logs
import TTYReport

private let monitorUsage = "usage: bulkbuild monitor [-L logdir]"

/// `bulkbuild monitor [-L logdir]`: draws a running build's screen from
/// its status.json.
///
/// The status file is LOGDIR/status.json with `-L`, otherwise
/// ./status.json (run it from the log directory). With `-L`, when
/// LOGDIR/status.json is missing but exactly one subdirectory holds one
/// (`-L ports/logs` for a run logging to ports/logs/ARCH), that one is
/// used; the current directory gets no such guess, since it may be a shared
/// place such as /tmp where another run's directory would be picked up. It
/// is read again every
/// second; `q`, INT or TERM end the monitor and give the terminal back.
/// Without a usable terminal it prints a counters line when they change
/// (at most every 10 s) and a line per new result, and stops once the run
/// has ended. A status file that is missing (after waiting up to 5 s for
/// it) or unreadable at start is an error: exit 2.
func runMonitorCommand(_ args: [String]) -> Int32 {
    var logDir: String?
    var i = 0
    while i < args.count {
        let a = args[i]
        if a == "-L" {
            guard i + 1 < args.count else { printError(monitorUsage); return 2 }
            logDir = args[i + 1]; i += 2
        } else if a.hasPrefix("-L") {
            logDir = String(a.dropFirst(2)); i += 1
        } else if a == "-h" || a == "--help" {
            print(monitorUsage)
            return 0
        } else {
            printError("bulkbuild monitor: unknown argument \(a)")
            printError(monitorUsage)
            return 2
        }
    }
    var path: String
    if let logDir {
        path = findStatusFile(in: logDir) ?? StatusFile.path(inLogDir: logDir)
    } else {
        let direct = StatusFile.path(inLogDir: ".")
        guard access(direct, F_OK) == 0 else {
            printError("bulkbuild monitor: no \(StatusFile.fileName) in the current directory; " +
                       "give the run's log directory with -L logdir")
            return 2
        }
        path = direct
    }

    // Wait a little for a run that is just starting.
    var first: RunSnapshot?
    let deadline = cp_monotonic() + 5
    while first == nil {
        if let logDir, let found = findStatusFile(in: logDir) { path = found }
        do {
            first = try StatusFile.read(path)
        } catch StatusFile.Failure.missing(_) where cp_monotonic() < deadline {
            monitorSleep(0.2)
        } catch {
            printError("bulkbuild monitor: \(error)")
            return 2
        }
    }

    // The build's signal source: signals are read in the loop, never in handlers.
    let signals = SignalSource()
    var config = CursesReporter.Config()
    config.readsKeys = true
    config.displayTimeout = 1
    if let screen = CursesReporter.open(fd: 1, config: config) {
        return monitorScreen(screen, path: path, first: first!, signals: signals)
    }
    return monitorPlain(path: path, first: first!, signals: signals)
}

/// DIR/status.json, or the only DIR/*/status.json; nil when neither.
private func findStatusFile(in dir: String) -> String? {
    let direct = StatusFile.path(inLogDir: dir)
    if access(direct, F_OK) == 0 { return direct }
    guard let d = opendir(dir) else { return nil }
    defer { closedir(d) }
    var found: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name == "." || name == ".." { continue }
        let candidate = StatusFile.path(inLogDir: (dir == "." ? "" : dir + "/") + name)
        if access(candidate, F_OK) == 0 { found.append(candidate) }
    }
    return found.count == 1 ? found[0] : nil
}

/// What the signals that arrived ask of the monitor: stop (INT, TERM,
/// HUP, QUIT), give the terminal back and stop the process (TSTP), redraw.
private enum MonitorSignals {
    case none, stop, suspend, redraw

    static func take(_ source: SignalSource) -> MonitorSignals {
        var out = MonitorSignals.none
        for s in source.take() {
            switch s {
            case SIGINT, SIGTERM, SIGHUP, SIGQUIT: return .stop
            case SIGTSTP: out = .suspend
            case SIGWINCH, SIGCONT: if out == .none { out = .redraw }
            default: break
            }
        }
        return out
    }
}

private func monitorSleep(_ seconds: Double) {
    var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    nanosleep(&ts, nil)
}

/// Rereads the file; keeps the last good snapshot when it cannot.
private struct StatusPoller {
    let path: String
    var snapshot: RunSnapshot
    var problem: String?
    var lastRead = cp_monotonic()

    /// True when a new, different snapshot came in.
    mutating func poll() -> Bool {
        lastRead = cp_monotonic()
        do {
            let s = try StatusFile.read(path)
            problem = nil
            if s == snapshot { return false }
            snapshot = s
            return true
        } catch {
            problem = "\(error)"
            return false
        }
    }

    func notice(now: Double) -> String? {
        if let problem { return "cannot reread: \(problem)" }
        if snapshot.ended { return "press q to quit" }
        if let gone = runGone(snapshot) { return gone + "; press q to quit" }
        if snapshot.time > 0 && now - snapshot.time > 30 {
            return "no news for \(ReportFormat.duration(now - snapshot.time)): is the run still going?"
        }
        return nil
    }
}

private func monitorScreen(_ screen: CursesReporter, path: String, first: RunSnapshot, signals: SignalSource) -> Int32 {
    var poller = StatusPoller(path: path, snapshot: first)
    screen.notice = poller.notice(now: cp_now())
    screen.update(first, force: true)
    loop: while true {
        switch MonitorSignals.take(signals) {
        case .stop: break loop
        case .suspend:
            screen.suspend()
            kill(getpid(), SIGSTOP)
            screen.resume()
        case .redraw: screen.redraw()
        case .none: break
        }
        let key = screen.readKey(timeoutMs: 200)
        if key == Int32(UInt8(ascii: "q")) || key == Int32(UInt8(ascii: "Q")) { break }
        var changed = false
        if cp_monotonic() - poller.lastRead >= 1 { changed = poller.poll() }
        if key == 12 { screen.redraw() } // ^L
        screen.notice = poller.notice(now: cp_now())
        screen.update(poller.snapshot, force: changed)
    }
    screen.close()
    let s = poller.snapshot
    let now = cp_now()
    if s.ended {
        for line in ReportFormat.finalSummary(s, now: now) { print(line) }
    } else {
        print("bulkbuild monitor: " + ReportFormat.summaryLine(s, now: now))
    }
    return 0
}

private func monitorPlain(path: String, first: RunSnapshot, signals: SignalSource) -> Int32 {
    let plain = PlainReporter(fd: 1, summaryInterval: 10)
    var poller = StatusPoller(path: path, snapshot: first)
    var seen = first.history.last?.time ?? -Double.infinity
    var lastProblem: String?
    // Results already in the file are summed up by the counters; only new
    // ones get a line.
    while true {
        switch MonitorSignals.take(signals) {
        case .stop: return 0
        case .suspend: kill(getpid(), SIGSTOP)
        default: break
        }
        let s = poller.snapshot
        for e in s.history where e.time > seen {
            plain.event(monitorEvent(for: e), at: e.time)
        }
        seen = max(seen, s.history.last?.time ?? seen)
        if poller.problem != lastProblem, let p = poller.problem { printError("bulkbuild monitor: \(p)") }
        lastProblem = poller.problem
        if s.ended {
            plain.finish(s)
            return 0
        }
        if let gone = runGone(s) {
            printError("bulkbuild monitor: \(gone); its last state: " + ReportFormat.summaryLine(s, now: cp_now()))
            return 1
        }
        plain.update(s, force: false)
        // Sleep a second, woken early by a signal.
        var fd = pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&fd, 1, 1000)
        _ = poller.poll()
    }
}

/// Why a run that has not ended will never update its file: its process,
/// on this machine, is gone (killed, or it stopped on a disk it could not
/// write its last status to). nil while it may still be going on, or when
/// it runs elsewhere.
private func runGone(_ s: RunSnapshot) -> String? {
    guard !s.ended, s.pid > 0, let host = s.runHost, host == hostName() else { return nil }
    guard kill(s.pid, 0) != 0 && errno == ESRCH else { return nil }
    return "the run (pid \(s.pid) on \(host)) is gone without ending"
}

private func monitorEvent(for e: RunSnapshot.HistoryEntry) -> ReportEvent {
    switch e.outcome {
    case .built: return .jobEnded(path: e.path, host: e.host, seconds: e.duration ?? 0)
    case .failed: return .jobFailed(path: e.path, host: e.host, log: e.detail ?? "?")
    case .ignored: return .ignored(path: e.path, reason: e.detail ?? "")
    case .notFinished: return .jobNotFinished(path: e.path, host: e.host, reason: e.detail ?? "")
    }
}
