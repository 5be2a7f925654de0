import Engine

/// Turns the parsed logs of a log directory into a `RunReport`. Pure: the
/// per-port logs come through `portLog` and the time of the report is
/// passed in.
public struct RunInputs {
    public var logDir: String
    public var engine: [RunLogs.EngineLine]
    public var builds: [RunLogs.BuildLine]
    public var hosts: [RunLogs.HostLine]
    /// nil: no depends.log (a run of an older bulkbuild).
    public var depends: [String: RunLogs.Depends]?
    public var estimate: RunReport.Estimate?
    public var status: RunSnapshot?
    /// Earlier times per path from the build-stats file.
    public var statsHistory: [String: [Double]]
    public var portLog: (String) -> RunLogs.PortLogSection?
    public var now: Double

    public init(logDir: String, engine: [RunLogs.EngineLine], builds: [RunLogs.BuildLine] = [],
                hosts: [RunLogs.HostLine] = [], depends: [String: RunLogs.Depends]? = nil,
                estimate: RunReport.Estimate? = nil, status: RunSnapshot? = nil,
                statsHistory: [String: [Double]] = [:],
                portLog: @escaping (String) -> RunLogs.PortLogSection? = { _ in nil }, now: Double) {
        self.logDir = logDir; self.engine = engine; self.builds = builds; self.hosts = hosts
        self.depends = depends; self.estimate = estimate; self.status = status
        self.statsHistory = statsHistory; self.portLog = portLog; self.now = now
    }
}

extension RunReport {
    /// Slack when comparing a job's start with another's end: engine.log
    /// stamps a change when the engine flushes, a little after it happened.
    static let slack = 1.0
    static let slowestCount = 20

