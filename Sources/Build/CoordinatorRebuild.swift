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

    /// Records what `paths` were just built from; the file is replaced at
    /// most every few seconds, and at the end.
    func recordSignatures(_ paths: [FullPkgPath], _ t: Double) {
        for p in paths { signatures.record(engine.signature(of: p), for: engine.canonical(p).canonical) }
        if t - lastSignatureSave >= 5 { saveSignatures(t) }
    }

    func saveSignatures(_ t: Double) {
        guard signatures.changed else { return }
        lastSignatureSave = t
        writing(t) {
            try files.makeDirectory((config.signaturesPath as NSString).deletingLastPathComponent)
            try signatures.write(to: config.signaturesPath, files: files)
        }
    }

    var rebuildSummary: String? {
        guard config.rebuild else { return nil }
        return "-R: \(rebuildCounts.rebuilt) rebuilt, \(rebuildCounts.kept) kept with an unknown signature (see \(logs.rebuildLog))"
    }
}
