#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` whole to a file descriptor (the C `stdout`/`stderr`
/// globals are shared mutable state to Swift 6; the descriptors are not).
func writeOut(_ text: String, fd: Int32) {
    var bytes = Array(text.utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
        if n < 0 { if errno == EINTR { continue }; return }
        done += n
    }
}

/// Writes one line to standard error.
func printError(_ text: String) {
    writeOut(text + "\n", fd: 2)
}
