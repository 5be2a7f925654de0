import HeapModule

/// Building the graph from listings: wanted paths, aliases, records,
/// ignored and broken paths.
extension BuildEngine {
    /// Asks for paths to be built (the command line's path list).
    public func request(_ paths: [FullPkgPath]) {
        for p in paths { markWanted(id(for: p)) }
    }

    func markWanted(_ start: Int) {
        var stack = [resolve(start)]
        while let i = stack.popLast() {
            if nodes[i].wanted { continue }
            setWanted(i, true)
            if nodes[i].record == nil, case .unlisted = nodes[i].state, !nodes[i].listingInFlight {
                needListing.append(i)
            }
            stack.append(contentsOf: nodes[i].buildDeps)
            stack.append(contentsOf: nodes[i].runDeps)
            // Other subpackages of the same build come along with it.
            if let unit = unitSiblings[nodes[i].path.withoutSubpackage] {
                stack.append(contentsOf: unit)
            }
        }
    }

    /// Wanted paths that still have to be listed (at most `limit`), now
    /// counted as being listed.
    /// A path that a batch did not answer is tried again alone, so one port
    /// that makes the tree fail cannot take others down with it.
    public func takePathsToList(limit: Int) -> [FullPkgPath] {
        var out: [FullPkgPath] = []
        var keep: [Int] = []
        var alone = false
        for i in needListing {
            let j = resolve(i)
            guard nodes[j].record == nil || nodes[j].state == .unlisted, !nodes[j].listingInFlight,
                  nodes[j].aliasOf == nil else { continue }
            let retry = nodes[j].listingAttempts > 0 && nodes[j].record == nil
            if !alone && out.count < limit && (out.isEmpty || !retry) {
                nodes[j].listingInFlight = true
                nodes[j].listingAttempts += 1
                out.append(nodes[j].path)
                alone = retry
            } else {
                keep.append(j)
            }
        }
        needListing = keep
        return out
    }

    /// Takes records already in hand (benchmarks, tests) as the answer to
    /// asking for all of them: one listing batch, its changes dropped.
    public func listAll(_ records: [PortRecord]) {
        request(records.map(\.path))
        let asked = takePathsToList(limit: Int.max)
        var listing = ListingResult()
        listing.records = records
        listed(listing, requested: asked)
        _ = takeChanges()
    }

    /// Paths waiting to be listed (not counting those being listed now).
    public var listingBacklog: Int { needListing.count }

    /// Feeds one listing batch. `requested` is what that batch asked for;
    /// requested paths the tree did not answer are tried once more alone,
    /// then marked broken.
    public func listed(_ result: ListingResult, requested: [FullPkgPath]) {
        for (alias, target) in result.equivalences { makeAlias(alias, of: target) }
        var answered = Set<Int>()
        for record in result.records { apply(record); answered.insert(id(for: record.path)) }
        for (path, reason, _) in result.broken {
            let i = id(for: path)
            nodes[i].listingInFlight = false
            skip(i, .broken(reason))
        }
        for path in result.nonexistent {
            let i = id(for: path)
            nodes[i].listingInFlight = false
            skip(i, .broken("non existent"))
        }
        for path in requested {
            let i = id(for: path)
            nodes[i].listingInFlight = false
            guard !answered.contains(i), nodes[i].state == .unlisted else { continue }
            if nodes[i].listingAttempts >= 2 {
                skip(i, .broken("tried and didn't get it"))
            } else if nodes[i].wanted {
                needListing.append(i)
            }
        }
        prioritiesDirty = true
        cycleCheckDue = true
        remainingTrack.stale = true
    }

