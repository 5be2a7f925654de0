import Engine
import Foundation
import Logs

/// -R: the signature of every package built is recorded; existing
/// packages are checked against what the tree says now (the engine
/// decides, see RebuildCheck) and rebuild.log says what was rebuilt and why.
extension Coordinator {
    func loadSignatures() {
        signatures = SignatureStore.read(config.signaturesPath, files: files)
        for p in signatures.problems { reporter.event(.message("signatures: \(p)"), at: now()) }
        // A failed compaction is said and the run goes on; only a file
        // left ending in a cut line takes no more lines (see below).
        do {
            _ = try signatures.compactIfDue(into: config.signaturesPath, files: files)
        } catch {
            reporter.event(.message("signatures: not compacted: \(error)"), at: now())
        }
        if signatures.tornTail { stopRecordingSignatures("it ends in a line cut short", at: now()) }
        guard config.rebuild else { return }
        engine.rebuildCheck = RebuildCheck(recorded: signatures.signatures, rebuildUnknown: config.update == .force)
        rebuildLog = try? AppendLog(path: logs.rebuildLog, files: files)
        if let rebuildLog { watchWrites(of: [rebuildLog]) }
    }

    /// Writes the engine's -R decisions to rebuild.log; a package to
    /// rebuild goes, so nothing installs the stale one meanwhile.
    func applyRebuildDecisions(_ t: Double) {
        let decisions = engine.takeRebuildDecisions()
        guard !decisions.isEmpty else { return }
        var text = ""
        for d in decisions {
            text += LogFormat.rebuild(path: d.path.canonical, pkgname: d.pkgname, rebuild: d.rebuild, reason: d.reason)
            if d.rebuild {
                rebuildCounts.rebuilt += 1
                files.remove(config.packageFile(d.pkgname))
            } else {
                rebuildCounts.kept += 1
            }
        }
        rebuildLog?.write(text)
    }

    /// Records what `paths` were just built from: their lines are
    /// appended at once, so a run that dies loses none of them.
    func recordSignatures(_ paths: [FullPkgPath], _ t: Double) {
        var lines = ""
        for p in paths {
            if let line = signatures.record(engine.signature(of: p), for: engine.canonical(p).canonical) { lines += line }
        }
        guard !lines.isEmpty, !signaturesTorn else { return }
        let wrote = writing(t) {
            try makingDirectory((config.signaturesPath as NSString).deletingLastPathComponent) {
                try files.append(lines, to: config.signaturesPath)
            }
        }
        if !wrote { stopRecordingSignatures("a write to it failed", at: t) }
    }

    /// After a write cut short, a line appended would make the cut one a
    /// whole (wrong) record: none is, for the rest of the run. Their
    /// packages have no record for the next -R (kept, "signature
    /// unknown"); the next run that reads the file drops the cut line.
    func stopRecordingSignatures(_ why: String, at t: Double) {
        guard !signaturesTorn else { return }
        signaturesTorn = true
        reporter.event(.message("signatures: \(config.signaturesPath): \(why); this run records no more signatures"), at: t)
    }

    var rebuildSummary: String? {
        guard config.rebuild else { return nil }
        return "-R: \(rebuildCounts.rebuilt) rebuilt, \(rebuildCounts.kept) kept with an unknown signature (see \(logs.rebuildLog))"
    }
}
