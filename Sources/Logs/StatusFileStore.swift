import Engine
import Foundation

// Kept apart from StatusFile.swift, which the TTYReport tests compile
// alone (without the rest of Logs).
extension StatusFile {
    /// Through a run's FileStore: the same whole-file replacement, synced.
    public static func write(_ s: RunSnapshot, to path: String, files: any FileStore) throws {
        let data: Data
        do { data = try encode(s) } catch { throw Failure.unwritable(path, "\(error)") }
        do {
            try files.replace(path, with: String(decoding: data, as: UTF8.self), sync: true)
        } catch let f as FileIO.Failure {
            throw Failure.unwritable(path, String(cString: strerror(f.code)))
        }
    }
}
