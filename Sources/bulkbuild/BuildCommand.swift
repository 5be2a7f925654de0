func runBuildCommand(_ args: [String]) -> Int32 {
    printError("bulkbuild: not implemented yet")
    return 2
}
