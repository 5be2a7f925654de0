// Small file and polling helpers for end-to-end tests.
import Foundation

/// The file's text, or nil when it cannot be read.
func readFile(_ path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return String(decoding: data, as: UTF8.self)
}

/// Writes text, replacing the file.
func writeFile(_ path: String, _ text: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

func fileExists(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: path)
}

/// Names in a directory, sorted; empty when it does not exist.
func listDirectory(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// Package file names (`NAME.tgz`) in a directory such as
/// `PACKAGE_REPOSITORY/ARCH/all`, sorted.
func listPackageFiles(_ dir: String) -> [String] {
    listDirectory(dir).filter { $0.hasSuffix(".tgz") }
}

/// A new empty directory under the temp dir (or `TMPDIR`).
func makeTempDir(prefix: String = "bulkbuild-e2e") throws -> String {
    let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard made != nil else {
        throw SpawnError(description: "mkdtemp in \(base) failed: \(String(cString: strerror(errno)))")
    }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// rm -rf.
func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Polls `condition` every `interval` seconds until it holds (true) or
/// `timeout` seconds pass (false). The condition is checked once more at
/// the deadline.
@discardableResult
func waitUntil(timeout: TimeInterval, interval: TimeInterval = 0.05,
               _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: interval)
    }
}
