import Engine

/// status.json written by hand: the bytes Foundation's JSONEncoder makes
/// of a `RunSnapshot` with `.sortedKeys` (keys in that order, nil fields
/// left out, `/` written `\/`, integral doubles without `.0`), at a
/// fraction of its cost. A run writes the file every second, so the
/// encoder was a fifth of the coordinator's own time. A test compares
/// both on varied snapshots; a new field of `RunSnapshot` must be added
/// here in its sorted place.
struct StatusJSON {
    /// A number JSON cannot hold (NaN, infinity): JSONEncoder refuses
    /// these too, so the file is not written.
    struct InvalidNumber: Error, CustomStringConvertible {
        var field: String
        var value: Double
        var description: String { "\(field): \(value) is not a number JSON can hold" }
    }

    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// The history's JSON as last written, whole and entry by entry: the
    /// 50 entries are the longest part of the file, which is written every
    /// second, and from one write to the next a few results are added at
    /// the end and as many dropped at the start.
    struct HistoryCache {
        var entries: [RunSnapshot.HistoryEntry] = []
        var parts: [[UInt8]] = []
        var json: [UInt8] = [UInt8(ascii: "["), UInt8(ascii: "]")]

        /// The JSON of `history`, each entry taken from the last write
        /// where it follows on from there.
        mutating func json(of history: [RunSnapshot.HistoryEntry]) throws -> [UInt8] {
            guard !HistoryCache.same(history, entries) else { return json }
            var reused = history.first.flatMap { first in entries.firstIndex { HistoryCache.same($0, first) } }
                ?? entries.count
            var newParts: [[UInt8]] = []
            newParts.reserveCapacity(history.count)
            var out = StatusJSON(capacity: json.count + 256)
            out.bytes.append(UInt8(ascii: "["))
            for (n, entry) in history.enumerated() {
                if reused < entries.count && HistoryCache.same(entries[reused], entry) {
                    newParts.append(parts[reused])
                    reused += 1
                } else {
                    var one = StatusJSON(capacity: 256)
                    try one.historyEntry(entry)
                    newParts.append(one.bytes)
                    reused = entries.count
                }
                if n > 0 { out.bytes.append(UInt8(ascii: ",")) }
                out.bytes.append(contentsOf: newParts[n])
            }
            out.bytes.append(UInt8(ascii: "]"))
            self = HistoryCache(entries: history, parts: newParts, json: out.bytes)
            return json
        }

        /// At once while the run's history array is still shared.
        static func same(_ a: [RunSnapshot.HistoryEntry], _ b: [RunSnapshot.HistoryEntry]) -> Bool {
            guard a.count == b.count else { return false }
            let shared = a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { a.baseAddress == $0.baseAddress } }
            return shared || zip(a, b).allSatisfy { same($0, $1) }
        }

