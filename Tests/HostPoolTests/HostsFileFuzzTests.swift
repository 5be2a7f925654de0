import XCTest
import CPosix
@testable import HostPool

/// Random damage to a text, from a fixed seed: the inputs a fuzzer would
/// try on a parser (byte flips, cuts, '=', newlines, NUL, '..', huge lines).
struct TextMutator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {   // SplitMix64
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }

    static let inserts: [[UInt8]] = [
        Array("=".utf8), Array("\n".utf8), Array("\r\n".utf8), [0], Array("..".utf8), Array("../../".utf8),
        Array("#".utf8), Array(" ".utf8), Array("\t".utf8), Array("@".utf8), Array("[".utf8), Array(":".utf8),
        Array(",".utf8), Array("-".utf8), Array("\"".utf8), Array("$(id)".utf8), Array("\u{1b}[2J".utf8),
        [0xFF, 0xFE], Array("\u{301}".utf8), Array("99999999999999999999999".utf8),
        Array(repeating: UInt8(ascii: "a"), count: 70_000),
    ]

    /// One to four mutations of `text`.
    mutating func mutate(_ text: String) -> [UInt8] {
        var b = Array(text.utf8)
        for _ in 0...below(4) {
            let at = below(b.count + 1)
            switch below(5) {
            case 0 where !b.isEmpty: b[min(at, b.count - 1)] ^= UInt8(1 << below(8))
            case 1: b.removeSubrange(at...)                                         // truncation
            case 2: b.insert(contentsOf: Self.inserts[below(Self.inserts.count)], at: at)
            case 3 where !b.isEmpty:                                                // duplicate a stretch
                let end = min(b.count, at + below(200))
                b.insert(contentsOf: b[min(at, b.count)..<end], at: end)
            default: if at < b.count { b.remove(at: at) }
            }
        }
        return b
    }
}

/// Mutated hosts files through the real parser, in process, and a few
/// dozen through the real binary: no crash, no hang, and every failure is
/// a HostsFileError naming a line of the file.
final class HostsFileFuzzTests: XCTestCase {
    // Loopback addresses only, so a mutation that still parses connects
    // nowhere far (port 22 is refused or answers at once).
    static let valid = """
        # build hosts
        BUILD_TIMEOUT=3600
        CONNECTION_TIMEOUT=2
        DEFAULT jobs=2 sf=1.5 junk=100
        127.0.0.1 jobs=4 sf=2 parallel=/2 small=60 stuck=600 arch=x86_64
        builder@127.0.0.2 memory=2G timeout=5 always_clean=1
        [::1] jobs=1 parallel=3
        DEFAULT sf=3
        127.0.0.3 junk=0 # the fast one

        """

    func testMutatedHostsFilesNeverCrashAndErrorsNameALine() {
        var m = TextMutator(seed: 20261201)
        var parsed = 0, refused = 0
        for n in 0..<400 {
            let bytes = m.mutate(Self.valid)
            let text = String(decoding: bytes, as: UTF8.self)
            let lines = text.utf8.reduce(1) { $0 + ($1 == 10 ? 1 : 0) }
            var f = HostsFile()
            do {
                try f.parse(text, file: "fuzz", targetArch: "x86_64", localNames: [])
                parsed += 1
                for h in f.hosts {
                    XCTAssertNotNil(HostsFile.parseHostName(h.name), "case \(n): \(h.name)")
                    XCTAssertFalse(h.name.contains("/") || h.name.hasPrefix(".") || h.name.hasPrefix("-"), "case \(n): \(h.name)")
                }
            } catch let e as HostsFileError {
                refused += 1
                XCTAssertTrue((1...lines).contains(e.line), "case \(n): line \(e.line) of \(lines): \(e)")
                XCTAssertFalse(e.message.isEmpty, "case \(n)")
            } catch {
                XCTFail("case \(n): unexpected error \(error)")
            }
        }
        XCTAssertEqual(parsed + refused, 400)
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(parsed, 0)
        print("hosts-file fuzz: 400 cases in process, \(parsed) parsed, \(refused) refused, 0 crashes")
    }

    /// `bulkbuild hosts test -h FILE`: exit 0, 1 or 2, never a signal,
    /// within the time limit.
    func testMutatedHostsFilesThroughTheBinaryExitCleanly() throws {
        let bin = try productPath("bulkbuild")
        var template = Array((NSTemporaryDirectory() + "/bulkbuild-hosts-fuzz-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        let dir = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var m = TextMutator(seed: 7)
        var statuses: [Int32: Int] = [:]
        var crashes = 0, hangs = 0
        for n in 0..<30 {
            let file = "\(dir)/hosts\(n)"
            XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(m.mutate(Self.valid))))
            guard case .success(let pid) = spawnInGroup(
                argv: [bin, "hosts", "test", "-h", file, "-L", dir + "/logs", "-D", "CONNECTION_TIMEOUT=2"],
                environment: ["TERM": "dumb", "PORTSDIR": dir + "/noports"], logPath: "\(dir)/out\(n)") else {
                return XCTFail("cannot start \(bin)")
            }
            switch waitStatus(pid, timeout: 90) {
            case .exited(let s): statuses[s, default: 0] += 1
                XCTAssertTrue([0, 1, 2].contains(s), "case \(n): exit \(s): \((try? String(contentsOfFile: "\(dir)/out\(n)", encoding: .utf8)) ?? "")")
            case .signaled(let sig): crashes += 1; XCTFail("case \(n): killed by signal \(sig)")
            case .timedOut: hangs += 1; XCTFail("case \(n): no end within 90 s")
            }
        }
        XCTAssertEqual(crashes, 0)
        XCTAssertEqual(hangs, 0)
        print("hosts-file fuzz: 30 cases through the binary, exit statuses \(statuses.sorted { $0.key < $1.key }), \(crashes) crashes, \(hangs) hangs")
    }
}

enum WaitOutcome { case exited(Int32), signaled(Int32), timedOut }

/// Waits for `pid`; after `timeout` seconds its process group is killed.
func waitStatus(_ pid: pid_t, timeout: Double) -> WaitOutcome {
    let deadline = cp_monotonic() + timeout
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
        if cp_monotonic() > deadline {
            kill(-pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            return .timedOut
        }
        usleep(20_000)
    }
    return cp_wifsignaled(status) != 0 ? .signaled(cp_wtermsig(status)) : .exited(cp_wexitstatus(status))
}
