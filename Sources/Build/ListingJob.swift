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
    var parsedChunks: [DumpVarsOutput] = []
    var ended = false
    /// The last read stopped at its limit: there is more to read now.
    var more = false
    /// Bytes read per pass. The first read is small, so that the first
    /// jobs start while the rest of a big tree's listing is read; later
    /// reads are bounded so that each pass stays short.
    static let firstRead = 64 << 10
    static let laterRead = 1 << 20

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
    func readNew(final: Bool) -> DumpVarsOutput? {
        if let fh = FileHandle(forReadingAtPath: outputPath) {
            defer { try? fh.close() }
            try? fh.seek(toOffset: offset)
            let limit = offset == 0 ? ListingJob.firstRead : ListingJob.laterRead
            let data = final ? fh.readDataToEndOfFile() : ((try? fh.read(upToCount: limit)) ?? nil) ?? Data()
            more = !final && data.count == limit
            offset += UInt64(data.count)
            pending += String(decoding: data, as: UTF8.self)
        }
        var cut = pending.endIndex
        if !final {
            // Only whole blocks: up to the last block start seen.
            guard let r = pending.range(of: "\n===> ", options: .backwards) else { return nil }
            cut = pending.index(after: r.lowerBound)
            if pending[r.upperBound...].hasPrefix("Exiting ") {
                // An `Exiting` line closes the block before it; keep it with that block.
                guard let nl = pending[r.upperBound...].firstIndex(of: "\n") else { return nil }
                cut = pending.index(after: nl)
            }
        }
        let text = pending[..<cut]
        pending = String(pending[cut...])
        if text.isEmpty { return nil }
        let out = DumpVarsOutput.parse(text)
        // Kept for the final equivalence pass, which only batches need: the
        // whole tree's text would be held to the end for nothing.
        if !requested.isEmpty { parsedChunks.append(out) }
        return out
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
