import HostPool

/// `bulkbuild agent`: run on a build host by a RemoteRunner over one ssh
/// channel; it starts the tasks it is sent on stdin and streams their
/// output and ends back on stdout (protocol: Sources/HostPool/Agent.swift).
func runAgentCommand(_ args: [String]) -> Int32 {
    guard args.isEmpty else {
        printError("usage: bulkbuild agent (started over ssh by bulkbuild itself)")
        return 2
    }
    return runTaskAgent(input: 0, output: 1, version: "bulkbuild \(bulkbuildVersion)")
}

/// `bulkbuild supervise`: started by a build run with a pipe as stdin; when
/// the pipe closes (the run ended or died) it kills the run's local task
/// groups that are still alive (Sources/HostPool/Supervisor.swift).
func runSuperviseCommand(_ args: [String]) -> Int32 {
    guard args.isEmpty else {
        printError("usage: bulkbuild supervise (started by bulkbuild itself)")
        return 2
    }
    return runSupervisor(input: 0)
}
