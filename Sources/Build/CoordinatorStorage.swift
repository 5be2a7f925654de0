import Foundation
import Logs

/// Writes to the log and lock directories that fail (a full, read-only or
/// failing disk). The first failure is one loud event: no new job starts,
/// the screen and the summary name the file and the reason, and the run
/// ends non-zero once what runs has ended. Locks and logs stay as they are
/// so that a run on a healthy disk resumes from them.
extension Coordinator {
    /// Runs `body`; a failure is reported through `storageFailed`. True when
    /// it went through.
    @discardableResult
    func writing(_ t: Double, _ body: () throws -> Void) -> Bool {
        do {
            try body()
            return true
        } catch {
            storageFailed("\(error)", t)
            return false
        }
    }

    /// Runs `write` (of a file in `directory`), making the directory when
    /// the write finds it missing: not looked for before every file.
    func makingDirectory(_ directory: String, _ write: () throws -> Void) throws {
        do {
            try write()
        } catch let f as FileIO.Failure where f.code == ENOENT {
            try files.makeDirectory(directory)
            try write()
        }
    }

    func storageFailed(_ what: String, _ t: Double) {
        guard storageFailure == nil else { return }
        storageFailure = what
        reporter.event(.message("storage failed: \(what); no new job starts, the run ends when the running ones have"), at: t)
    }

    /// Every append-only log reports its failed writes here.
    func watchWrites(of logs: [AppendLog]) {
        for log in logs {
            log.onFailure = { [weak self] failure in
                guard let self else { return }
                self.storageFailed(failure.description, self.now())
            }
        }
    }
}
