/// `bulkbuild monitor [-L logdir]`: draws a running build's screen from
/// its status.json.
func runMonitorCommand(_ args: [String]) -> Int32 {
    printError("bulkbuild monitor: not implemented yet")
    return 2
}
