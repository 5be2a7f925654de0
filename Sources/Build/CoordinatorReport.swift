import Foundation
import Logs
import Report

extension Coordinator {
    /// -D REPORT=FILE: the run report, from the logs just closed. A report
    /// that cannot be written is told, and changes nothing about the run.
    func writeReport() {
        guard let path = config.reportPath else { return }
        do {
            let statsFile: String? = config.noBuildStats ? nil : config.statsPath
            try RunReport.load(logDir: config.logdir, statsFile: statsFile, now: now()).write(to: path)
            reporter.event(.message("report written to \(path)"), at: now())
        } catch {
            reporter.event(.message("cannot write the report \(path): \(error)"), at: now())
        }
    }
}
