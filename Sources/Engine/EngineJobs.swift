import HeapModule

/// Taking jobs from the queue and recording how they ended.
extension BuildEngine {
    /// The next path a slot should build, or nil. Paths whose bare pkgpath
    /// is already building are set aside (^). The caller must follow up
    /// with `started` or `lockHeld`.
    public func nextJob(accepting: (PortRecord) -> Bool = { _ in true }) -> PortRecord? {
        take(fromLightEnd: false, accepting: accepting)
    }

    /// Takes the best queued path that `accepting` allows, from the heavy
    /// end of the queue or (for squiggles) from the light end.
    /// How many queued paths one slot looks at before giving up, so a host
    /// that fits nothing does not walk the whole queue.
    public static let maxLook = 256

    func take(fromLightEnd: Bool, maxLook: Int = Int.max, accepting: (PortRecord) -> Bool) -> PortRecord? {
        if prioritiesDirty && !priorityPassesByCaller { recomputePriorities() }
        var refused: [QueueEntry] = []
        defer { for e in refused { queue.insert(e) } }
        while refused.count < maxLook, let top = fromLightEnd ? queue.popMin() : queue.popMax() {
            let i = top.id
            guard nodes[i].state == .queued, nodes[i].aliasOf == nil else { continue }
            guard let record = nodes[i].record else { continue }
            if nodes[i].wanted == false { refused.append(top); continue }
            let bare = nodes[i].path.pkgpath
            if busy[bare] != nil {
                busy[bare]!.append(i)
                setState(i, .setAside)
                log(i, .setAside)
                continue
            }
            if !accepting(record) { refused.append(top); continue }
            return record
        }
        return nil
    }

    /// Paths that are waiting in the queue (Q), for heuristics that want
    /// to look ahead without taking.
    public var queuedCount: Int { tally.counts.queued - tally.setAside }

    /// A job for `path` started on `host`.
    public func started(_ path: FullPkgPath, host: String) {
        let i = id(for: path)
        pendingWork -= left(i, elapsed: [:])
        setState(i, .running)
        busy[nodes[i].path.pkgpath, default: []] = busy[nodes[i].path.pkgpath] ?? []
        log(i, .running, host)
    }

    /// The path's package turned up before its job started (another
    /// process built it): B without J.
    public func foundBuilt(_ path: FullPkgPath, alsoBuilt: [FullPkgPath]) {
        built(path, alsoBuilt: alsoBuilt, byThisRun: false)
        release(nodes[id(for: path)].path.pkgpath)
    }

    /// Its job ended well but the package file is not visible yet (a
    /// repository on NFS): H until `finished` says built or failed. The
    /// pkgpath stays busy, as its lock is still held.
    public func waitingForPackage(_ path: FullPkgPath) {
        let i = id(for: path)
        setState(i, .waitingPackage)
        log(i, .waitingPackage)
    }

    /// Another process holds the path's lock: L until the lock goes away.
    public func lockHeld(_ path: FullPkgPath) {
        let i = id(for: path)
        setState(i, .locked)
        log(i, .locked)
    }

    public enum JobResult: Equatable, Sendable {
        /// Built; `alsoBuilt` are other paths of the same directory whose
        /// package files now exist.
        case built(alsoBuilt: [FullPkgPath])
        case failed
        /// The job did not finish (host lost): requeue.
        case notFinished
    }

    /// B: the path's package is there (and its siblings' the same job
    /// made), made by a job of this run or, `byThisRun` false, by another
    /// process since the listing.
    func built(_ path: FullPkgPath, alsoBuilt others: [FullPkgPath], byThisRun: Bool) {
        let i = id(for: path)
        for j in [i] + others.map({ id(for: $0) }) {
            tracked(j) {
                $0.newPackage = true
                if byThisRun { $0.builtThisRun = true }
            }
        }
        setState(i, .built)
        log(i, .built)
        for o in others {
            let j = id(for: o)
            switch nodes[j].state {
            case .toBuild, .queued, .setAside, .locked, .unlisted:
                setState(j, .built)
                log(j, .built)
                becameReadyToInstall(j)
            default: break
            }
        }
        becameReadyToInstall(i)
    }

    public func finished(_ path: FullPkgPath, _ result: JobResult) {
        let i = id(for: path)
        switch result {
        case .built(let others):
            built(path, alsoBuilt: others, byThisRun: true)
        case .failed:
            setState(i, .error)
            log(i, .error)
        case .notFinished:
            setState(i, .queued)
            pendingWork += left(i, elapsed: [:])
            log(i, .notFinished)
            enqueue(i)
        }
        release(nodes[i].path.pkgpath)
    }

    func release(_ bare: PkgPath) {
        guard let waiting = busy.removeValue(forKey: bare) else { return }
        for j in waiting where nodes[j].state == .setAside {
            setState(j, .queued)
            log(j, .requeued)
            enqueue(j)
        }
    }

    /// The lock of a path in L or E went away. An error is listed again
    /// (its port may have been fixed: hot-fix); a locked path is requeued,
    /// or counted built when its package now exists.
    /// `failed`: the lock was a failure's (an earlier run's, for a path in
    /// L): like this run's failure, its going away is a hot-fix, so the
    /// port is listed again rather than only requeued.
    public func lockGone(_ path: FullPkgPath, packageExists: Bool, failed: Bool = false) {
        let i = id(for: path)
        cycleCheckDue = true
        switch nodes[i].state {
        case .locked where packageExists:
            setState(i, .built)
            log(i, .built)
            becameReadyToInstall(i)
        case .locked where !failed:
            setState(i, .toBuild)
            becameReadyForBuild(i)
        case .error, .locked:
            setState(i, .unlisted)
            nodes[i].listingAttempts = 0
            log(i, .toBuild, "hot-fix")
            needListing.append(i)
        default: break
        }
    }
}
