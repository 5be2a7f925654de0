import CPosix
import Foundation
import Logs
import Report

private let reportUsage = "usage: bulkbuild report [-L logdir] [-o file] [--json] [--stats build-stats-file]"

/// `bulkbuild report [-L logdir] [-o FILE] [--json]`: one HTML page (or
/// JSON) about the run of a log directory, finished or still running. It
/// only reads the logs. The default output is LOGDIR/report.html
/// (report.json with --json); `-o -` writes to standard output.
func runReportCommand(_ args: [String]) -> Int32 {
    var logDir = "."
    var output: String?
    var json = false
    var stats: String?
    var i = 0
    func value(_ name: String) -> String? {
        guard i + 1 < args.count else { printError("bulkbuild report: \(name) needs a value"); printError(reportUsage); return nil }
        i += 1
        return args[i]
    }
    while i < args.count {
        let a = args[i]
        switch a {
        case "-L": guard let v = value(a) else { return 2 }; logDir = v
        case "-o": guard let v = value(a) else { return 2 }; output = v
        case "--stats": guard let v = value(a) else { return 2 }; stats = v
        case "--json": json = true
        case "-h", "--help": print(reportUsage); return 0
        default:
            if a.hasPrefix("-L") && a.count > 2 { logDir = String(a.dropFirst(2)) }
            else if a.hasPrefix("-o") && a.count > 2 { output = String(a.dropFirst(2)) }
            else {
                printError("bulkbuild report: unknown argument \(a)")
                printError(reportUsage)
                return 2
            }
        }
        i += 1
    }
    // A file named on purpose that is not there is a mistake, not "no history".
    if let stats, access(stats, R_OK) != 0 {
        printError("bulkbuild report: --stats \(stats): cannot read that build-stats file: \(String(cString: strerror(errno)))")
        return 2
    }
    // `-L ports/logs` for a run that logged to ports/logs/ARCH.
    if !FileIO.exists(logDir + "/engine.log"), let only = onlyRunBelow(logDir) { logDir = only }
    let report: RunReport
    do {
        report = try RunReport.load(logDir: logDir, statsFile: stats, now: cp_now())
    } catch {
        printError("bulkbuild report: \(error)")
        return 2
    }
    let path = output ?? logDir + (json ? "/report.json" : "/report.html")
    do {
        if path == "-" {
            print(json ? try report.json() : ReportHTML.render(report, logBase: logDir + "/"), terminator: "")
        } else if json {
            try FileIO.replace(path, with: try report.json())
        } else {
            try FileIO.replace(path, with: report.html(writtenTo: path))
        }
    } catch {
        // The error names the temporary file; say which file was meant.
        printError("bulkbuild report: cannot write \(path): \(error)")
        return 1
    }
    if path != "-" { print("bulkbuild report: wrote \(path)") }
    return 0
}

/// The one subdirectory of `dir` that holds an engine.log, if exactly one does.
private func onlyRunBelow(_ dir: String) -> String? {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    let runs = names.filter { FileIO.exists(dir + "/" + $0 + "/engine.log") }
    return runs.count == 1 ? dir + "/" + runs[0] : nil
}
