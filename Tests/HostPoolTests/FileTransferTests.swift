// RemoteRunner as a FileCarrier against a real sshd on loopback, files
// travelling through the real `bulkbuild agent` (the built product, at
// the same path "there" since the host is this machine); and the agent's
// own checks through a real agent process on pipes.
import XCTest
import CPosix
import Foundation
@testable import HostPool
#if canImport(Glibc)
import Glibc
#endif

typealias TransferResult = Result<TransferStats, TransferError>

final class FileTransferTests: XCTestCase {
    var ssh: SSHFixture!
    var driver: SyncDriver!
    var runners: [RemoteRunner] = []
    var bulkbuild = ""
    var dir = ""

    override func setUpWithError() throws {
        guard access("/usr/sbin/sshd", X_OK) == 0 else {
            throw XCTSkip("no /usr/sbin/sshd (apt-get install openssh-server): the transfer tests need a real sshd")
        }
        bulkbuild = try productPath("bulkbuild")
        ssh = try SSHFixture()
        driver = SyncDriver()
        dir = ssh.dir
    }

    override func tearDown() {
        for r in runners { r.shutdown(killTasks: true) }
        runners = []
        ssh?.tearDown()
    }

    func runner(_ alias: String, agent: Bool = true, retry: Double = 2,
                events: ((HostEvent) -> Void)? = nil) -> RemoteRunner {
        var target = ssh.target(alias)
        target.agentPath = bulkbuild
        target.useAgent = agent
        let r = RemoteRunner(target: target, queue: driver.queue, retryFirst: retry, retryMax: retry, onEvent: events)
        runners.append(r)
        return r
    }

    /// Runs one transfer to its end.
    func transfer(_ body: (@escaping (TransferResult) -> Void) -> Void, timeout: Double = 120) -> TransferResult {
        var result: TransferResult?
        body { result = $0 }
        XCTAssertTrue(driver.run(until: { result != nil }, timeout: timeout), "the transfer did not end")
        return result ?? .failure(.linkLost("test timed out"))
    }

    func send(_ r: RemoteRunner, _ local: String, _ remote: String, sha: String? = nil) -> TransferResult {
        transfer { r.send(local, to: remote, sha256: sha, completion: $0) }
    }

    func mirror(_ r: RemoteRunner, _ local: String, _ remote: String, only: [String]? = nil,
                excluding: [String] = []) -> TransferResult {
        transfer { r.mirror(local, to: remote, only: only, excluding: excluding, completion: $0) }
    }

    func stats(_ r: TransferResult, file: StaticString = #filePath, line: UInt = #line) -> TransferStats {
        switch r {
        case .success(let s): return s
        case .failure(let e):
            XCTFail("transfer failed: \(e.text)", file: file, line: line)
            return TransferStats(bytes: -1, files: -1)
        }
    }

    func failure(_ r: TransferResult, file: StaticString = #filePath, line: UInt = #line) -> TransferError? {
        if case .failure(let e) = r { return e }
        XCTFail("expected the transfer to fail", file: file, line: line)
        return nil
    }

    // MARK: send and fetch

    func testSendAndFetchRoundTripWithChecksums() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        let local = "\(dir)/master/pkg.tgz"
        let data = randomBytes(3 * AgentFrame.chunkSize + 12345)
        try makeFile(local, data, mode: 0o640)
        let remote = "\(dir)/host/deep/er/pkg.tgz"
        let sent = stats(send(r, local, remote))
        XCTAssertEqual(r.dispatchMode, .agent)
        XCTAssertEqual(sent.bytes, Int64(data.count))
        XCTAssertEqual(sent.files, 1)
        XCTAssertEqual(try sha(remote), try sha(local))
        XCTAssertEqual(modeOf(remote), 0o640)
        XCTAssertEqual(partFiles("\(dir)/host/deep/er"), [])

        let back = "\(dir)/master/back/pkg.tgz"
        let got = stats(transfer { r.fetch(remote, to: back, completion: $0) })
        XCTAssertEqual(got.bytes, Int64(data.count))
        XCTAssertEqual(got.files, 1)
        XCTAssertEqual(try sha(back), try sha(local))
        XCTAssertEqual(modeOf(back), 0o640)
        XCTAssertEqual(partFiles("\(dir)/master/back"), [])

