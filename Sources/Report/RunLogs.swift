import Foundation

/// Parsers for the log lines a run leaves behind (Logs/LogFormats.swift
/// writes them). Pure: text in, values out; a line that does not have the
/// expected shape is an error naming the file, the line and what was
/// expected. An unfinished last line (no newline yet: the run is writing)
/// is left out.
public enum RunLogs {
    public struct Malformed: Error, CustomStringConvertible, Equatable {
        public var file: String
        public var line: Int
        public var expected: String
        public var description: String { "\(file):\(line): expected \(expected)" }
    }

    /// One engine.log state change.
    public struct EngineLine: Equatable, Sendable {
        public var pid: Int32
        public var time: Double
        public var letter: String
        public var subject: String
        public var extra: String
    }

    /// One build.log line: a job that built or failed.
    public struct BuildLine: Equatable, Sendable {
        public var path: String
        public var host: String
        /// The host's slots when the job ran.
        public var slots: Int
        public var cores: Int
        /// Wall seconds (build.log multiplies a parallel job's by its cores).
        public var seconds: Double
        public var logSize: Int64
        public var phases: [(String, Double)]
        public var failed: Bool
        public static func == (a: BuildLine, b: BuildLine) -> Bool {
            a.path == b.path && a.host == b.host && a.slots == b.slots && a.cores == b.cores && a.seconds == b.seconds
                && a.logSize == b.logSize && a.failed == b.failed
                && a.phases.map(\.0) == b.phases.map(\.0) && a.phases.map(\.1) == b.phases.map(\.1)
        }
    }

    /// One hosts.log line.
    public struct HostLine: Equatable, Sendable {
        public enum Event: Equatable, Sendable {
            case up(slots: Int)
            case cameUp
            case down(String)
        }
        public var pid: Int32
        public var time: Double
        public var host: String
        public var event: Event
    }

    /// What a per-port log says of its last job.
    public struct PortLogSection: Equatable, Sendable {
        public var host: String
        public var phaseStarts: [(String, Double)]
        public var errorStatus: String?
        public var tail: [String]
        public static func == (a: PortLogSection, b: PortLogSection) -> Bool {
            a.host == b.host && a.errorStatus == b.errorStatus && a.tail == b.tail
                && a.phaseStarts.map(\.0) == b.phaseStarts.map(\.0) && a.phaseStarts.map(\.1) == b.phaseStarts.map(\.1)
        }
    }

    /// A dependency line: what must be there before the port builds.
    public struct Depends: Equatable, Sendable {
        public var build: [String]
        public var run: [String]
    }

    static func wholeLines(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // The last element follows the last newline: empty, or unfinished.
        lines.removeLast()
        return lines
    }

    /// `PID@EPOCH` at the start of engine.log, hosts.log and performance.log lines.
    static func stamp(_ s: Substring) -> (Int32, Double)? {
        guard let at = s.firstIndex(of: "@"), let pid = Int32(s[..<at]),
              let t = Double(s[s.index(after: at)...]) else { return nil }
        return (pid, t)
    }

    public static func engineLog(_ text: String, file: String) throws(Malformed) -> [EngineLine] {
        var out: [EngineLine] = []
        for (n, line) in wholeLines(text).enumerated() where !line.isEmpty {
            let bad = Malformed(file: file, line: n + 1, expected: "'PID@EPOCH: L: SUBJECT EXTRA' or 'PID@EPOCH: +'")
            guard let colon = line.firstIndex(of: ":"), let (pid, t) = stamp(line[..<colon]) else { throw bad }
            let rest = line[line.index(after: colon)...].drop { $0 == " " }
            if rest == "+" { continue }
            guard let sep = rest.range(of: ": ") else { throw bad }
            let letter = String(rest[..<sep.lowerBound])
            let body = rest[sep.upperBound...]
            let space = body.firstIndex(of: " ") ?? body.endIndex
            let subject = String(body[..<space])
            guard !letter.isEmpty, !subject.isEmpty else { throw bad }
            let extra = space < body.endIndex ? String(body[body.index(after: space)...]) : ""
            out.append(EngineLine(pid: pid, time: t, letter: letter, subject: subject,
                                  extra: extra.hasSuffix(" ") ? String(extra.dropLast()) : extra))
        }
        return out
    }

    public static func buildLog(_ text: String, file: String) throws(Malformed) -> [BuildLine] {
        var out: [BuildLine] = []
        for (n, line) in wholeLines(text).enumerated() where !line.isEmpty {
            let bad = Malformed(file: file, line: n + 1,
                                expected: "'FULLPKGPATH HOST/JOBS TIME LOGSIZE max_stuck=S/PHASE=SECS...[!]'")
            let words = line.split(separator: " ")
            guard words.count == 5, let slash = words[1].lastIndex(of: "/"),
                  let time = Double(words[2]), let size = Int64(words[3]) else { throw bad }
            let host = String(words[1][..<slash])
            let jobs = words[1][words[1].index(after: slash)...]
            var cores = 1
            let star = jobs.firstIndex(of: "*") ?? jobs.endIndex
            guard let slots = Int(jobs[..<star]) else { throw bad }
            if star < jobs.endIndex {
                guard let c = Int(jobs[jobs.index(after: star)...]), c > 0 else { throw bad }
                cores = c
            }
            var detail = words[4]
            let failed = detail.hasSuffix("!")
            if failed { detail = detail.dropLast() }
            var phases: [(String, Double)] = []
            for part in detail.split(separator: "/") {
                guard let eq = part.firstIndex(of: "="), let secs = Double(part[part.index(after: eq)...]) else { throw bad }
                let name = String(part[..<eq])
                if name != "max_stuck" { phases.append((name, secs)) }
            }
            out.append(BuildLine(path: String(words[0]), host: host, slots: slots, cores: cores, seconds: time / Double(cores),
                                 logSize: size, phases: phases, failed: failed))
        }
        return out
    }

