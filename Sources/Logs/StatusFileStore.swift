import Engine
import Foundation

// Kept apart from StatusFile.swift, which the TTYReport tests compile
// alone (without the rest of Logs).
extension StatusFile {
    /// Through a run's FileStore: the same whole-file replacement, synced.
    public static func write(_ s: RunSnapshot, to path: String, files: any FileStore) throws {
        try Writer().write(s, to: path, files: files)
    }

    /// A run's writer of status.json: the same file as `write`, with the
    /// history's JSON kept from one write to the next while it is the same.
    public final class Writer {
        private var history = StatusJSON.HistoryCache()

        public init() {}

        public func write(_ s: RunSnapshot, to path: String, files: any FileStore) throws {
            let text: String
            do {
                var json = StatusJSON(capacity: 16_384)
                try json.snapshot(s, history: &history)
                text = String(decoding: json.bytes, as: UTF8.self)
            } catch {
                throw Failure.unwritable(path, "\(error)")
            }
            do {
                try files.replace(path, with: text, sync: true)
            } catch let f as FileIO.Failure {
                throw Failure.unwritable(path, String(cString: strerror(f.code)))
            }
        }
    }
}
