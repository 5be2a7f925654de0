import Engine
import Foundation
import Logs

/// WAIT_TIMEOUT: a package repository on NFS may show a package file some
/// time after the job that wrote it ended. Such a job is H (its slot is
/// free, its lock stays) and the file is looked for at each pass until it
/// shows up or WAIT_TIMEOUT has passed.
struct PackageWait {
    let job: BuildJob
    let since: Double
    let deadline: Double
}

extension Coordinator {
    func waitForPackage(_ job: BuildJob, _ t: Double) {
        let file = config.packageFile(job.record.pkgname)
        writing(t) {
            try appendToLog(job, "bulkbuild: \(file) is not visible yet: waiting up to \(Int(config.waitTimeout)) s (WAIT_TIMEOUT)\n")
        }
        // Its slot is free for another job meanwhile.
        removeJob(job)
        packageWaits.append(PackageWait(job: job, since: t, deadline: t + config.waitTimeout))
        engine.waitingForPackage(job.path)
        flushEngine(t)
        reportSoon()
    }

    /// Looks again for the files of every H job: built when there, an
    /// error once WAIT_TIMEOUT has passed.
    func recheckPackageWaits(_ t: Double) {
        guard !packageWaits.isEmpty else { return }
        let waits = packageWaits
        packageWaits.removeAll()
        for w in waits {
            if files.exists(config.packageFile(w.job.record.pkgname)) {
                writing(t) {
                    try appendToLog(w.job, "bulkbuild: package file visible after \(String(format: "%.1f", t - w.since)) s\n")
                }
                jobBuilt(w.job, t)
            } else if t >= w.deadline {
                packageNeverShowed(w.job, "package file not visible after WAIT_TIMEOUT=\(Int(config.waitTimeout)) s")
            } else if stopping {
                // A stopping run does not wait out WAIT_TIMEOUT: the port
                // is redone (or found built) by the next run.
                jobNotFinished(w.job, "the run stopped while its package file was not visible yet")
            } else {
                packageWaits.append(w)
            }
        }
    }

    func packageNeverShowed(_ job: BuildJob, _ status: String) {
        let t = now()
        writing(t) {
            try appendToLog(job, "bulkbuild: package succeeded but \(config.packageFile(job.record.pkgname)) is missing\n")
        }
        jobFailed(job, status: status)
    }
}