        // An empty file crosses too.
        try makeFile("\(dir)/master/empty", [], mode: 0o600)
        XCTAssertEqual(stats(send(r, "\(dir)/master/empty", "\(dir)/host/empty")).files, 1)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/host/empty")).count, 0)
    }

    func testFetchOfAMissingFileFailsAndLeavesNothing() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        let back = "\(dir)/master/back/none.tgz"
        let e = failure(transfer { r.fetch("\(dir)/host/none.tgz", to: back, completion: $0) })
        guard case .remote(let path, let message)? = e else { return XCTFail("expected a remote error, got \(String(describing: e))") }
        XCTAssertEqual(path, "\(dir)/host/none.tgz")
        XCTAssertTrue(message.contains("No such file"), message)
        XCTAssertFalse(exists(back))
        XCTAssertEqual(partFiles("\(dir)/master/back"), [])
        // A relative path is refused by the agent; a missing local file here.
        try makeFile("\(dir)/master/x", Array("x".utf8))
        guard case .remote(_, let why)? = failure(send(r, "\(dir)/master/x", "relative/x")) else {
            return XCTFail("expected a remote error")
        }
        XCTAssertTrue(why.contains("not an absolute path"), why)
        guard case .local(let p, _)? = failure(send(r, "\(dir)/master/none", "\(dir)/host/none")) else {
            return XCTFail("expected a local error")
        }
        XCTAssertEqual(p, "\(dir)/master/none")
        XCTAssertFalse(exists("\(dir)/host/none"))
    }

    /// A fetch whose bytes are changed on the way (an agent behind a proxy
    /// that flips one bit of the first data frame) is an error, and no
    /// file appears at the local name.
    func testAFetchDamagedOnTheWayLeavesNoFile() throws {
        guard access("/usr/bin/python3", X_OK) == 0 else { throw XCTSkip("needs /usr/bin/python3 for the damaging proxy") }
        try ssh.startServer(alias: "good")
        let proxy = "\(dir)/agent-proxy"
        writeFile(proxy, """
            #!/usr/bin/python3
            import os, struct, subprocess, sys
            REAL = "\(bulkbuild)"
            if sys.argv[1:] != ["agent"]:
                os.execv(REAL, [REAL] + sys.argv[1:])
            p = subprocess.Popen([REAL, "agent"], stdout=subprocess.PIPE)
            buf, damaged = b"", False
            while True:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= 9:
                    n = struct.unpack("<I", buf[5:9])[0]
                    if len(buf) < 9 + n:
                        break
                    frame, buf = bytearray(buf[:9 + n]), buf[9 + n:]
                    if frame[0] == ord("B") and n > 0 and not damaged:
                        frame[9] ^= 1
                        damaged = True
                    sys.stdout.buffer.write(frame)
                    sys.stdout.buffer.flush()

            """)
        chmod(proxy, 0o755)
        var target = ssh.target("good")
        target.agentPath = proxy
        let r = RemoteRunner(target: target, queue: driver.queue)
        runners.append(r)
        try makeFile("\(dir)/host/pkg.tgz", randomBytes(70_000))
        let local = "\(dir)/master/repo/pkg.tgz"
        let e = failure(transfer { r.fetch("\(dir)/host/pkg.tgz", to: local, completion: $0) })
        XCTAssertEqual(r.dispatchMode, .agent)
        guard case .damaged(let path, let expected, let got)? = e else {
            return XCTFail("expected damage, got \(String(describing: e))")
        }
        XCTAssertEqual(path, local)
        XCTAssertEqual(expected, try sha("\(dir)/host/pkg.tgz"))
        XCTAssertNotEqual(got, expected)
        XCTAssertFalse(exists(local))
        XCTAssertEqual(partFiles("\(dir)/master/repo"), [])
        // The next one is not damaged and arrives.
        XCTAssertEqual(stats(transfer { r.fetch("\(dir)/host/pkg.tgz", to: local, completion: $0) }).bytes, 70_000)
        XCTAssertEqual(try sha(local), expected)
    }

    func testSendSkipsAFileTheHostHasAndChecksTheGivenDigest() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        let local = "\(dir)/master/dist.tar.gz"
        try makeFile(local, randomBytes(100_000))
        let digest = try sha(local)
        let remote = "\(dir)/host/distfiles/dist.tar.gz"
        let first = stats(send(r, local, remote, sha: digest))
        XCTAssertEqual(first.bytes, 100_000)
        XCTAssertEqual(first.files, 1)
        let again = stats(send(r, local, remote, sha: digest.uppercased()))
        XCTAssertEqual(again.bytes, 0)
        XCTAssertEqual(again.files, 0)
        // Another file under that name on the host is replaced.
        try makeFile(remote, Array("other".utf8))
        XCTAssertEqual(stats(send(r, local, remote, sha: digest)).bytes, 100_000)
        XCTAssertEqual(try sha(remote), digest)
        // A local file that does not have the digest it should is not sent.
        let wrong = String(repeating: "0", count: 64)
        let e = failure(send(r, local, "\(dir)/host/distfiles/wrong.tar.gz", sha: wrong))
        guard case .local(_, let message)? = e else { return XCTFail("expected a local error, got \(String(describing: e))") }
        XCTAssertTrue(message.contains("expected \(wrong)"), message)
        XCTAssertFalse(exists("\(dir)/host/distfiles/wrong.tar.gz"))
        // The abandon request is not answered: the agent removes its part
        // file when it reads it, shortly after the send has failed here.
        let deadline = cp_monotonic() + 5
        while !partFiles("\(dir)/host/distfiles").isEmpty && cp_monotonic() < deadline { usleep(20_000) }
        XCTAssertEqual(partFiles("\(dir)/host/distfiles"), [])
        XCTAssertNotNil(failure(send(r, local, remote, sha: "not-hex")))
    }

    func testWithoutTheAgentTransfersFailSayingSo() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good", agent: false)
        try makeFile("\(dir)/master/f", Array("x".utf8))
        let e = failure(send(r, "\(dir)/master/f", "\(dir)/host/f"))
        XCTAssertEqual(r.dispatchMode, .channels)
        guard case .remote(_, let message)? = e else { return XCTFail("expected a remote error, got \(String(describing: e))") }
        XCTAssertTrue(message.contains("needs the bulkbuild agent"), message)
        XCTAssertFalse(exists("\(dir)/host/f"))
    }

    // MARK: mirror

    func testMirrorSendsWhatDiffersAndRemovesWhatIsGone() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        let tree = "\(dir)/master/ports", copy = "\(dir)/host/ports"
        var files = 0
        for d in 0..<10 {
            for f in 0..<5 {
                try makeFile("\(tree)/cat\(d % 3)/port\(d)/file\(f)", randomBytes(100 + d * 37 + f), mode: f == 0 ? 0o755 : 0o644)
                files += 1
            }
        }
        _ = mkdir("\(tree)/empty", 0o750)
        XCTAssertEqual(symlink("../cat0/port0/file1", "\(tree)/cat1/link"), 0)
        try makeFile("\(tree)/distfiles/big.tar", randomBytes(5000))
        try makeFile("\(copy)/distfiles/host-only", Array("kept".utf8))
        try makeFile("\(copy)/stale/old", Array("gone".utf8))

        let first = stats(mirror(r, tree, copy, excluding: ["distfiles"]))
        XCTAssertEqual(first.files, files + 1)
        XCTAssertEqual(try treeDigest(tree, excluding: "distfiles"), try treeDigest(copy, excluding: "distfiles"))
        XCTAssertFalse(exists("\(copy)/stale"))
        XCTAssertFalse(exists("\(copy)/distfiles/big.tar"))
        XCTAssertTrue(exists("\(copy)/distfiles/host-only"))
        XCTAssertEqual(modeOf("\(copy)/empty"), 0o750)
        XCTAssertEqual(modeOf("\(copy)/cat1/port1/file0"), 0o755)

        let same = stats(mirror(r, tree, copy, excluding: ["distfiles"]))
        XCTAssertEqual(same.files, 0)
        XCTAssertEqual(same.bytes, 0)

        // One change, one removal, one new file, one directory gone.
        try makeFile("\(tree)/cat1/port4/file2", randomBytes(777))
        unlink("\(tree)/cat0/port3/file1")
        try makeFile("\(tree)/cat2/port5/new", randomBytes(50))
        _ = runCommand(["rm", "-rf", "\(tree)/cat0/port6"])
        let step = stats(mirror(r, tree, copy, excluding: ["distfiles"]))
        XCTAssertEqual(step.files, 2)
        XCTAssertEqual(step.bytes, 777 + 50)
        XCTAssertEqual(try treeDigest(tree, excluding: "distfiles"), try treeDigest(copy, excluding: "distfiles"))
        XCTAssertFalse(exists("\(copy)/cat0/port3/file1"))
        XCTAssertFalse(exists("\(copy)/cat0/port6"))

        // `only`: just that port's directory is brought in step.
        try makeFile("\(tree)/cat1/port7/file0", randomBytes(300))
        try makeFile("\(tree)/cat2/port8/file0", randomBytes(400))
        let one = stats(mirror(r, tree, copy, only: ["cat1/port7"], excluding: ["distfiles"]))
        XCTAssertEqual(one.files, 1)
        XCTAssertEqual(one.bytes, 300)
        XCTAssertEqual(try sha("\(copy)/cat1/port7/file0"), try sha("\(tree)/cat1/port7/file0"))
        XCTAssertNotEqual(try sha("\(copy)/cat2/port8/file0"), try sha("\(tree)/cat2/port8/file0"))
        // A port gone from the master goes from the host with `only` too.
        _ = runCommand(["rm", "-rf", "\(tree)/cat1/port7"])
        _ = stats(mirror(r, tree, copy, only: ["cat1/port7"]))
        XCTAssertFalse(exists("\(copy)/cat1/port7"))
        XCTAssertTrue(exists("\(copy)/cat2/port8/file0"))
        XCTAssertEqual(partFiles("\(copy)/cat1"), [])
        // A missing master directory is an error, never an emptied host.
        XCTAssertNotNil(failure(mirror(r, "\(dir)/master/nothing", copy)))
        XCTAssertTrue(exists("\(copy)/cat2/port8/file0"))
    }

    func testMirrorNeverWritesThroughASymlinkOnTheHost() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        let tree = "\(dir)/master/t", copy = "\(dir)/host/t", outside = "\(dir)/outside"
        try makeFile("\(tree)/sub/file", Array("inside".utf8))
        _ = mkdir(outside, 0o755)
        _ = runCommand(["mkdir", "-p", copy])
        XCTAssertEqual(symlink(outside, "\(copy)/sub"), 0)
        // The link is not what the master has: it is replaced by a directory.
        _ = stats(mirror(r, tree, copy))
        XCTAssertEqual(try sha("\(copy)/sub/file"), try sha("\(tree)/sub/file"))
        XCTAssertFalse(exists("\(outside)/file"))
        var st = stat()
        XCTAssertEqual(lstat("\(copy)/sub", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFDIR)
    }

    // MARK: alongside tasks, and failures

    func testALargeFileWithATaskRunningAlongside() throws {
        try ssh.startServer(alias: "good")
        let r = runner("good")
        waitUp(r)
        let local = "\(dir)/master/large"
        try bigFile(local, mib: 128)
        let log = "\(dir)/task.log"
        var order: [String] = []
        var end: TaskEnd?
        var result: TransferResult?
        r.send(local, to: "\(dir)/host/large", sha256: nil) { result = $0; order.append("transfer") }
        // Started after the transfer, a short task still ends long before
        // 128 MiB are through: its frames are not queued behind the file.
        driver.start(r, TaskSpec(argv: ["sh", "-c", "for i in $(seq 1 20); do echo line $i; done"],
                                 logPath: log)) { end = $0; order.append("task") }
        XCTAssertTrue(driver.run(until: { end != nil && result != nil }, timeout: 120))
        XCTAssertEqual(end, .exited(0))
        XCTAssertEqual(readWholeFile(log), (1...20).map { "line \($0)\n" }.joined())
        XCTAssertEqual(order, ["task", "transfer"])
        XCTAssertEqual(stats(result!).bytes, 128 << 20)
        XCTAssertEqual(try sha("\(dir)/host/large"), try sha(local))
        // The host hashes its copy a chunk at a time to say it has it.
        XCTAssertEqual(stats(send(r, local, "\(dir)/host/large", sha: try sha(local))).bytes, 0)
        // The other way too: a task started after a large fetch ends first.
        order = []
        end = nil
        result = nil
        r.fetch("\(dir)/host/large", to: "\(dir)/master/large.back") { result = $0; order.append("transfer") }
        driver.start(r, TaskSpec(argv: ["sh", "-c", "echo during the fetch"], logPath: "\(dir)/task2.log")) {
            end = $0; order.append("task")
        }
        XCTAssertTrue(driver.run(until: { end != nil && result != nil }, timeout: 120))
        XCTAssertEqual(end, .exited(0))
        XCTAssertEqual(order, ["task", "transfer"])
        XCTAssertEqual(readWholeFile("\(dir)/task2.log"), "during the fetch\n")
        XCTAssertEqual(try sha("\(dir)/master/large.back"), try sha(local))
    }

    /// Host events and the end of a transfer, in the order they came.
    final class Seen {
        var events: [String] = []
        var result: TransferResult?
    }

    /// A runner in the middle of sending 512 MiB into DIR/host/cut: its
    /// part file is there. Returns the part file's name.
    func bigSendUnderWay(_ s: SSHFixture.Server, retry: Double, _ seen: Seen) throws -> (RemoteRunner, String?) {
        let r = runner(s.alias, retry: retry) { e in
            if case .down = e { seen.events.append("down") } else { seen.events.append("up") }
        }
        let local = "\(dir)/master/huge"
        try bigFile(local, mib: 512)
        let target = "\(dir)/host/cut"
        _ = runCommand(["mkdir", "-p", target])
        r.send(local, to: "\(target)/huge", sha256: nil) { seen.result = $0; seen.events.append("result") }
        let deadline = cp_monotonic() + 60
        while partFiles(target).isEmpty && seen.result == nil && cp_monotonic() < deadline {
            driver.run(until: { seen.result != nil }, timeout: 0.002)
        }
        XCTAssertNil(seen.result, "the transfer was over before it could be cut")
        return (r, partFiles(target).first)
    }

    /// The transfer ended lost, after the host's down event, and left no
    /// file at its name.
    func assertLost(_ seen: Seen, within seconds: Double = 30, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(driver.run(until: { seen.result != nil }, timeout: seconds), file: file, line: line)
        guard let result = seen.result, case .linkLost? = failure(result) else {
            return XCTFail("expected linkLost, got \(String(describing: seen.result))", file: file, line: line)
        }
        XCTAssertEqual(Array(seen.events.prefix(3)), ["up", "down", "result"], file: file, line: line)
        XCTAssertFalse(exists("\(dir)/host/cut/huge"), file: file, line: line)
    }

    func testAgentKilledMidTransferLosesItAndLeavesNoFile() throws {
        let seen = Seen()
        let (r, part) = try bigSendUnderWay(try ssh.startServer(alias: "good"), retry: 0.2, seen)
        let target = "\(dir)/host/cut"
        // The agent writing the part file is the one to kill (its pid is
        // in the part file's name).
        let agentPid = Int32(part?.dropFirst(PartFile.prefix.count).prefix(while: { $0 != "." }) ?? "") ?? 0
        let argv = (readWholeFile("/proc/\(agentPid)/cmdline") ?? "").split(separator: "\0").map(String.init)
        XCTAssertEqual(argv, [bulkbuild, "agent"])
        guard argv == [bulkbuild, "agent"] else { return }
        kill(agentPid, SIGKILL)
        assertLost(seen)
        // The dead agent could not clean up; the next put in that directory
        // (after the reconnection) sweeps its part file.
        XCTAssertEqual(partFiles(target).count, 1)
        waitUp(r)
        try makeFile("\(dir)/master/small", Array("small".utf8))
        _ = stats(send(r, "\(dir)/master/small", "\(target)/small"))
        XCTAssertEqual(partFiles(target), [])
        XCTAssertEqual(seen.events.last, "up")
    }

    func testConnectionCutMidTransferLosesItAndTheAgentCleansUp() throws {
        let s = try ssh.startServer(alias: "good")
        let seen = Seen()
        let (r, _) = try bigSendUnderWay(s, retry: 30, seen)
        let target = "\(dir)/host/cut"
        // sshd goes (listener and session): the agent's input ends.
        for pid in ([s.pid] + descendants(of: s.pid)).filter({
            (readWholeFile("/proc/\($0)/comm") ?? "").hasPrefix("sshd")
        }) { kill(pid, SIGKILL) }
        assertLost(seen)
        let cleaned = cp_monotonic() + 10
        while !partFiles(target).isEmpty && cp_monotonic() < cleaned { usleep(20_000) }
        XCTAssertEqual(partFiles(target), [], "the agent left its part file")
        var status: Int32 = 0
        _ = waitpid(s.pid, &status, 0)
        ssh.servers.removeAll()
        // While the host is down, transfers are lost at once.
        guard case .linkLost? = failure(send(r, "\(dir)/master/huge", "\(target)/again")) else {
            return XCTFail("expected linkLost")
        }
    }

    /// The network goes away under a send (a namespace host's veth set
    /// down): the blocked writes end with the TCP user timeout, the host
    /// goes down and the transfer is lost, with no file at its name.
    func testLinkDownMidTransferIsLost() throws {
        let net = try NetnsFixture(ssh: ssh)
        defer { net.tearDown() }
        let veth = try net.addHost(2, alias: "n2")
        let seen = Seen()
        let (_, part) = try bigSendUnderWay(ssh.servers.first { $0.alias == "n2" }!, retry: 60, seen)
        XCTAssertNotNil(part)
        net.setLink(veth, up: false)
        assertLost(seen, within: 60)
    }

    // MARK: helpers

    func randomBytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        var out = [UInt8](repeating: 0, count: n)
        var i = 0
        while i < n {
            var v = g.next()
            for _ in 0..<8 where i < n { out[i] = UInt8(v & 0xff); v >>= 8; i += 1 }
        }
        return out
    }

    func waitUp(_ r: RemoteRunner) {
        XCTAssertTrue(driver.run(until: { r.state == .up }, timeout: 30))
    }

    /// MiB of random bytes (from /dev/urandom: generating them here is slow
    /// in a debug build).
    func bigFile(_ path: String, mib: Int) throws {
        _ = runCommand(["mkdir", "-p", (path as NSString).deletingLastPathComponent])
        let r = runCommand(["sh", "-c", "head -c \(mib)M /dev/urandom > \(shellQuote(path))"])
        guard r.status == 0 else { throw MissingProduct(description: "cannot make \(path): \(r.output)") }
    }

    func makeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        _ = runCommand(["mkdir", "-p", (path as NSString).deletingLastPathComponent])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
    }

    func sha(_ path: String) throws -> String {
        let r = runCommand(["sha256sum", path])
        guard r.status == 0 else { throw MissingProduct(description: "sha256sum \(path): \(r.output)") }
        return String(r.output.prefix(64))
    }

    func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    func modeOf(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    func partFiles(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(".bulkbuild-part.") }.sorted()
    }

    /// Names, kinds, modes, link targets and contents of a tree, in one text.
    func treeDigest(_ root: String, excluding: String) throws -> String {
        let r = runCommand(["sh", "-c", "cd \(shellQuote(root)) && find . -path ./\(excluding) -prune -o -printf '%p %y %m %l\\n' | sort"
                                  + " && find . -path ./\(excluding) -prune -o -type f -print | sort | xargs sha256sum"])
        guard r.status == 0 else { throw MissingProduct(description: "find in \(root): \(r.output)") }
        return r.output
    }
}