    public static func hostsLog(_ text: String, file: String) throws(Malformed) -> [HostLine] {
        var out: [HostLine] = []
        for (n, line) in wholeLines(text).enumerated() where !line.isEmpty {
            let bad = Malformed(file: file, line: n + 1, expected: "'PID@EPOCH: HOST up|came up|went down|init failed|init lost|refused...'")
            guard let sep = line.range(of: ": "), let (pid, t) = stamp(line[..<sep.lowerBound]) else { throw bad }
            let body = line[sep.upperBound...]
            guard let space = body.firstIndex(of: " ") else { throw bad }
            let host = String(body[..<space])
            let what = body[body.index(after: space)...]
            let event: HostLine.Event
            if what.hasPrefix("up: ") {
                // `up: user U, N cpus, S jobs, tasks by M`
                let fields = what.split(separator: ",").map { $0.split(separator: " ") }
                guard let jobs = fields.first(where: { $0.count == 2 && $0[1] == "jobs" }), let s = Int(jobs[0]) else { throw bad }
                event = .up(slots: s)
            } else if what == "came up" {
                event = .cameUp
            } else if let r = ["went down: ", "init failed: ", "init lost: ", "refused: "].first(where: { what.hasPrefix($0) }) {
                event = .down(r.hasPrefix("went") ? String(what.dropFirst(r.count)) : String(what))
            } else {
                throw bad
            }
            out.append(HostLine(pid: pid, time: t, host: host, event: event))
        }
        return out
    }

    /// The last job's part of a per-port log (the file grows over runs).
    public static func portLog(_ text: String, tailLines: Int = 20) -> PortLogSection? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.lastIndex(where: { $0.hasPrefix(">>> Building on ") }) else { return nil }
        let head = lines[first].dropFirst(">>> Building on ".count)
        var section = PortLogSection(host: String(head.split(separator: " ").first ?? ""), phaseStarts: [],
                                     errorStatus: nil, tail: [])
        var errorLine = lines.endIndex
        for k in lines.index(after: first)..<lines.endIndex {
            let line = lines[k]
            if line.hasPrefix(">>> Running ") {
                // `>>> Running PHASE in PATH at EPOCH`
                let w = line.split(separator: " ")
                if w.count >= 7, w[w.count - 2] == "at", let t = Double(w[w.count - 1]) {
                    section.phaseStarts.append((String(w[2]), t))
                }
            } else if line.hasPrefix("Error: job failed with "), errorLine == lines.endIndex {
                // `Error: job failed with STATUS on HOST at EPOCH`
                var status = line.dropFirst("Error: job failed with ".count)
                if let on = status.range(of: " on ", options: .backwards) { status = status[..<on.lowerBound] }
                section.errorStatus = String(status)
                errorLine = k
            }
        }
        var end = errorLine
        while end > first + 1 && lines[end - 1].isEmpty { end -= 1 }
        section.tail = lines[max(first + 1, end - tailLines)..<end].map(String.init)
        return section
    }

    public static func dependsLog(_ text: String, file: String) throws(Malformed) -> [String: Depends] {
        var out: [String: Depends] = [:]
        for (n, line) in wholeLines(text).enumerated() where !line.isEmpty {
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 3, words[1] == "build", let r = words.firstIndex(of: "run") else {
                throw Malformed(file: file, line: n + 1, expected: "'FULLPKGPATH build DEP... run DEP...'")
            }
            out[words[0]] = Depends(build: Array(words[2..<r]), run: Array(words[(r + 1)...]))
        }
        return out
    }

    /// The judged estimate: `PID@T: ETA estimate made at As into the run:
    /// Bs left; it took Cs (error +Ds, +E%)`; the last one wins.
    public static func estimate(_ performanceLog: String) -> RunReport.Estimate? {
        var found: RunReport.Estimate?
        for line in wholeLines(performanceLog) where line.contains(": ETA estimate made at ") {
            let numbers = line.split(separator: "ETA ").last.map { text -> [Double] in
                text.split(whereSeparator: { !("0123456789.+-".contains($0)) }).compactMap { Double($0) }
            } ?? []
            if numbers.count >= 4 {
                found = RunReport.Estimate(madeAt: numbers[0], predicted: numbers[1], actual: numbers[2],
                                           error: numbers[3], percent: numbers.count >= 5 ? numbers[4] : nil)
            }
        }
        return found
    }
}
