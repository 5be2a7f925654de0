/// What the engine needs to know about one fullpkgpath, taken from its
/// dump-vars variables.
public struct PortRecord: Sendable, Equatable {
    public var path: FullPkgPath
    public var pkgname: String
    public var buildDepends: [Dependency]
    public var runDepends: [Dependency]
    public var properties: [String]
    /// IGNORE text: the port cannot be built here. Not an error.
    public var ignore: String?
    /// A fault in the port itself (bad dependency word, no FULLPKGNAME):
    /// it cannot be built and that is an error.
    public var broken: String?
    /// Distfile names under DISTDIR (DIST_SUBDIR included), as distinfo
    /// names them.
    public var distfiles: [String]
    /// Where the distfiles come from and how they are checked.
    public var fetch = FetchFacts()
    /// Set by the caller, who knows where packages live: the package file
    /// is already there, so the path counts as built.
    public var packageExists: Bool
    /// Said in engine.log with B when `packageExists` needs explaining.
    public var builtNote: String?
    /// BULKBUILD_SIGNATURE: what the tree says the package is built from,
    /// instead of the one -R works out (see `signature(of:)`).
    public var treeSignature: String?
    /// WRKDIR: the port's work directory, which -s measures (optional).
    public var workDirectory: String?

    public init(path: FullPkgPath, pkgname: String, buildDepends: [Dependency] = [],
                runDepends: [Dependency] = [], properties: [String] = [], ignore: String? = nil,
                broken: String? = nil, distfiles: [String] = [], packageExists: Bool = false) {
        self.path = path; self.pkgname = pkgname; self.buildDepends = buildDepends
        self.runDepends = runDepends; self.properties = properties; self.ignore = ignore
        self.broken = broken; self.distfiles = distfiles; self.packageExists = packageExists
    }

    public func has(property: String) -> Bool { properties.contains(property) }
    /// Names of `tag:NAME` properties.
    public var tags: [String] {
        properties.compactMap { $0.hasPrefix("tag:") ? String($0.dropFirst(4)) : nil }
    }
}

/// A listing batch turned into records and facts for the engine.
public struct ListingResult: Sendable {
    public var records: [PortRecord] = []
    /// `alias -> canonical listed path`, for equiv.log and the engine.
    public var equivalences: [(FullPkgPath, FullPkgPath)] = []
    /// Ports that answered `Exiting ... with an error`, with their raw text.
    public var broken: [(path: FullPkgPath, reason: String, raw: [String])] = []
    /// Paths the tree says do not exist.
    public var nonexistent: [FullPkgPath] = []
    /// Lines for vars.log.
    public var varsLogLines: [String] = []
    /// Ports printed under a name that is no valid fullpkgpath, each a
    /// sentence with the reason.
    public var unusablePaths: [String] = []
    public init() {}

