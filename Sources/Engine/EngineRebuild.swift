/// -R: a package that exists is kept only if it was built from what the
/// tree says now. Its signature is its FULLPKGNAME and the package names
/// of everything its build installed (build and library dependencies and
/// their run dependencies), or the tree's BULKBUILD_SIGNATURE. It is
/// rebuilt when the signature recorded at its build differs, or when one
/// of those dependencies was built by this run (it was built and linked
/// against the old one): that carries rebuilds down the graph.
public struct RebuildCheck: Sendable, Equatable {
    /// Signature recorded at each package's build, by canonical fullpkgpath.
    public var recorded: [String: String]
    /// -U: a package without a record is rebuilt rather than kept.
    public var rebuildUnknown: Bool
    public init(recorded: [String: String], rebuildUnknown: Bool) {
        self.recorded = recorded; self.rebuildUnknown = rebuildUnknown
    }
}

/// What -R decided for one existing package, for rebuild.log.
public struct RebuildDecision: Sendable, Equatable {
    public let path: FullPkgPath
    public let pkgname: String
    public let rebuild: Bool
    public let reason: String
}

extension BuildEngine {
    /// The signature of a listed path as the tree stands now (its
    /// dependencies must be listed).
    public func signature(of path: FullPkgPath) -> String {
        signature(id(for: path))
    }

    func signature(_ i: Int) -> String {
        guard let r = nodes[i].record else { return "" }
        if let own = r.treeSignature { return "\(r.pkgname) tree:\(own)" }
        let deps = neededNodes(i).compactMap { nodes[$0].record?.pkgname }.filter { !$0.isEmpty }.sorted()
        return ([r.pkgname] + deps).joined(separator: " ")
    }

    /// Decides for a path whose package exists; every decision worth
    /// telling goes to `takeRebuildDecisions`.
    func needsRebuild(_ i: Int) -> Bool {
        guard let check = rebuildCheck, let r = nodes[i].record else { return false }
        func decide(_ rebuild: Bool, _ why: String) -> Bool {
            rebuildDecisions.append(RebuildDecision(path: nodes[i].path, pkgname: r.pkgname, rebuild: rebuild, reason: why))
            return rebuild
        }
        let now = signature(i)
        let then = check.recorded[nodes[i].path.canonical]
        if let then, then != now {
            let old = Set(then.split(separator: " ")), new = Set(now.split(separator: " "))
            let gone = then.split(separator: " ").filter { !new.contains($0) }.map { "-" + $0 }
            let came = now.split(separator: " ").filter { !old.contains($0) }.map { "+" + $0 }
            return decide(true, "signature changed: " + (gone + came).joined(separator: " "))
        }
        let fresh = neededNodes(i).filter { nodes[$0].newPackage }.compactMap { nodes[$0].record?.pkgname }.sorted()
        if !fresh.isEmpty { return decide(true, "built against rebuilt \(fresh.joined(separator: " "))") }
        if then != nil { return false }
        return check.rebuildUnknown ? decide(true, "signature unknown (-U)") : decide(false, "signature unknown, kept")
    }

    /// -R's decisions since the last call.
    public func takeRebuildDecisions() -> [RebuildDecision] {
        defer { rebuildDecisions.removeAll() }
        return rebuildDecisions
    }
}
