// Finding the processes a run started, by what their environment carries.
import Foundation

/// Pids of live processes (zombies do not count) with an environment entry
/// that starts with `prefix`.
func processesWithEnvironment(prefix: String) -> [pid_t] {
    let needle = Array(prefix.utf8)
    return listDirectory("/proc").compactMap { pid_t($0) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
        let status = readFile("/proc/\(pid)/stat") ?? ""
        if let close = status.lastIndex(of: ")"), status.index(close, offsetBy: 2) < status.endIndex,
           status[status.index(close, offsetBy: 2)] == "Z" { return false }
        return data.split(separator: 0).contains { Array($0).starts(with: needle) }
    }
}

/// Processes started for tasks of the run `pid` (`BULKBUILD_TASK=L<pid>-...`,
/// set by its LocalRunner).
func processesMarked(byRun pid: pid_t) -> [pid_t] {
    processesWithEnvironment(prefix: "BULKBUILD_TASK=L\(pid)-")
}
