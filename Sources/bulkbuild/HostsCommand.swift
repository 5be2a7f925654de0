/// `bulkbuild hosts test|status -h hostsfile`: checks every host.
func runHostsCommand(_ args: [String]) -> Int32 {
    printError("bulkbuild hosts: not implemented yet")
    return 2
}
