#if canImport(Glibc)
import Glibc
#endif

/// Writes one line to standard error.
func printError(_ text: String) {
    let line = text + "\n"
    _ = line.withCString { fputs($0, stderr) }
}
