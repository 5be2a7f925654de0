/// The engine's side of fetch jobs: paths wait in T until the fetcher says
/// their distfiles are there, and fail with their dependents when a
/// distfile cannot be had. Distfile lines (`path:distfile`) go to the same
/// change list as the paths' own.
extension BuildEngine {
    /// Records listed since the last call whose distfiles must be fetched.
    public func takeDistfileRequests() -> [PortRecord] {
        defer { distfileRequests.removeAll() }
        return distfileRequests
    }

    /// Every distfile of `path` is present and verified.
    public func distfilesReady(_ path: FullPkgPath) {
        let i = id(for: path)
        guard nodes[i].awaitingDistfiles else { return }
        nodes[i].awaitingDistfiles = false
        becameReadyForBuild(i)
    }

    /// A distfile of `path` could not be fetched or verified: the path is
    /// broken (an error for the exit status), its dependents with it.
    public func distfilesFailed(_ path: FullPkgPath, reason: String) {
        let i = id(for: path)
        guard nodes[i].awaitingDistfiles else { return }
        nodes[i].awaitingDistfiles = false
        skip(i, .broken(reason))
    }

    /// A line about a distfile (F queued, B present, E failed).
    public func noteDistfile(_ subject: String, _ state: PortState, _ extra: String = "") {
        changes.append(StateChange(subject: subject, state: state, extra: extra))
    }
}
