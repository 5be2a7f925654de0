import Engine
import Foundation
import HostPool
import Logs

/// One `make dump-vars` run. Its output goes to a file under
/// LOGDIR/listing that is read as it grows, so a whole-tree listing feeds
/// the engine block by block and builds start before it ends.
final class ListingJob {
    let requested: [FullPkgPath]
    let outputPath: String
    var handle: TaskHandle?
    var offset: UInt64 = 0
    var pending = ""
    /// Leading bytes of `pending` already searched for a block start: a
    /// port whose block is megabytes long is searched once, not at every
    /// read (that was quadratic: 18 s for one 20 MB line).
    var searched = 0
    var parsedChunks: [DumpVarsOutput] = []
    var ended = false
    /// The last read stopped at its limit: there is more to read now.
    var more = false
    /// Bytes read per pass. The first read is small (16 KiB), so that the
    /// first jobs start while the rest of a big tree's listing is read (a
    /// first read of 64 KiB put the first job of a 34,000-port bulk at
    /// 0.25-0.41 s after launch, 16 KiB at 0.17-0.20 s); later
    /// reads are bounded so that each pass stays short, and so is what one
    /// read holds while it is parsed (a MiB of text took some 10 MB: the
    /// peak RSS of a 34,000-port listing was 100-113 MB with 1 MiB reads,
    /// 91-95 with 256 KiB).
    static let firstRead = 16 << 10
    static let laterRead = 256 << 10

    init(requested: [FullPkgPath], outputPath: String) {
        self.requested = requested
        self.outputPath = outputPath
    }

    /// The command line and environment of the listing.
    func spec(make: String, portsdir: String) -> TaskSpec {
        TaskSpec(argv: [make, "-C", portsdir, "-s", "dump-vars"],
                 environment: ["SUBDIR": requested.map { $0.canonical }.joined(separator: " "), "PHASE": ""],
                 logPath: outputPath)
    }

    /// New complete blocks since the last call (everything when `final`).
    func readNew(final: Bool, files: any FileStore) -> DumpVarsOutput? {
        more = false
        let limit = offset == 0 ? ListingJob.firstRead : ListingJob.laterRead
        if let data = files.read(outputPath, from: offset, limit: final ? nil : limit) {
            more = !final && data.count == limit
            offset += UInt64(data.count)
            pending += String(decoding: data, as: UTF8.self)
        }
        var cut = pending.endIndex
        if !final {
            // Only whole blocks: up to the last block start seen.
            guard let c = ListingJob.wholeBlocksEnd(&pending, searched: &searched) else { return nil }
            cut = c
        }
        let text = pending[..<cut]
        pending = String(pending[cut...])
        // What is left starts at the last block start: nothing after it was one.
        searched = max(0, pending.utf8.count - ListingJob.blockStart.count)
        if text.isEmpty { return nil }
        let out = DumpVarsOutput.parse(text)
        // Kept for the final equivalence pass, which only batches need: the
        // whole tree's text would be held to the end for nothing.
        if !requested.isEmpty { parsedChunks.append(out) }
        return out
    }

    static let blockStart = Array("\n===> ".utf8)

    /// Where the whole blocks of `text` end: after the newline of its last
    /// block start, or after an `Exiting` line there (it closes the block
    /// before it). Only bytes from `searched` on are looked at; nil when
    /// there is no block start there or its `Exiting` line is not whole
    /// yet, and `searched` then says where to look from next time.
    static func wholeBlocksEnd(_ text: inout String, searched: inout Int) -> String.Index? {
        let from = searched
        var next = from
        let end: Int? = text.withUTF8 { bytes -> Int? in
            let m = blockStart
            let exiting = Array("Exiting ".utf8)
            func matches(_ word: [UInt8], at i: Int) -> Bool {
                i + word.count <= bytes.count && (0..<word.count).allSatisfy { bytes[i + $0] == word[$0] }
            }
            // A block start may be cut by the end of the read: its first
            // bytes are looked at again.
            next = max(from, bytes.count - m.count + 1)
            var at = bytes.count - m.count
            while at >= from {
                if bytes[at] == m[0] && matches(m, at: at) {
                    let rest = at + m.count
                    guard matches(exiting, at: rest) || rest + exiting.count > bytes.count else { return at + 1 }
                    guard let nl = bytes[rest...].firstIndex(of: m[0]), matches(exiting, at: rest) else {
                        next = at
                        return nil
                    }
                    return nl + 1
                }
                at -= 1
            }
            return nil
        }
        searched = next
        return end.map { text.utf8.index(text.utf8.startIndex, offsetBy: $0) }
    }

    /// Everything parsed, merged, for the final equivalence pass.
    func merged() -> DumpVarsOutput {
        var all = DumpVarsOutput()
        for c in parsedChunks {
            all.blocks += c.blocks
            all.nonexistent += c.nonexistent
        }
        return all
    }
}
