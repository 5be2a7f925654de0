import Engine
import Foundation
import Logs

/// Reads a log directory (finished or still being written) into a
/// `RunReport`. Only reads: a running build is not disturbed.
extension RunReport {
    public enum LoadError: Error, CustomStringConvertible {
        case noRun(String)
        case malformed(RunLogs.Malformed)
        case status(String)
        public var description: String {
            switch self {
            case .noRun(let dir): return "\(dir): no engine.log: not the log directory of a run"
            case .malformed(let m): return m.description
            case .status(let why): return why
            }
        }
    }

    /// `statsFile`: the build-stats file, whose entries older than the run
    /// count as history.
    public static func load(logDir: String, statsFile: String? = nil, now: Double) throws(LoadError) -> RunReport {
        let logs = LogDirectory(root: logDir)
        guard let engineText = FileIO.read(logs.engineLog) else { throw .noRun(logDir) }
        var status: RunSnapshot?
        if FileIO.exists(logs.statusFile) {
            do { status = try StatusFile.read(logs.statusFile) } catch { throw .status("\(error)") }
        }
        do {
            let engine = try RunLogs.engineLog(engineText, file: logs.engineLog)
            let builds = try RunLogs.buildLog(FileIO.read(logs.buildLog) ?? "", file: logs.buildLog)
            let hosts = try RunLogs.hostsLog(FileIO.read(logs.hostsLog) ?? "", file: logs.hostsLog)
            let depends = try FileIO.read(logs.dependsLog).map { text throws(RunLogs.Malformed) in
                try RunLogs.dependsLog(text, file: logs.dependsLog)
            }
            var history: [String: [Double]] = [:]
            if let statsFile {
                let start = status?.startTime ?? engine.last?.time ?? now
                for (p, list) in BuildStats.read(statsFile).entries {
                    let before = list.filter { $0.timestamp < start }.map(\.time)
                    if !before.isEmpty { history[p] = before }
                }
            }
            let input = RunInputs(logDir: logDir, engine: engine, builds: builds, hosts: hosts, depends: depends,
                                  estimate: RunLogs.estimate(FileIO.read(logs.performanceLog) ?? ""), status: status,
                                  statsHistory: history,
                                  portLog: { p in FileIO.read(logDir + "/paths/" + p + ".log").flatMap { RunLogs.portLog($0) } },
                                  now: now)
            return RunReport(input)
        } catch let m {
            throw .malformed(m)
        }
    }
}