        /// Written the same: as `==`, but 0 and -0 differ (`-0` in the file).
        static func same(_ a: RunSnapshot.HistoryEntry, _ b: RunSnapshot.HistoryEntry) -> Bool {
            a.time.bitPattern == b.time.bitPattern && a.duration?.bitPattern == b.duration?.bitPattern
                && a.path == b.path && a.outcome == b.outcome && a.host == b.host && a.detail == b.detail
        }
    }

    mutating func snapshot(_ s: RunSnapshot) throws {
        var cache = HistoryCache()
        try snapshot(s, history: &cache)
    }

    mutating func snapshot(_ s: RunSnapshot, history cache: inout HistoryCache) throws {
        open()
        key("counts", first: true); counts(s.counts)
        key("ended"); bool(s.ended)
        if let v = s.estimatedFinish { key("estimatedFinish"); try double(v, "estimatedFinish") }
        key("failures"); array(s.failures) { $0.failure($1) }
        key("fetchJobs"); array(s.fetchJobs) { $0.fetchJob($1) }
        if let v = s.fetchOnly { key("fetchOnly"); bool(v) }
        key("history"); bytes.append(contentsOf: try cache.json(of: s.history))
        key("hosts"); array(s.hosts) { $0.host($1) }
        key("jobs"); try array(s.jobs) { try $0.job($1) }
        key("listing"); bool(s.listing)
        key("lockedPaths"); array(s.lockedPaths) { $0.string($1) }
        key("pid"); int(Int64(s.pid))
        if let v = s.runHost { key("runHost"); string(v) }
        key("startTime"); try double(s.startTime, "startTime")
        key("stopping"); bool(s.stopping)
        key("time"); try double(s.time, "time")
        key("waitingPackagePaths"); array(s.waitingPackagePaths) { $0.string($1) }
        close()
    }

    private mutating func counts(_ c: RunSnapshot.Counts) {
        open()
        var first = true
        if let v = c.broken { key("broken", first: true); int(v); first = false }
        key("built", first: first); int(c.built)
        if let v = c.builtByThisRun { key("builtByThisRun"); int(v) }
        key("errors"); int(c.errors)
        key("fetch"); int(c.fetch)
        key("ignored"); int(c.ignored)
        key("installable"); int(c.installable)
        key("locked"); int(c.locked)
        key("queued"); int(c.queued)
        key("running"); int(c.running)
        key("toBuild"); int(c.toBuild)
        key("total"); int(c.total)
        key("waitingPackage"); int(c.waitingPackage)
        close()
    }

    private mutating func job(_ j: RunSnapshot.Job) throws {
        open()
        var first = true
        if let v = j.criticalPath { key("criticalPath", first: first); bool(v); first = false }
        if let v = j.expectedLogSize { key("expectedLogSize", first: first); int(v); first = false }
        if let v = j.frozenSeconds { key("frozenSeconds", first: first); try double(v, "jobs.frozenSeconds"); first = false }
        if let v = j.host { key("host", first: first); string(v); first = false }
        key("logSize", first: first); int(j.logSize)
        if let v = j.makeJobs { key("makeJobs"); int(v) }
        if let v = j.memory { key("memory"); bool(v) }
        key("nojunk"); bool(j.nojunk)
        key("path"); string(j.path)
        key("phase"); string(j.phase)
        key("pid"); int(Int64(j.pid))
        key("squiggle"); bool(j.squiggle)
        key("started"); try double(j.started, "jobs.started")
        key("swallowed"); int(j.swallowed)
        key("waitingForLock"); bool(j.waitingForLock)
        close()
    }

    private mutating func fetchJob(_ f: RunSnapshot.FetchJob) {
        open()
        key("attempt", first: true); int(f.attempt)
        key("distfile"); string(f.distfile)
        if let v = f.percent { key("percent"); int(v) }
        key("pid"); int(Int64(f.pid))
        close()
    }

    private mutating func host(_ h: RunSnapshot.Host) {
        open()
        key("name", first: true); string(h.name)
        if let v = h.reason { key("reason"); string(v) }
        key("running"); int(h.running)
        key("slots"); int(h.slots)
        key("state"); string(h.state.rawValue)
        close()
    }

    private mutating func failure(_ f: RunSnapshot.Failure) {
        open()
        var first = true
        if let v = f.host { key("host", first: true); string(v); first = false }
        key("locked", first: first); bool(f.locked)
        key("logPath"); string(f.logPath)
        key("path"); string(f.path)
        close()
    }

    private mutating func historyEntry(_ e: RunSnapshot.HistoryEntry) throws {
        open()
        var first = true
        if let v = e.detail { key("detail", first: true); string(v); first = false }
        if let v = e.duration { key("duration", first: first); try double(v, "history.duration"); first = false }
        if let v = e.host { key("host", first: first); string(v); first = false }
        key("outcome", first: first); string(e.outcome.rawValue)
        key("path"); string(e.path)
        key("time"); try double(e.time, "history.time")
        close()
    }

    // MARK: - JSON pieces

    private mutating func open() { bytes.append(UInt8(ascii: "{")) }
    private mutating func close() { bytes.append(UInt8(ascii: "}")) }

    /// `"name":`, after a comma unless it is the object's first key. Key
    /// names are plain ASCII words: nothing to escape.
    private mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func array<T>(_ items: [T], _ each: (inout StatusJSON, T) throws -> Void) rethrows {
        bytes.append(UInt8(ascii: "["))
        for (n, item) in items.enumerated() {
            if n > 0 { bytes.append(UInt8(ascii: ",")) }
            try each(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func bool(_ b: Bool) { raw(b ? "true" : "false") }

    private mutating func raw(_ text: StaticString) { text.withUTF8Buffer { bytes.append(contentsOf: $0) } }

    private mutating func int(_ n: Int) { int(Int64(n)) }

    /// As `description` writes it; a String this short is made without
    /// an allocation.
    private mutating func int(_ n: Int64) { bytes.append(contentsOf: n.description.utf8) }

    /// As JSONEncoder: the shortest text that reads back as the same
    /// double (`description`), without a trailing `.0`.
    private mutating func double(_ d: Double, _ field: String) throws {
        guard d.isFinite else { throw InvalidNumber(field: field, value: d) }
        var text = d.description
        text.withUTF8 { utf8 in
            let n = utf8.count
            let integral = n > 2 && utf8[n - 2] == UInt8(ascii: ".") && utf8[n - 1] == UInt8(ascii: "0")
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[..<(integral ? n - 2 : n)]))
        }
    }

    private static let hex: StaticString = "0123456789abcdef"

    /// Quoted and escaped as JSONEncoder does: `"` `\` `/` with a
    /// backslash, the usual short escapes, other control characters as
    /// `\u00xx` in lower case; everything else as its UTF-8 bytes, copied
    /// a run at a time.
    private mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var start = 0
            var i = -1
            // An index loop: an iterator costs a call per byte in a debug build.
            while i + 1 < utf8.count {
                i += 1
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == UInt8(ascii: "/") else {
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                start = i + 1
                switch b {
                case 0x08: escape(UInt8(ascii: "b"))
                case 0x0C: escape(UInt8(ascii: "f"))
                case 0x0A: escape(UInt8(ascii: "n"))
                case 0x0D: escape(UInt8(ascii: "r"))
                case 0x09: escape(UInt8(ascii: "t"))
                case 0..<0x20:
                    raw("\\u00")
                    StatusJSON.hex.withUTF8Buffer { hex in
                        bytes.append(hex[Int(b >> 4)])
                        bytes.append(hex[Int(b & 0xF)])
                    }
                default: escape(b)
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ letter: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(letter)
    }
}
