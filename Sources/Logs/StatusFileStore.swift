import Engine
import Foundation

// Kept apart from StatusFile.swift, which the TTYReport tests compile
// alone (without the rest of Logs).
extension StatusFile {
    /// Through a run's FileStore: the same whole-file replacement, synced.
    public static func write(_ s: RunSnapshot, to path: String, files: any FileStore) throws {
        let text: String
        do { text = String(decoding: try bytes(s), as: UTF8.self) } catch { throw Failure.unwritable(path, "\(error)") }
        do {
            try files.replace(path, with: text, sync: true)
        } catch let f as FileIO.Failure {
            throw Failure.unwritable(path, String(cString: strerror(f.code)))
        }
    }
}