    public init(_ input: RunInputs) {
        // The last run in the directory: the lines after the last line of
        // another process.
        let lines: ArraySlice<RunLogs.EngineLine>
        let runPid = input.status?.pid ?? input.engine.last?.pid
        if let runPid, let other = input.engine.lastIndex(where: { $0.pid != runPid }) {
            lines = input.engine[(other + 1)...]
        } else {
            lines = input.engine[...]
        }
        let start = input.status.map { $0.startTime } ?? lines.first?.time ?? input.now
        var open: [String: (host: String, start: Double)] = [:]
        var jobs: [Job] = []
        var counts = Counts()
        var skipped: [String: Skipped] = [:]
        var jobFailures: [(time: Double, path: String, reason: String?)] = []
        var lastEvent = start
        var lastLetter: [String: String] = [:]
        for l in lines {
            lastEvent = max(lastEvent, l.time)
            let p = l.subject
            if !p.contains(":") { lastLetter[p] = l.letter }
            func close(_ outcome: Outcome) -> Bool {
                guard let o = open.removeValue(forKey: p) else { return false }
                jobs.append(Job(path: p, host: o.host, start: o.start, end: l.time, outcome: outcome, cores: 1,
                                lane: 0, phases: [], log: "paths/\(p).log", logSize: nil))
                return true
            }
            switch l.letter {
            case "J":
                open[p] = (l.extra, l.time)
                skipped[p] = nil
            case "B":
                if !close(.built) { counts.alreadyBuilt += 1 }
                skipped[p] = nil
            case "E":
                if !close(.failed) { jobFailures.append((l.time, p, l.extra.isEmpty ? nil : l.extra)) }
            case "N": _ = close(.notFinished)
            case "!":
                skipped[p] = Skipped(path: p, kind: l.extra.hasPrefix("because of") ? "blocked" : "ignored", reason: l.extra)
            case "L":
                skipped[p] = Skipped(path: p, kind: "locked", reason: l.extra.isEmpty ? "locked by another run or an earlier error" : l.extra)
            default: break
            }
        }
        let ended = input.status?.ended ?? open.isEmpty
        if ended {
            // Still waiting when the run ended: on a failure, a lock, a
            // cycle, or a stop.
            for (p, letter) in lastLetter where !["B", "I", "E", "!", "L", "J", "N", "P"].contains(letter) {
                skipped[p] = Skipped(path: p, kind: "notBuilt",
                                     reason: "still waiting at the end: a dependency failed or is locked, a cycle, or the run stopped")
            }
        }
        let end = ended ? max(lastEvent, input.status?.time ?? lastEvent) : max(input.now, lastEvent)
        for (p, o) in open.sorted(by: { $0.value.start < $1.value.start }) {
            jobs.append(Job(path: p, host: o.host, start: o.start, end: end, outcome: .running, cores: 1, lane: 0,
                            phases: [], log: "paths/\(p).log", logSize: nil))
        }
        jobs.sort { ($0.start, $0.path) < ($1.start, $1.path) }

        // build.log: each path's last line is this run's when its job built
        // or failed; the earlier ones are history.
        var lastBuild: [String: RunLogs.BuildLine] = [:]
        var earlier: [String: [Double]] = [:]
        for b in input.builds {
            lastBuild[b.path] = b
            if !b.failed { earlier[b.path, default: []].append(b.seconds) }
        }
        var matched = Set<String>()
        var slotsSeen: [String: Int] = [:]
        var failures: [Failure] = []
        for k in jobs.indices {
            var j = jobs[k]
            let line = (j.outcome == .built || j.outcome == .failed) ? lastBuild[j.path] : nil
            if let line, line.failed == (j.outcome == .failed) {
                j.cores = line.cores
                j.end = j.start + line.seconds
                j.logSize = line.logSize
                slotsSeen[j.host] = line.slots
                matched.insert(j.path)
            }
            let section = input.portLog(j.path).flatMap { s in
                (s.phaseStarts.first.map { $0.1 >= j.start - 2 } ?? false) ? s : nil
            }
            j.phases = Self.phases(of: j, line: line, section: section)
            if j.outcome == .failed {
                failures.append(Failure(path: j.path, host: j.host, phase: line?.phases.last?.0 ?? section?.phaseStarts.last?.0,
                                        status: section?.errorStatus, log: j.log, tail: section?.tail ?? []))
            }
            jobs[k] = j
        }
        var history = input.statsHistory
        for (p, var list) in earlier {
            if matched.contains(p), lastBuild[p]?.failed == false { list.removeLast() }
            history[p, default: []] += list
        }
        for f in jobFailures {
            let detail = input.status?.history.last { $0.path == f.path && $0.outcome == .failed }?.detail
            failures.append(Failure(path: f.path, host: nil, phase: nil, status: detail ?? f.reason, log: "paths/\(f.path).log", tail: []))
        }
        for j in jobs {
            counts.jobs += 1
            switch j.outcome {
            case .built: counts.built += 1
            case .failed: counts.failed += 1
            case .notFinished: counts.notFinished += 1
            case .running: counts.running += 1
            }
        }
        counts.failed += jobFailures.count
        let skippedList = skipped.values.sorted { ($0.kind, $0.path) < ($1.kind, $1.path) }
        for s in skippedList {
            switch s.kind {
            case "blocked": counts.blocked += 1
            case "locked": counts.locked += 1
            case "notBuilt": counts.notBuilt += 1
            default: counts.ignored += 1
            }
        }

        let hosts = Self.hosts(jobs: &jobs, lines: input.hosts.filter { $0.pid == runPid || runPid == nil },
                               status: input.status, slotsSeen: slotsSeen, start: start, end: end)
        let graph = DependencyGraph(jobs: jobs, depends: input.depends ?? [:])
        var notes: [String] = []
        if input.depends == nil {
            notes.append("no depends.log in the log directory: the critical path and the chain bound know no dependencies")
        }
        var capacity = 0.0
        for h in hosts { capacity += Double(h.slots) }
        let bounds = jobs.isEmpty ? nil : graph.bounds(jobs: jobs, capacity: capacity)

        var slowest: [Slow] = []
        for j in jobs where j.outcome == .built || j.outcome == .failed {
            let h = history[j.path] ?? []
            let mean = h.isEmpty ? nil : h.reduce(0, +) / Double(h.count)
            slowest.append(Slow(path: j.path, host: j.host, seconds: j.seconds, historyMean: mean, historyCount: h.count,
                                ratio: mean.flatMap { $0 > 0 ? j.seconds / $0 : nil }))
        }
        slowest.sort { ($0.seconds, $1.path) > ($1.seconds, $0.path) }

        let chain = graph.criticalPath(jobs: jobs)
        self.init(logDir: input.logDir, generated: input.now, pid: runPid, start: start, end: end, ended: ended,
                  wallSeconds: end - start, counts: counts, hosts: hosts, jobs: jobs,
                  criticalPath: chain.map(\.job), criticalLinks: chain.map(\.link), bounds: bounds, estimate: input.estimate,
                  failures: failures, skipped: skippedList, slowest: Array(slowest.prefix(Self.slowestCount)), notes: notes)
    }

