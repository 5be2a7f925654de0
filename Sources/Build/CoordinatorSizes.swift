import CPosix
import Engine
import Foundation
import HostPool
import Logs

/// -s: a built port's work directory is measured on its host (`du -sk`,
/// one task) right before its last `clean`, and the size goes to size.log
/// and the rolling size file that -M reads in later runs.
extension Coordinator {
    /// Whether the job is at the point to be measured: its build phases
    /// all passed and only the final clean (if any) is left.
    func dueForMeasuring(_ job: BuildJob) -> Bool {
        guard config.measureSizes, !job.measured, job.phaseIndex > 0 else { return false }
        let left = job.phases.count - job.phaseIndex
        return left == 0 || (left == 1 && job.current == .clean)
    }

    /// The directory measured: the job's own WRKOBJDIR in memory, else the
    /// WRKDIR the tree listed (nil: the tree did not say).
    func measuredDirectory(_ job: BuildJob) -> String? {
        job.memoryDirectory ?? job.record.workDirectory
    }

    /// Runs the measuring task; the job goes on with its next phase when it
    /// ends, whatever it found.
    func measureWorkDirectory(_ job: BuildJob) {
        job.measured = true
        let t = now()
        guard let dir = measuredDirectory(job) else {
            writing(t) {
                try appendToLog(job, "bulkbuild: -s: size not measured: the tree lists no WRKDIR for \(job.path.canonical)\n")
            }
            startPhase(job)
            return
        }
        let out = "\(logs.listingDirectory)/size.\(pid).\(job.lockName).out"
        files.remove(out)
        let spec = TaskSpec(argv: ["du", "-sk", "--", dir], environment: [:], logPath: out)
        job.measuring = true
        job.handle = job.host.runner.start(spec) { [weak self] end in self?.measured(job, dir: dir, output: out, end) }
    }

    func measured(_ job: BuildJob, dir: String, output: String, _ end: TaskEnd) {
        let t = now()
        job.handle = nil
        job.measuring = false
        let text = files.read(output) ?? ""
        files.remove(output)
        if job.stopping || shutdownSignal != nil {
            releaseHostLock(job)
            removeJob(job)
            return
        }
        if case .lost(let why) = end { jobNotFinished(job, why); return }
        if end.succeeded, let kb = Self.duKilobytes(text) {
            recordSize(SizeLog.Entry(path: job.path.canonical, pkgname: job.record.pkgname, kilobytes: kb,
                                     timestamp: Int64(t)), t)
        } else {
            let why = text.split(separator: "\n").last.map(String.init) ?? end.text
            writing(t) { try appendToLog(job, "bulkbuild: -s: could not measure \(dir): \(why)\n") }
        }
        startPhase(job)
    }

    /// The kilobytes of `du -sk DIR` output (`KB<tab>DIR`).
    static func duKilobytes(_ text: String) -> Int64? {
        guard let first = text.split(separator: "\n").last?.split(whereSeparator: { $0 == "\t" || $0 == " " }).first
        else { return nil }
        return Int64(first)
    }

    /// size.log and the rolling file each get the line appended whole (its
    /// directory was made at the start); the rolling file is compacted at
    /// the start of the next run.
    func recordSize(_ e: SizeLog.Entry, _ t: Double) {
        sizes.add(e)
        writing(t) {
            try files.append(e.line, to: logs.sizeLog)
            guard !config.sizesPath.isEmpty else { return }
            try files.append(e.line, to: config.sizesPath)
        }
    }

    /// At the start: the rolling file's directory is made, once for the
    /// run (so a -S path that cannot be written stops the run before any
    /// build), and a file with more than one line for some path is
    /// rewritten with the latest of each (write + rename).
    func prepareSizes() {
        guard config.measureSizes, !config.sizesPath.isEmpty else { return }
        writing(now()) { try files.makeDirectory((config.sizesPath as NSString).deletingLastPathComponent) }
        guard storageFailure == nil, sizes.linesRead > sizes.latest.count else { return }
        writing(now()) { try sizes.write(to: config.sizesPath) }
    }
}