    /// Interprets parsed dump-vars output per tree-protocol.md.
    public static func interpret(_ out: DumpVarsOutput, requested: [FullPkgPath]) -> ListingResult {
        var result = ListingResult()
        result.varsLogLines = out.otherLines
        result.unusablePaths = out.unusablePaths.map { "the tree printed a port that cannot be named: " + $0 }
        var listedKeys: [FullPkgPath] = []
        var keySet = Set<FullPkgPath>()
        var multiDefault: [FullPkgPath: String] = [:]   // unit -> first subpackage of MULTI_PACKAGES
        // A popular port is named by thousands of dependents: each word is
        // parsed once, and its dependents share one path (one copy of its
        // name in memory).
        var parsedWords: [String: Result<Dependency, DependencyError>] = [:]
        func dependency(_ word: String) -> Result<Dependency, DependencyError> {
            if let known = parsedWords[word] { return known }
            let parsed = Dependency.parse(word)
            parsedWords[word] = parsed
            return parsed
        }

        for block in out.blocks {
            if block.broken {
                let path = (try? FullPkgPath(block.header))
                    ?? block.order.first
                if let path {
                    result.broken.append((path, "exiting with an error", block.raw))
                }
                continue
            }
            // Build dependencies are shared by every subpackage of one
            // build unit (same pkgpath and flavors).
            var unitBuildDeps: [FullPkgPath: [Dependency]] = [:]
            var unitErrors: [FullPkgPath: [String]] = [:]
            for key in block.order {
                let vars = block.vars[key] ?? [:]
                let unit = key.withoutSubpackage
                for name in ["BUILD_DEPENDS", "LIB_DEPENDS"] {
                    for word in (vars[name] ?? "").words() {
                        switch dependency(word) {
                        case .success(let dep): unitBuildDeps[unit, default: []].append(dep)
                        case .failure(let err): unitErrors[unit, default: []].append(err.description)
                        }
                    }
                }
                if let multi = vars["MULTI_PACKAGES"]?.words().first, multiDefault[unit] == nil {
                    multiDefault[unit] = multi
                }
            }
            for key in block.order {
                let vars = block.vars[key] ?? [:]
                let unit = key.withoutSubpackage
                var problems = unitErrors[unit] ?? []
                var runDeps: [Dependency] = []
                for name in ["LIB_DEPENDS", "RUN_DEPENDS"] {
                    for word in (vars[name] ?? "").words() {
                        switch dependency(word) {
                        case .success(let dep): runDeps.append(dep)
                        case .failure(let err): problems.append(err.description)
                        }
                    }
                }
                var pkgname = vars["FULLPKGNAME"] ?? ""
                if pkgname.isEmpty {
                    problems.append("no FULLPKGNAME")
                } else if let why = ListedNames.packageNameProblem(pkgname) {
                    // Never used as a file name: the record keeps no name.
                    problems.append("FULLPKGNAME \(ListedNames.quoted(pkgname)) \(why)")
                    pkgname = ""
                }
                if !block.problems.isEmpty {
                    problems.append("malformed line \(ListedNames.quoted(block.problems[0]))")
                }
                if let conflict = block.conflicts[key] { problems.append(conflict) }
                let buildDeps = (unitBuildDeps[unit] ?? []).filter { $0.path.withoutSubpackage != unit }
                let ignore = vars["IGNORE"].flatMap { $0.isEmpty ? nil : $0 }
                // Bad distfile names or tags are dropped: the port is
                // broken and nothing may use them as a file name.
                var fetch = FetchFacts()
                var subdir: String?
                if let sub = vars["DIST_SUBDIR"], !sub.isEmpty {
                    if let why = ListedNames.distPathProblem(sub) {
                        problems.append("DIST_SUBDIR \(ListedNames.quoted(sub)) \(why)")
                    } else {
                        subdir = sub
                    }
                }
                for w in (vars["DISTFILES"] ?? "").words() where problems.allSatisfy({ !$0.hasPrefix("DIST") }) {
                    if let why = ListedNames.distPathProblem(w) {
                        problems.append("DISTFILES word \(ListedNames.quoted(w)) \(why)")
                        continue
                    }
                    switch Distfile.parse(w, subdir: subdir) {
                    case .success(let d): fetch.files.append(d)
                    case .failure(let why): problems.append("DISTFILES word \(ListedNames.quoted(w)): \(why.description)")
                    }
                }
                if problems.contains(where: { $0.hasPrefix("DIST") }) { fetch.files = [] }
                fetch.sites[""] = (vars["SITES"].flatMap { $0.isEmpty ? nil : $0 } ?? vars["MASTER_SITES"] ?? "").words()
                for n in 0...9 {
                    let words = (vars["SITES\(n)"].flatMap { $0.isEmpty ? nil : $0 } ?? vars["MASTER_SITES\(n)"] ?? "").words()
                    if !words.isEmpty { fetch.sites["\(n)"] = words }
                }
                fetch.checksumFile = vars["CHECKSUM_FILE"].flatMap { $0.isEmpty ? nil : $0 }
                // FETCH_MANUALLY and MISSING_FILES name files; a text that
                // names none of them (instructions) makes every file manual.
                let manualWords = Set((vars["FETCH_MANUALLY"] ?? "").words() + (vars["MISSING_FILES"] ?? "").words())
                let named = fetch.files.filter { manualWords.contains($0.key) || manualWords.contains($0.basename) }
                if let text = vars["FETCH_MANUALLY"], !text.isEmpty, named.isEmpty {
                    fetch.manualText = text
                    for i in fetch.files.indices { fetch.files[i].manual = true }
                } else {
                    for i in fetch.files.indices where named.contains(fetch.files[i]) { fetch.files[i].manual = true }
                }
                fetch.permitCdrom = vars["PERMIT_DISTFILES_CDROM"]
                fetch.permitFtp = vars["PERMIT_DISTFILES_FTP"]
                let distfiles = fetch.files.map(\.key)
                var properties = (vars["DPB_PROPERTIES"] ?? "").words()
                properties.removeAll { p in
                    guard p.hasPrefix("tag:"), let why = ListedNames.tagProblem(String(p.dropFirst(4))) else { return false }
                    problems.append("DPB_PROPERTIES \(ListedNames.quoted(p)): tag name \(why)")
                    return true
                }
                var record = PortRecord(
                    path: key, pkgname: pkgname,
                    buildDepends: dedupe(buildDeps), runDepends: dedupe(runDeps.filter { $0.path != key }),
                    properties: properties,
                    ignore: ignore,
                    broken: problems.isEmpty ? nil : problems.joined(separator: "; "),
                    distfiles: distfiles)
                record.fetch = fetch
                record.treeSignature = vars["BULKBUILD_SIGNATURE"].flatMap { $0.isEmpty ? nil : $0 }
                // Only an absolute path can be measured on any host; another
                // value is left out rather than measured from somewhere else.
                record.workDirectory = vars["WRKDIR"].flatMap { $0.hasPrefix("/") ? $0 : nil }
                result.records.append(record)
                if keySet.insert(key).inserted { listedKeys.append(key) }
            }
        }
        for text in out.nonexistent {
            if let p = try? FullPkgPath(text) { result.nonexistent.append(p) }
        }

        // Equivalences: a subpackage-less path means the default
        // subpackage; a requested path that was not printed means what
        // the tree printed for its directory.
        var firstOfUnit: [FullPkgPath: FullPkgPath] = [:]
        for key in listedKeys where key.subpackage != nil {
            let unit = key.withoutSubpackage
            if let preferred = multiDefault[unit], keySet.contains(FullPkgPath(
                pkgpath: key.pkgpath, flavors: key.flavors, subpackage: preferred,
                explicitNoFlavor: key.explicitNoFlavor)) {
                firstOfUnit[unit] = FullPkgPath(pkgpath: key.pkgpath, flavors: key.flavors,
                                                subpackage: preferred, explicitNoFlavor: key.explicitNoFlavor)
            } else if firstOfUnit[unit] == nil {
                firstOfUnit[unit] = key
            }
        }
        var seenAlias = Set<FullPkgPath>()
        func addEquivalence(_ a: FullPkgPath, _ b: FullPkgPath) {
            guard a != b, !keySet.contains(a), seenAlias.insert(a).inserted else { return }
            result.equivalences.append((a, b))
        }
        for key in listedKeys where key.subpackage != nil {
            if let first = firstOfUnit[key.withoutSubpackage] { addEquivalence(key.withoutSubpackage, first) }
        }
        let nonexistent = Set(result.nonexistent.map { $0.pkgpath })
        for want in requested where !keySet.contains(want) && !nonexistent.contains(want.pkgpath) {
            if let match = bestMatch(for: want, among: listedKeys, firstOfUnit: firstOfUnit) {
                addEquivalence(want, match)
            }
        }
        return result
    }

    static func bestMatch(for want: FullPkgPath, among keys: [FullPkgPath],
                          firstOfUnit: [FullPkgPath: FullPkgPath]) -> FullPkgPath? {
        let same = keys.filter { $0.pkgpath == want.pkgpath }
        guard !same.isEmpty else { return nil }
        let flavorMatch: [FullPkgPath]
        if want.flavors.isEmpty && !want.explicitNoFlavor {
            // The default flavor: whatever the tree printed first.
            let firstUnit = same[0].withoutSubpackage
            flavorMatch = same.filter { $0.withoutSubpackage == firstUnit }
        } else {
            flavorMatch = same.filter { $0.flavors == want.flavors }
        }
        guard let first = flavorMatch.first else { return nil }
        if let sub = want.subpackage {
            return flavorMatch.first { $0.subpackage == sub }
        }
        return firstOfUnit[first.withoutSubpackage] ?? first
    }

    static func dedupe(_ deps: [Dependency]) -> [Dependency] {
        var seen = Set<Dependency>()
        return deps.filter { seen.insert($0).inserted }
    }
}
