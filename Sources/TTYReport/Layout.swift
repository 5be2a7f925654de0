import Engine

/// Turns a snapshot into the rows of the screen. Pure: same input, same
/// rows, so tests can check it without a terminal.
///
/// Order from the top: header (date, pid, STOPPED, elapsed), progress bar
/// with ETA, one row per running job in start order, fetch jobs, `Hosts:`,
/// the counters, the `L=` / `E=` / `H=` rows (left out when empty), then the
/// latest results as far as the height allows. When rows run short the
/// results go first, then jobs collapse into a `... N more` row, then the
/// least useful fixed rows.
public enum ScreenLayout {
    /// An event worth a row for a while (host down, an error, a message).
    public struct RecentEvent: Sendable, Equatable {
        public var time: Double
        public var text: String
        public var severe: Bool
        public init(time: Double, text: String, severe: Bool) {
            self.time = time; self.text = text; self.severe = severe
        }
    }

    /// `notice` goes at the end of the header; `recent` events get rows
    /// (newest first) between the counters and the history, and give way
    /// like the history does.
    public static func render(_ s: RunSnapshot, width: Int, height: Int, now: Double,
                              notice: String? = nil, recent: [RecentEvent] = []) -> [ScreenLine] {
        guard width > 0, height > 0 else { return [] }

        let header = headerLine(s, now: now, notice: notice)
        let progress = progressLine(s, width: width, now: now)
        var jobRows = s.jobs.enumerated()
            .sorted { ($0.element.started, $0.offset) < ($1.element.started, $1.offset) }
            .map { jobLine($0.element, now: now) }
        jobRows += s.fetchJobs.map(fetchLine)

        // Fixed rows with the priority at which they are given up (higher
        // goes later).
        var fixed: [(line: ScreenLine, keep: Int, top: Bool)] = [(header, 9, true), (progress, 3, true)]
        if let hosts = hostsLine(s) { fixed.append((hosts, 4, false)) }
        fixed.append((ScreenLine([Segment(ReportFormat.counts(s.counts), .bold)]), 8, false))
        if !s.lockedPaths.isEmpty {
            fixed.append((listLine("L=", s.lockedPaths, width: width, style: .normal) { $0 }, 2, false))
        }
        if !s.failures.isEmpty {
            fixed.append((listLine("E=", s.failures, width: width, style: .red, errorItem), 5, false))
        }
        if !s.waitingPackagePaths.isEmpty {
            fixed.append((listLine("H=", s.waitingPackagePaths, width: width, style: .normal) { $0 }, 1, false))
        }

        // Give up fixed rows until at least one row is left for jobs (when
        // there are any), lowest priority first.
        let wantJobRows = jobRows.isEmpty ? 0 : 1
        while fixed.count + wantJobRows > height, fixed.count > 1 {
            let drop = fixed.indices.min { fixed[$0].keep < fixed[$1].keep }!
            fixed.remove(at: drop)
        }
        let room = max(0, height - fixed.count)
        if jobRows.count > room {
            let shown = max(0, room - 1)
            let more = jobRows.count - shown
            jobRows = Array(jobRows.prefix(shown))
            if room > 0 { jobRows.append(ScreenLine([Segment("... \(more) more", .dim)])) }
        }

        var rows = fixed.filter(\.top).map(\.line) + jobRows + fixed.filter { !$0.top }.map(\.line)
        for e in recent.reversed() where rows.count < height {
            rows.append(ScreenLine([Segment(ReportFormat.clock(e.time) + " ", .dim),
                                    Segment(DisplayText.sanitized(e.text), e.severe ? .red : .yellow)]))
        }
        let left = height - rows.count
        if left >= 2 && !s.history.isEmpty {
            rows.append(ScreenLine([Segment("Latest results:", .dim)]))
            for entry in s.history.reversed().prefix(left - 1) {
                rows.append(historyLine(entry))
            }
        }
        return rows.prefix(height).map { $0.truncated(to: width) }
    }

    static func headerLine(_ s: RunSnapshot, now: Double, notice: String?) -> ScreenLine {
        var segs = [Segment(ReportFormat.headerDate(now), .bold), Segment(" [\(s.pid)]")]
        if s.stopping { segs.append(Segment(" STOPPED", .red)) }
        if s.ended { segs.append(Segment(" run ended", .bold)) }
        if s.listing { segs.append(Segment(" listing", .yellow)) }
        segs.append(Segment(" elapsed \(ReportFormat.clockDuration(ReportFormat.elapsed(s, now: now)))"))
        if let notice, !notice.isEmpty { segs.append(Segment("  " + DisplayText.sanitized(notice), .yellow)) }
        return ScreenLine(segs)
    }

    static func progressLine(_ s: RunSnapshot, width: Int, now: Double) -> ScreenLine {
        let total = s.counts.total
        let done = min(s.done, max(total, 0))
        let barWidth = min(30, max(10, width / 4))
        let filled = total > 0 ? min(barWidth, done * barWidth / total) : 0
        let percent = total > 0 ? done * 100 / total : 0
        var segs = [Segment("["), Segment(String(repeating: "#", count: filled), .green),
                    Segment(String(repeating: ".", count: barWidth - filled)), Segment("]")]
        segs.append(Segment(" \(percent)% \(s.done)/\(total) done"))
        if s.counts.errors > 0 { segs.append(Segment(" \(s.counts.errors) failed", .red)) }
        segs.append(Segment(s.ended ? "  finished" : "  " + ReportFormat.eta(s, now: now)))
        return ScreenLine(segs)
    }