    /// Phases with their starts: the port log's headers where they match,
    /// else laid end to end from the job's start.
    static func phases(of j: Job, line: RunLogs.BuildLine?, section: RunLogs.PortLogSection?) -> [Phase] {
        var out: [Phase] = []
        var t = j.start
        if let line {
            for (k, (name, secs)) in line.phases.enumerated() {
                if let s = section, k < s.phaseStarts.count, s.phaseStarts[k].0 == name { t = max(t, s.phaseStarts[k].1) }
                out.append(Phase(name: name, start: t, seconds: secs))
                t += secs
            }
        } else if let s = section {
            for (k, (name, at)) in s.phaseStarts.enumerated() {
                let next = k + 1 < s.phaseStarts.count ? s.phaseStarts[k + 1].1 : j.end
                out.append(Phase(name: name, start: max(at, j.start), seconds: max(0, next - max(at, j.start))))
            }
        }
        return out
    }

    /// Hosts with their slots, down periods and use; assigns every job
    /// its lanes, the first free ones when it starts.
    static func hosts(jobs: inout [Job], lines: [RunLogs.HostLine], status: RunSnapshot?,
                      slotsSeen: [String: Int], start: Double, end: Double) -> [Host] {
        var names: [String] = []
        var slots: [String: Int] = [:]
        var down: [String: [Period]] = [:]
        func note(_ h: String) { if slots[h] == nil && !names.contains(h) { names.append(h) } }
        for s in status?.hosts ?? [] { note(s.name); slots[s.name] = s.slots }
        for l in lines where l.time >= start - slack {
            note(l.host)
            switch l.event {
            case .up(let n):
                slots[l.host] = n
                if let last = down[l.host]?.last, last.end.isNaN { down[l.host]![down[l.host]!.count - 1].end = l.time }
            case .cameUp:
                if let last = down[l.host]?.last, last.end.isNaN { down[l.host]![down[l.host]!.count - 1].end = l.time }
            case .down(let why):
                if down[l.host]?.last?.end.isNaN != true { down[l.host, default: []].append(Period(start: l.time, end: .nan, reason: why)) }
            }
        }
        for j in jobs { note(j.host) }
        var out: [Host] = []
        for name in names {
            var periods = down[name] ?? []
            for k in periods.indices where periods[k].end.isNaN { periods[k].end = end }
            let n = max(1, slots[name] ?? slotsSeen[name] ?? 1)
            var laneEnds: [Double] = []
            var busy = 0.0
            var count = 0
            for k in jobs.indices where jobs[k].host == name {
                let c = max(1, jobs[k].cores)
                var lane = 0
                while true {
                    if lane + c > laneEnds.count { laneEnds += Array(repeating: -Double.infinity, count: lane + c - laneEnds.count) }
                    if let busyLane = (lane..<lane + c).last(where: { laneEnds[$0] > jobs[k].start + slack }) {
                        lane = busyLane + 1
                        continue
                    }
                    break
                }
                for l in lane..<lane + c { laneEnds[l] = jobs[k].end }
                jobs[k].lane = lane
                busy += jobs[k].seconds * Double(c)
                count += 1
            }
            let downSeconds = periods.reduce(0) { $0 + max(0, $1.end - $1.start) }
            let available = Double(n) * max(0, end - start - downSeconds)
            out.append(Host(name: name, slots: n, lanes: max(n, laneEnds.count), jobs: count, busySeconds: busy,
                            availableSeconds: available, utilisation: available > 0 ? min(1, busy / available) : 0,
                            down: periods))
        }
        return out
    }
}
