import HostPool
#if canImport(Glibc)
import Glibc
#endif

/// `bulkbuild hosts test|status -h hostsfile [-h more] [-D PARAM=value] [-L logdir]`:
/// checks every host of the hosts files. Exit 0 when all are usable, 1 when
/// one is not (the reason is given per host), 2 on usage errors.
func runHostsCommand(_ args: [String]) -> Int32 {
    HostsCheck.run(args, print: { text in writeOut(text, fd: 1) }, printError: printError)
}
