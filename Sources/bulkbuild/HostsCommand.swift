import HostPool
#if canImport(Glibc)
import Glibc
#endif

/// `bulkbuild hosts test|status -h hostsfile [-h more] [-D PARAM=value] [-L logdir]`:
/// checks every host of the hosts files. Exit 0 when all are usable, 1 when
/// one is not (the reason is given per host), 2 on usage errors.
func runHostsCommand(_ args: [String]) -> Int32 {
    // The parameters a build would refuse are refused here too, or a file
    // that "passes" would stop the build.
    if case .success(let parsed) = HostsCheckOptions.parse(args) {
        var o = BuildOptions()
        o.hostsFiles = parsed.hostsFiles
        o.defines = parsed.defines.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        do {
            let merged = try withHostsFileParameters(o)
            try checkParameterValues(merged)
            _ = try merged.portsdir()
        } catch let e as UsageError {
            printError("bulkbuild hosts: \(e.description)")
            return 2
        } catch {
            // Unreadable files and the like: HostsCheck says it.
        }
    }
    return HostsCheck.run(args, print: { text in writeOut(text, fd: 1) }, printError: printError)
}