    static func jobLine(_ j: RunSnapshot.Job, now: Double) -> ScreenLine {
        var segs: [Segment] = []
        var name = ""
        if j.criticalPath == true { name += "^" }
        if j.swallowed > 0 { name += "\(j.swallowed)*" }
        if j.squiggle { name += "~" }
        name += DisplayText.sanitized(j.path)
        segs.append(Segment(name, .bold))
        if j.waitingForLock {
            segs.append(Segment("(waiting-for-lock)", .yellow))
        } else {
            segs.append(Segment("(" + DisplayText.sanitized(j.phase) + ")"))
        }
        if j.nojunk { segs.append(Segment("!")) }
        if j.memory == true { segs.append(Segment("+")) }
        if let n = j.makeJobs { segs.append(Segment(" -j\(n)")) }
        var rest = " [\(j.pid)]"
        if let host = j.host, !host.isEmpty, host != "localhost" {
            rest += " on " + DisplayText.sanitized(host)
        }
        if let expected = j.expectedLogSize, expected > 0 {
            rest += " \(j.logSize * 100 / expected)%"
        } else {
            rest += " " + ReportFormat.size(j.logSize)
        }
        if j.started > 0 { rest += " " + ReportFormat.duration(now - j.started) }
        segs.append(Segment(rest))
        if let frozen = j.frozenSeconds {
            segs.append(Segment(" frozen for " + ReportFormat.duration(frozen), .yellow))
        }
        return ScreenLine(segs)
    }

    static func fetchLine(_ f: RunSnapshot.FetchJob) -> ScreenLine {
        var text = "<" + DisplayText.sanitized(f.distfile) + "(#\(f.attempt)) [\(f.pid)]"
        if let p = f.percent { text += " \(p)%" }
        return ScreenLine([Segment(text)])
    }

    static func hostsLine(_ s: RunSnapshot) -> ScreenLine? {
        guard !s.hosts.isEmpty else { return nil }
        var segs = [Segment("Hosts:")]
        for h in s.hosts {
            let name = DisplayText.sanitized(h.name)
            switch h.state {
            case .up:
                segs.append(Segment(" \(name) \(h.running)/\(h.slots)"))
            case .starting:
                segs.append(Segment(" \(name)(starting)", .dim))
            case .stopped:
                segs.append(Segment(" \(name)(stopped) \(h.running)/\(h.slots)", .yellow))
            case .down, .failed:
                let why = h.reason.map { ": " + DisplayText.sanitized($0) } ?? ""
                segs.append(Segment(" !\(name)(\(h.state.rawValue)\(why))", .red))
            }
        }
        return ScreenLine(segs)
    }

    /// `E=lang/bar(b2) x11/baz!`: a failure with its host, and `!` when its
    /// lock is gone.
    static func errorItem(_ f: RunSnapshot.Failure) -> String {
        var t = f.path
        if let h = f.host, !h.isEmpty { t += "(" + h + ")" }
        if !f.locked { t += "!" }
        return t
    }

    /// `L=a b c`: as many items as fit in `width`, then ` +N` for the rest,
    /// without formatting items that cannot be seen.
    static func listLine<T>(_ label: String, _ items: [T], width: Int, style: TextStyle,
                            _ name: (T) -> String) -> ScreenLine {
        var text = label
        var used = DisplayText.width(of: label)
        var shown = 0
        for (i, item) in items.enumerated() {
            let word = (i == 0 ? "" : " ") + DisplayText.sanitized(name(item))
            let w = DisplayText.width(of: word)
            let rest = items.count - i - 1
            let tail = rest > 0 ? DisplayText.width(of: " +\(rest)") : 0
            if used + w + tail > width && i > 0 { break }
            text += word; used += w; shown += 1
        }
        var segs = [Segment(text, style)]
        if shown < items.count { segs.append(Segment(" +\(items.count - shown)", .dim)) }
        return ScreenLine(segs)
    }

    static func historyLine(_ e: RunSnapshot.HistoryEntry) -> ScreenLine {
        let path = DisplayText.sanitized(e.path)
        let host = e.host.flatMap { $0.isEmpty || $0 == "localhost" ? nil : " on " + DisplayText.sanitized($0) } ?? ""
        let took = e.duration.map { " " + ReportFormat.duration($0) } ?? ""
        let detail = e.detail.map(DisplayText.sanitized)
        let time = Segment(ReportFormat.clock(e.time) + " ", .dim)
        switch e.outcome {
        case .built:
            return ScreenLine([time, Segment("+ built   " + path + host + took, .green)])
        case .failed:
            return ScreenLine([time, Segment("! FAILED  " + path + host + took + (detail.map { " log " + $0 } ?? ""), .red)])
        case .ignored:
            return ScreenLine([time, Segment("- ignored " + path + (detail.map { ": " + $0 } ?? ""))])
        case .notFinished:
            return ScreenLine([time, Segment("? unfinished " + path + host + (detail.map { ": " + $0 } ?? ""), .yellow)])
        }
    }
}
