import Engine
import Foundation
import Logs

/// DISTDIR/history, dpb's permanent log of distfiles the tree no longer
/// uses. After a whole-tree listing the run knows every distfile still in
/// use, by name and SHA256; every other file under DISTDIR gets a line
/// `EPOCH SHA256 (NAME) = BASE64`, once, so that a cleaner can remove it.
/// A used name whose file has another checksum (re-rolled upstream) counts
/// as old under that checksum; a by_cipher link is old when its checksum
/// is used by nothing (the name in it says which).
enum DistfileHistory {
    static let fileName = "history"

    /// Names under DISTDIR that are not distfiles: the logs, the cache's
    /// own index, half-fetched and rejected files.
    static func isBookkeeping(_ relative: String) -> Bool {
        let base = (relative as NSString).lastPathComponent
        return relative == fileName || relative == "distinfo" || relative.hasPrefix("build-stats/")
            || base.hasPrefix(".") || base.hasSuffix(".part") || base.contains(".bad-")
    }

    /// Lines to append: old files of `distdir` given the used ones (name ->
    /// hex SHA256, nil when any checksum will do: a port whose distinfo
    /// could not be read), leaving out those already in `existing`. Files
    /// in `verified` were checked against their checksum by this run: they
    /// are not read again.
    static func lines(distdir: String, used: [String: String?], verified: Set<String> = [], existing: String,
                      now: Double) throws -> String {
        let known = Set(existing.split(separator: "\n").compactMap { line -> String? in
            guard let sp = line.firstIndex(of: " ") else { return nil }
            return String(line[line.index(after: sp)...])
        })
        let usedHex = Set(used.values.compactMap { $0 })
        var out = ""
        guard let walker = FileManager.default.enumerator(atPath: distdir) else { return "" }
        var names: [String] = []
        while let rel = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: distdir + "/" + rel, isDirectory: &isDir), !isDir.boolValue,
                  !isBookkeeping(rel) else { continue }
            names.append(rel)
        }
        for rel in names.sorted() {
            let hex: String
            if rel.hasPrefix("by_cipher/") {
                // by_cipher/sha256/XX/HEX/NAME: the checksum is in the path.
                let parts = rel.split(separator: "/")
                guard parts.count >= 5 else { continue }
                hex = String(parts[parts.count - 2])
                if usedHex.contains(hex) { continue }
            } else {
                if verified.contains(rel) { continue }
                if let want = used[rel], want == nil { continue }
                hex = try FileDigest.sha256(of: distdir + "/" + rel).hex
                if used[rel] == .some(hex) { continue }
            }
            let entry = "SHA256 (\(rel)) = \(base64(hex: hex))"
            if known.contains(entry) { continue }
            out += "\(Int(now)) \(entry)\n"
        }
        return out
    }

    static func base64(hex: String) -> String {
        let digits = Array(hex.utf8)
        var bytes: [UInt8] = []
        var i = 0
        while i + 1 < digits.count {
            bytes.append(UInt8(String(decoding: digits[i...i + 1], as: UTF8.self), radix: 16) ?? 0)
            i += 2
        }
        return Data(bytes).base64EncodedString()
    }
}
