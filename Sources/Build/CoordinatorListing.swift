import CPosix
import Engine
import Foundation
import HostPool
import Logs
import TTYReport

/// Listing the tree: dump-vars batches run as tasks and fed to the engine
/// block by block as their output grows.
extension Coordinator {
    func startListings() {
        // The whole tree's listing will print every dependency too.
        if listings.contains(where: { $0.requested.isEmpty }) { return }
        while listings.count < config.parallelListings {
            let paths = engine.takePathsToList(limit: config.batchSize)
            if paths.isEmpty { return }
            startListing(paths)
        }
    }

    func startListing(_ paths: [FullPkgPath]) {
        listingSerial += 1
        let out = "\(logs.listingDirectory)/dump-vars.\(pid).\(listingSerial).out"
        files.remove(out)
        let job = ListingJob(requested: paths, outputPath: out)
        if paths.isEmpty {
            varsLog.write("===> whole tree (\(config.portsdir))\n")
        }
        var spec = job.spec(make: config.make, portsdir: config.portsdir)
        if paths.isEmpty { spec.environment["SUBDIR"] = "" }
        listings.append(job)
        let runner: TaskRunner = listingRunner ?? hosts[0].runner
        job.handle = runner.start(spec) { [weak self] end in self?.listingEnded(job, end) }
    }

    func listingEnded(_ job: ListingJob, _ end: TaskEnd) {
        job.ended = true
        listings.removeAll { $0 === job }
        // What is left goes in bounded chunks too: a whole tree's listing
        // may end long before most of it was read.
        repeat {
            if let out = job.readNew(final: false, files: files) { feedListing(out, requested: [], job: job) }
        } while job.more
        if let rest = job.readNew(final: true, files: files) { feedListing(rest, requested: [], job: job) }
        if !end.succeeded {
            let what = job.requested.isEmpty ? "the whole tree" : "\(job.requested.count) path(s)"
            varsLog.write("dump-vars for \(job.requested.isEmpty ? "the whole tree" : job.requested.map { $0.canonical }.joined(separator: " ")) ended with \(end.text)\n")
            let tail = (files.read(job.outputPath) ?? "").split(separator: "\n").suffix(3).joined(separator: " | ")
            let why: String
            if case .failedToStart(let text) = end { why = text } else { why = end.text }
            // Not the tree's fault when the run was stopping or its disk failed.
            let during = shutdownSignal.map { " after signal \($0)" }
                ?? (storageFailure != nil ? " while storage failed (its output may not have been written)" : "")
            let text = "make dump-vars for \(what) failed (\(why))\(during)\(tail.isEmpty ? "" : ": " + tail)"
            // A batch's unanswered paths are tried again alone and end up
            // listed or broken; a failed whole-tree listing leaves nothing
            // to tell what is missing, so it fails the run.
            if job.requested.isEmpty { listingFailures.append(text) }
            reporter.event(.message(text), at: now())
        }
        // Requested paths the tree printed under another name.
        var equivOnly = ListingResult()
        let asked = Set(job.requested)
        equivOnly.equivalences = ListingResult.interpret(job.merged(), requested: job.requested)
            .equivalences.filter { asked.contains($0.0) }
        for (a, b) in equivOnly.equivalences { equivLog.write(LogFormat.equivalence(a, b)) }
        engine.listed(equivOnly, requested: job.requested)
        files.remove(job.outputPath)
        if job.requested.isEmpty {
            logUsage("LISTED", "paths=\(engine.counts.counts.total)")
            if end.succeeded { writeDependencies(now()) }
        }
        lockWatcher.lookSoon()
        flushEngine(now())
    }

    func feedListing(_ out: DumpVarsOutput, requested: [FullPkgPath], job: ListingJob) {
        var result = ListingResult.interpret(out, requested: requested)
        for line in result.varsLogLines { varsLog.write(line + "\n") }
        for why in result.unusablePaths {
            // Not built and not countable: the run must not end as a success.
            let text = why + "; it is not built"
            listingFailures.append(text)
            reporter.event(.message(text), at: now())
        }
        for (a, b) in result.equivalences { equivLog.write(LogFormat.equivalence(a, b)) }
        for k in result.records.indices {
            let r = result.records[k]
            result.records[k].packageExists = !r.pkgname.isEmpty && files.exists(config.packageFile(r.pkgname))
            if result.records[k].packageExists {
                // Built after all: a restart has no reason to go back to a host.
                if engine.affinity.removeValue(forKey: r.path) != nil { files.remove(affinityFile(r.path)) }
                // Its last job was cut short after `package` renamed the file
                // into place (the step is atomic): the file is whole.
                if lockWatcher.wasInterrupted(r.path.pkgpath) {
                    result.records[k].builtNote = "package of an interrupted job, complete"
                }
            }
        }
        for b in result.broken {
            let log = logs.portLog(b.path)
            writing(now()) {
                try files.makeDirectory((log as NSString).deletingLastPathComponent)
                try files.append(b.raw.joined(separator: "\n") + "\n", to: log)
            }
        }
        for r in result.records where r.broken != nil {
            let log = logs.portLog(r.path)
            guard let why = r.broken else { continue }
            writing(now()) {
                try files.makeDirectory((log as NSString).deletingLastPathComponent)
                try files.append("dump-vars: \(why)\n", to: log)
            }
        }
        // One write per batch: a reader never sees half a line.
        let depends = result.records.map { LogFormat.depends(path: $0.path, build: $0.buildDepends, run: $0.runDepends) }
        if !depends.isEmpty { writing(now()) { try files.append(depends.joined(), to: logs.dependsLog) } }
        engine.listed(result, requested: requested)
        fetchListed(result)
        for r in result.records {
            if let ignore = r.ignore { addHistory(.ignored, path: r.path.canonical, host: nil, duration: nil, detail: ignore) }
        }
    }

    /// A whole-tree run that has the last run's dependency counts lists the
    /// most depended-upon paths first, as dpb does: what most ports wait
    /// for can start building while the tree is still being listed. The
    /// whole tree's listing starts with it rather than after it: it has
    /// what those paths need (no batch is started for their dependencies
    /// while it runs), and waiting for the first listing to end delayed
    /// the first job of a 34,000-port restart by a third of a second.
    func startWholeTreeListing() {
        let top = DependencyCounts.mostDependedUpon(in: files.read(dependencyCountsFile) ?? "",
                                                    limit: DependencyCounts.quickListingSize)
        if !top.isEmpty { startListing(top) }
        startListing([])
    }

    /// Where the last whole-tree listing left its counts.
    var dependencyCountsFile: String {
        config.noBuildStats ? logs.dependenciesLog : config.statsPath + "-dependencies"
    }

    /// dependencies.log, also kept beside the build history
    /// (`%f/build-stats/%a-dependencies`), each replaced whole.
    func writeDependencies(_ t: Double) {
        let text = engine.dependencyCounts().map { LogFormat.dependencies(path: $0.path, count: $0.count) }.joined()
        writing(t) {
            try files.replace(logs.dependenciesLog, with: text)
            try files.makeDirectory((config.statsPath as NSString).deletingLastPathComponent)
            try files.replace(config.statsPath + "-dependencies", with: text)
        }
    }
}