    func makeAlias(_ alias: FullPkgPath, of target: FullPkgPath) {
        let t = id(for: target)
        guard let a0 = index[alias] else { index[alias] = t; return }
        let a = resolve(a0)
        guard a != t, nodes[a].record == nil else { return }
        tracked(a) { $0.aliasOf = t }
        dependentListsKept = nil
        nodes[a].listingInFlight = false
        let wasWanted = nodes[a].wanted
        for d in nodes[a].buildDependents {
            redirect(d, from: a, to: t, deps: \.buildDeps, dependents: \.buildDependents,
                     missing: \.missingBuild, ready: becameReadyForBuild)
        }
        for d in nodes[a].runDependents {
            redirect(d, from: a, to: t, deps: \.runDeps, dependents: \.runDependents,
                     missing: \.missingRun, ready: becameReadyToInstall)
        }
        nodes[a].buildDependents = []
        nodes[a].runDependents = []
        if wasWanted { markWanted(t) }
        if case .skipped(let why) = nodes[t].state { propagateSkip(from: t, why) }
    }

    /// Moves one of `d`'s edges from the alias `a` to `t`. `a` counted as
    /// not installable; the edge to `t` counts only while `t` is not, and
    /// only once when `d` already had it.
    func redirect(_ d: Int, from a: Int, to t: Int, deps: WritableKeyPath<Node, [Int]>,
                  dependents: WritableKeyPath<Node, [Int]>, missing: WritableKeyPath<Node, Int>,
                  ready: (Int) -> Void) {
        nodes[d][keyPath: deps].removeAll { $0 == a }
        let had = nodes[d][keyPath: deps].contains(t)
        if !had {
            nodes[d][keyPath: deps].append(t)
            nodes[t][keyPath: dependents].append(d)
        }
        if had || isInstallable(t) {
            nodes[d][keyPath: missing] -= 1
            ready(d)
        }
    }

    func apply(_ record: PortRecord) {
        let i = id(for: record.path)
        nodes[i].listingInFlight = false
        if nodes[i].record != nil && nodes[i].state != .unlisted {
            // Listed again only because some batch printed it too: what we
            // know (and its progress) stands. A hot-fix relist comes in
            // while the path is unlisted.
            if wantsEverything { setWanted(i, true) }
            return
        }
        let relisting = nodes[i].record != nil
        if relisting { detachDependencies(i) }
        nodes[i].record = record
        if !relisting {
            let unit = record.path.withoutSubpackage
            unitSiblings[unit, default: []].append(i)
            if record.path.subpackage != nil && unitSiblings[unit]?.first != i {
                tracked(i) { $0.sharesBuild = true }
            }
        }
        if wantsEverything { setWanted(i, true) }
        // A sibling subpackage of something wanted is wanted too.
        if !nodes[i].wanted, let sibs = unitSiblings[record.path.withoutSubpackage],
           sibs.contains(where: { nodes[$0].wanted }) {
            setWanted(i, true)
        }
        var buildDeps: [Int] = []
        var runDeps: [Int] = []
        for dep in record.buildDepends {
            let d = id(for: dep.path)
            if d != i, !buildDeps.contains(d) { buildDeps.append(d) }
        }
        for dep in record.runDepends {
            let d = id(for: dep.path)
            if d != i, !runDeps.contains(d) { runDeps.append(d) }
        }
        nodes[i].buildDeps = buildDeps
        nodes[i].runDeps = runDeps
        nodes[i].missingBuild = 0
        nodes[i].missingRun = 0
        dependentListsKept = nil
        for d in buildDeps {
            nodes[d].buildDependents.append(i)
            if !isInstallable(d) { nodes[i].missingBuild += 1 }
        }
        for d in runDeps {
            nodes[d].runDependents.append(i)
            if !isInstallable(d) { nodes[i].missingRun += 1 }
        }
        if nodes[i].wanted {
            setWanted(i, false)
            markWanted(i)
        }
        if let broken = record.broken {
            skip(i, .broken(broken)); return
        }
        if let ignore = record.ignore {
            skip(i, .ignored(ignore)); return
        }
        if let maker = otherMaker(of: record, at: i) {
            skip(i, .broken("same FULLPKGNAME \(record.pkgname) as \(nodes[maker].path.canonical)")); return
        }
        if let blocker = (buildDeps + runDeps).first(where: { skipReason($0) != nil }),
           let why = skipReason(blocker) {
            skip(i, because(blocker, why)); return
        }
        if record.packageExists && rebuildCheck != nil {
            // Kept or rebuilt once its dependencies are settled.
            nodes[i].checkSignature = true
            setState(i, .toBuild)
            log(i, .toBuild, "signature check")
            becameReadyForBuild(i)
            return
        }
        if record.packageExists {
            setState(i, .built)
            log(i, .built, record.builtNote ?? "")
            becameReadyToInstall(i)
            return
        }
        setState(i, .toBuild)
        log(i, .toBuild)
        if holdsForDistfiles && !record.fetch.files.isEmpty {
            nodes[i].awaitingDistfiles = true
            distfileRequests.append(record)
        }
        becameReadyForBuild(i)
    }

