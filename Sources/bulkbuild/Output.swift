#if canImport(Glibc)
import Glibc
#endif
import Engine

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

/// Writes one line to standard error. Messages quote input (a path list,
/// a size file, a listing): each line is cut at 2,000 characters and its
/// control characters are written `\u{..}`, so no input floods or drives
/// the terminal.
func printError(_ text: String) {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    writeOut(lines.map { ListedNames.visible(String($0), limit: 2000) }.joined(separator: "\n") + "\n", fd: 2)
}
