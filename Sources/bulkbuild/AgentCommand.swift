/// `bulkbuild agent`: run on a build host over one ssh channel, it starts
/// the tasks it is sent and streams their output back. Being written.
func runAgentCommand(_ args: [String]) -> Int32 {
    printError("bulkbuild agent: not implemented yet")
    return 2
}