    /// The listed port of another directory that already makes `record`'s
    /// package file, or nil (and `i` makes it from now on). Paths of one
    /// directory may share a name: they are one build, never run at once.
    func otherMaker(of record: PortRecord, at i: Int) -> Int? {
        let name = record.pkgname
        guard !name.isEmpty else { return nil }
        if let m = packageMakers[name].map(resolve), m != i, nodes[m].record?.pkgname == name, skipReason(m) == nil {
            return nodes[m].path.pkgpath == record.path.pkgpath ? nil : m
        }
        packageMakers[name] = i
        return nil
    }

    func detachDependencies(_ i: Int) {
        dependentListsKept = nil
        for d in nodes[i].buildDeps { nodes[d].buildDependents.removeAll { $0 == i } }
        for d in nodes[i].runDeps { nodes[d].runDependents.removeAll { $0 == i } }
        nodes[i].buildDeps = []
        nodes[i].runDeps = []
    }

    func isInstallable(_ i: Int) -> Bool { nodes[i].state == .installable }

    func skipReason(_ i: Int) -> Skip? {
        if case .skipped(let s) = nodes[i].state { return s }
        return nil
    }

    func because(_ blocker: Int, _ why: Skip) -> Skip {
        let text = "because of \(nodes[blocker].path.canonical)"
        switch why {
        case .ignored: return .ignored(text)
        case .broken: return .broken(text)
        }
    }

    func skip(_ i: Int, _ why: Skip) {
        if case .skipped = nodes[i].state { return }
        switch nodes[i].state {
        case .built, .installable, .running, .waitingPackage: return
        default: break
        }
        setState(i, .skipped(why))
        switch why {
        case .ignored(let t), .broken(let t): log(i, .ignored, BuildEngine.shorten(t))
        }
        propagateSkip(from: i, why)
    }

    func propagateSkip(from start: Int, _ why: Skip) {
        var work = [start]
        while let j = work.popLast() {
            guard let reason = skipReason(j) else { continue }
            for d in nodes[j].buildDependents + nodes[j].runDependents {
                guard nodes[d].record != nil else { continue }
                switch nodes[d].state {
                case .skipped, .built, .installable, .running, .waitingPackage, .error: continue
                default: break
                }
                setState(d, .skipped(because(j, reason)))
                log(d, .ignored, "because of \(nodes[j].path.canonical)")
                work.append(d)
            }
        }
    }

    /// dpb cuts long reasons at 58 characters; a reason naming other
    /// paths (`because of DEP`, a cycle, a shared package name) is kept
    /// whole so they can be found.
    static let namingOthers = ["because of ", "same FULLPKGNAME ", cycleReasonPrefix]
    static func shorten(_ text: String) -> String {
        if namingOthers.contains(where: text.hasPrefix) { return text }
        return text.count > 58 ? String(text.prefix(58)) + "..." : text
    }
}
