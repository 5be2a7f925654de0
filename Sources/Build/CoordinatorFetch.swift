import Engine
import HostPool
import Logs

/// Routing between the coordinator and its fetch jobs: listed ports go to
/// the fetcher, its answers go to the engine, and -F (fetch only) ends the
/// run when every distfile has been dealt with.
extension Coordinator {
    /// Creates the fetcher on the machine that lists (fetch jobs run here).
    func setUpFetcher() {
        guard config.fetch.jobs > 0, fetcher == nil, let runner = listingRunner else { return }
        let f = Fetcher(settings: config.fetch, distdir: config.tree.distdir, logs: logs, runner: runner,
                        clock: { [unowned self] in self.now() })
        f.onReady = { [unowned self] path in
            if !self.config.fetch.fetchOnly { self.engine.distfilesReady(path) }
        }
        f.onFailed = { [unowned self] path, why in
            if !self.config.fetch.fetchOnly { self.engine.distfilesFailed(path, reason: why) }
            self.reporter.event(.message("\(path.canonical): \(why)"), at: self.now())
        }
        f.note = { [unowned self] subject, state, extra in self.engine.noteDistfile(subject, state, extra) }
        f.storageFailed = { [unowned self] what in self.storageFailed(what, self.now()) }
        fetcher = f
    }

    /// A listing batch went into the engine: hand its distfiles over.
    func fetchListed(_ result: ListingResult) {
        guard let f = fetcher else { return }
        if config.fetch.fetchOnly {
            // Mirroring disregards IGNORE and broken dependencies.
            for r in result.records where !r.fetch.files.isEmpty && r.broken == nil { f.want(r) }
            // Every listed distfile is still used, whatever became of its port.
            for r in result.records { for file in r.fetch.files { listedDistfiles.insert(file.key) } }
        } else {
            for r in engine.takeDistfileRequests() { f.want(r) }
        }
    }

    func startFetchJobs() {
        fetcher?.startJobs()
    }

    /// -F: done once everything is listed and every distfile is settled.
    func checkFetchOnlyEnd() {
        guard let f = fetcher, listings.isEmpty, engine.listingBacklog == 0, f.isIdle else { return }
        finish(status: listingFailures.isEmpty && f.failures.isEmpty && storageFailure == nil ? 0 : 1)
    }

    /// The fetch part of the final summary.
    func fetchSummaryLines() -> [String] {
        // A tree without distfiles gets no line about them.
        guard let f = fetcher, config.fetch.fetchOnly || !f.entries.isEmpty || !f.failures.isEmpty else { return [] }
        let failed = f.failedEntries.filter { !$0.file.manual }
        var lines = ["bulkbuild: distfiles: \(f.fetched) fetched, \(f.alreadyThere) already there, \(failed.count) failed, \(f.manual.count) to fetch by hand"
            + (f.skipped.isEmpty ? "" : ", \(f.skipped.count) skipped")
            + " (logs in \(logs.fetchDirectory))"]
        if config.fetch.fetchOnly {
            for (p, why) in f.failures { lines.append("  fetch failed: \(p): \(why)") }
        }
        for m in f.manual { lines.append("  by hand: \(m.path): \(m.key)") }
        for s in f.skipped.prefix(20) { lines.append("  skipped: \(s)") }
        return lines
    }

    /// A whole-tree -F (or HISTORY_ONLY) run knows every distfile the tree
    /// uses: record the others in DISTDIR/history (see DistfileHistory).
    func updateDistfileHistory() {
        guard config.fetch.fetchOnly, config.wholeTree, !config.fetch.noHistory, listingFailures.isEmpty,
              shutdownSignal == nil, !stopFileSeen, let f = fetcher else { return }
        var used: [String: String?] = [:]
        for name in listedDistfiles { used[name] = .some(nil) }
        var verified = Set<String>()
        for (name, e) in f.entries {
            used[name] = e.hex
            // Fetched or found in place and checked by this -F run.
            if !config.fetch.historyOnly, case .done = e.phase { verified.insert(name) }
        }
        let file = config.tree.distdir + "/" + DistfileHistory.fileName
        writing(now()) {
            let text = try DistfileHistory.lines(distdir: config.tree.distdir, used: used, verified: verified,
                                                 existing: FileIO.read(file) ?? "", now: now())
            guard !text.isEmpty else { return }
            try FileIO.append(text, to: file)
            let n = text.split(separator: "\n").count
            reporter.event(.message("distfiles no longer used: \(n) recorded in \(file)"), at: now())
        }
    }
}
