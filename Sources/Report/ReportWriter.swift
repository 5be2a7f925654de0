import Foundation
import Logs

/// Writing a report file whole (temporary file, then rename), so a browser
/// reloading it while a run rewrites it never sees half a page.
extension RunReport {
    public func json() throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        // A NaN or infinity cannot be in JSON; the report never makes one,
        // but a clock gone backwards should not make the file unwritable.
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try enc.encode(self), as: UTF8.self) + "\n"
    }

    /// The page with links to the per-port logs that work from where it is
    /// written: relative inside the log directory, absolute elsewhere.
    public func html(writtenTo path: String) -> String {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.resolvingSymlinksInPath().path
        let logs = URL(fileURLWithPath: logDir).standardizedFileURL.resolvingSymlinksInPath().path
        let base = dir == logs ? "" : URL(fileURLWithPath: logs, isDirectory: true).absoluteString
        return ReportHTML.render(self, logBase: base)
    }

    /// HTML, or JSON when the name ends in `.json`.
    public func write(to path: String) throws {
        try FileIO.replace(path, with: path.hasSuffix(".json") ? try json() : html(writtenTo: path))
    }
}