/// The agent's own checks, through a real `bulkbuild agent` on pipes.
final class AgentFileFrameTests: XCTestCase {
    var dir = ""
    var bulkbuild = ""

    override func setUpWithError() throws {
        bulkbuild = try productPath("bulkbuild")
        var template = Array("/tmp/bulkbuild-agentfiles.XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        dir = String(cString: p)
    }

    override func tearDown() { _ = runCommand(["rm", "-rf", dir]) }

    /// Feeds `frames` to an agent on a pipe; returns its replies.
    func agent(_ frames: [UInt8]) -> [(type: UInt8, id: UInt32, payload: [UInt8])] {
        let input = "\(dir)/in", output = "\(dir)/out"
        _ = try? Data(frames).write(to: URL(fileURLWithPath: input))
        let r = runCommand(["sh", "-c", "cat \(input) | \(bulkbuild) agent > \(output)"])
        XCTAssertEqual(r.status, 0, r.output)
        var reader = AgentFrameReader()
        let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: output))) ?? Data())
        bytes.withUnsafeBytes { reader.feed($0) }
        var out: [(UInt8, UInt32, [UInt8])] = []
        while case .frame(let t, let id, let p) = reader.next() { out.append((t, id, Array(p))) }
        return out
    }

    func put(_ id: UInt32, root: String, name: String, data: [UInt8], digest: [UInt8]? = nil) -> [UInt8] {
        var open = PayloadWriter()
        open.u32(0o644); open.u32(0); open.i64(0); open.u32(0); open.string(root); open.string(name)
        var frames: [UInt8] = []
        AgentFrame.append(AgentFrame.putOpen, id, open.bytes, to: &frames)
        AgentFrame.append(AgentFrame.putData, id, data, to: &frames)
        let h = SHA256Hasher()
        h.update(data[...])
        var close = PayloadWriter()
        close.u64(UInt64(data.count)); close.raw(digest ?? h.finish()); close.u32(1)
        AgentFrame.append(AgentFrame.putClose, id, close.bytes, to: &frames)
        return frames
    }

    func refusal(_ reply: (type: UInt8, id: UInt32, payload: [UInt8])) -> (AgentFrame.Refusal?, String) {
        var r = PayloadReader(reply.payload[...])
        let kind = r.u32().flatMap(AgentFrame.Refusal.init)
        _ = r.string()
        return (kind, r.string() ?? "")
    }

    func testAWrongDigestIsRefusedAndNothingIsLeft() throws {
        let data = Array("the bytes that arrived".utf8)
        let replies = agent(put(1, root: "", name: "\(dir)/pkg/a.tgz", data: data, digest: [UInt8](repeating: 7, count: 32))
                            + put(2, root: "", name: "\(dir)/pkg/b.tgz", data: data))
        XCTAssertEqual(replies.first?.type, AgentFrame.hello)
        let answers = replies.filter { $0.type != AgentFrame.hello }
        XCTAssertEqual(answers.map(\.id), [1, 2])
        XCTAssertEqual(answers.first?.type, AgentFrame.refused)
        if let first = answers.first {
            let (kind, message) = refusal(first)
            XCTAssertEqual(kind, .damaged)
            let h = SHA256Hasher()
            h.update(data[...])
            XCTAssertEqual(message, hexText(h.finish()))
        }
        XCTAssertEqual(answers.last?.type, AgentFrame.done)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/pkg/a.tgz"))
        XCTAssertEqual(try String(contentsOfFile: "\(dir)/pkg/b.tgz", encoding: .utf8), "the bytes that arrived")
        let left = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/pkg")
        XCTAssertEqual(left, ["b.tgz"])
    }

    func testBadPathsAndSymlinksOutOfTheTreeAreRefused() throws {
        let root = "\(dir)/tree", outside = "\(dir)/outside"
        _ = mkdir(root, 0o755)
        _ = mkdir(outside, 0o755)
        XCTAssertEqual(symlink(outside, "\(root)/escape"), 0)
        var frames: [UInt8] = []
        frames += put(1, root: root, name: "../x", data: [1])
        frames += put(2, root: root, name: "escape/x", data: [1])
        frames += put(3, root: "", name: "relative/x", data: [1])
        frames += put(4, root: "", name: "\(dir)/a/../x", data: [1])
        frames += put(5, root: root, name: "ok/x", data: [1])
        var rm = PayloadWriter()
        rm.string(root); rm.string("escape/..")
        AgentFrame.append(AgentFrame.remove, 6, rm.bytes, to: &frames)
        let answers = agent(frames).filter { $0.type != AgentFrame.hello }
        // A refused open gets one answer; its close another (no transfer).
        let firsts = Dictionary(answers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for id: UInt32 in [1, 2, 3, 4, 6] {
            XCTAssertEqual(firsts[id]?.type, AgentFrame.refused, "request \(id)")
            if let a = firsts[id] { XCTAssertEqual(refusal(a).0, .badRequest, "request \(id): \(refusal(a).1)") }
        }
        XCTAssertEqual(firsts[5]?.type, AgentFrame.done)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: outside)) ?? ["?"], [])
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(root)/ok/x"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/x"))
    }
}
