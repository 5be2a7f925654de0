import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory per test, removed afterwards.
class TempDirTestCase: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        var template = Array((NSTemporaryDirectory() + "/bulkbuild-logs-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        dir = String(cString: made)
    }

    override func tearDownWithError() throws {
        if !dir.isEmpty { try? FileManager.default.removeItem(atPath: dir) }
    }

    func path(_ name: String) -> String { dir + "/" + name }

    func contents(_ name: String) -> String? {
        FileManager.default.contents(atPath: path(name)).map { String(decoding: $0, as: UTF8.self) }
    }

    func listing(_ sub: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: sub.isEmpty ? dir : path(sub))) ?? []).sorted()
    }
}

/// Starts `true` and returns its pid without waiting for it.
func spawnTrue() -> pid_t {
    var pid: pid_t = 0
    let args = [strdup("true"), nil]
    defer { for a in args { free(a) } }
    let rc = posix_spawnp(&pid, "true", nil, nil, args, environ)
    precondition(rc == 0, "posix_spawnp true: \(rc)")
    return pid
}

/// A pid that belonged to a process that has exited and been reaped.
func deadPid() -> pid_t {
    let pid = spawnTrue()
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return pid
}

