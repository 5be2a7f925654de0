import XCTest
import CPosix
@testable import HostPool
#if canImport(Glibc)
import Glibc
#endif

/// Host init, `hosts test|status` and a host cut off its network.
final class HostLifecycleTests: XCTestCase {
    var ssh: SSHFixture!
    var netns: NetnsFixture?
    var runners: [RemoteRunner] = []

    override func setUpWithError() throws {
        guard access("/usr/sbin/sshd", X_OK) == 0 else { throw XCTSkip("no /usr/sbin/sshd (apt-get install openssh-server)") }
        ssh = try SSHFixture()
    }

    override func tearDown() {
        for r in runners { r.shutdown(killTasks: true) }
        runners = []
        netns?.tearDown()
        ssh?.tearDown()
    }

    func testHostInitOverSSHAndLocallyAgree() throws {
        try ssh.startServer(alias: "good")
        let driver = SyncDriver()
        let remote = RemoteRunner(target: ssh.target("good"), queue: driver.queue)
        runners.append(remote)
        let local = LocalRunner(hostName: "localhost", reaper: driver.reaper, queue: driver.queue)
        let startup = "\(ssh.dir)/startup.sh"
        writeFile(startup, "#!/bin/sh\necho \"startup ran as $(id -un) with $# args\"\n")
        var results: [String: Result<HostFacts, HostInitError>] = [:]
        for r in [remote as TaskRunner, local] {
            HostInit.run(on: r, logDir: ssh.dir, startupScript: startup) { results[r.hostName] = $0 }
        }
        XCTAssertTrue(driver.run(until: { results.count == 2 }, timeout: 60))
        let rf = try XCTUnwrap(try? results["good"]?.get())
        let lf = try XCTUnwrap(try? results["localhost"]?.get())
        XCTAssertEqual(rf.user, "root")
        XCTAssertEqual(rf.cpus, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        XCTAssertEqual(rf.signature.count, 64)
        XCTAssertGreaterThan(rf.libraryCount, 0)
        XCTAssertNil(rf.signatureMismatch(with: lf, referenceName: "localhost"))
        var other = lf
        other.signature = String(repeating: "0", count: 64)
        XCTAssertNotNil(rf.signatureMismatch(with: other, referenceName: "localhost"))
        let log = readWholeFile(HostInit.logPath(logDir: ssh.dir, host: "good")) ?? ""
        XCTAssertTrue(log.contains("startup ran as root with 0 args"), log)

        // A failing STARTUP script fails init with the reason.
        writeFile(startup, "#!/bin/sh\necho broken; exit 4\n")
        var failed: Result<HostFacts, HostInitError>? = nil
        HostInit.run(on: remote, logDir: ssh.dir, startupScript: startup) { failed = $0 }
        XCTAssertTrue(driver.run(until: { failed != nil }, timeout: 60))
        if case .failure(let e) = failed! {
            XCTAssertTrue(e.reason.contains("STARTUP script \(startup) failed (exit 4)"), e.reason)
        } else { XCTFail("STARTUP failure not reported") }
    }

    func hostsFile(_ text: String) -> String {
        let path = "\(ssh.dir)/hosts"
        writeFile(path, text)
        return path
    }

    func runHosts(_ args: [String]) -> (status: Int32, out: String, err: String) {
        var out = "", err = ""
        let status = HostsCheck.run(args, print: { out += $0 }, printError: { err += $0 + "\n" })
        return (status, out, err)
    }

    func testHostsTestPassesForGoodHostsAndFailsForABadPort() throws {
        try ssh.startServer(alias: "good")
        ssh.addAlias("badport", address: "127.0.0.1", port: freeLoopbackPort())
        let ports = "\(ssh.dir)/ports"
        _ = mkdir(ports, 0o755)
        let common = ["-D", "SSH_CONFIG=\(ssh.configPath)", "-D", "PORTSDIR=\(ports)", "-L", ssh.dir]

        let good = runHosts(["test", "-h", hostsFile("localhost\ngood jobs=3\n")] + common)
        XCTAssertEqual(good.status, 0, good.out + good.err)
        XCTAssertTrue(good.out.contains("good: ok"), good.out)
        XCTAssertTrue(good.out.contains("localhost: ok"), good.out)
        XCTAssertTrue(good.out.contains("(same as localhost)"), good.out)
        XCTAssertTrue(good.out.contains("will be created"), good.out)

        let status = runHosts(["status", "-h", hostsFile("good jobs=3\n")] + common)
        XCTAssertEqual(status.status, 0, status.out + status.err)
        XCTAssertTrue(status.out.contains("normalised by 3 jobs"), status.out)
        XCTAssertTrue(status.out.contains("against this machine"), status.out)
        XCTAssertTrue(status.out.contains("free disk"), status.out)

        let bad = runHosts(["test", "-h", hostsFile("good\nbadport\n")] + common)
        XCTAssertEqual(bad.status, 1, bad.out + bad.err)
        XCTAssertTrue(bad.out.contains("good: ok"), bad.out)
        XCTAssertTrue(bad.out.contains("badport: UNUSABLE"), bad.out)
        XCTAssertTrue(bad.err.contains("badport ("), bad.err)

        let noPorts = runHosts(["test", "-h", hostsFile("good\n"), "-D", "SSH_CONFIG=\(ssh.configPath)",
                                "-D", "PORTSDIR=/nonexistent/ports", "-L", ssh.dir])
        XCTAssertEqual(noPorts.status, 1)
        XCTAssertTrue(noPorts.out.contains("PORTSDIR /nonexistent/ports missing"), noPorts.out)

        let noStartup = runHosts(["test", "-h", hostsFile("STARTUP=/nonexistent/startup\ngood\n")] + common)
        XCTAssertEqual(noStartup.status, 1)
        XCTAssertTrue(noStartup.err.contains("STARTUP script /nonexistent/startup is not readable"), noStartup.err)

        let usage = runHosts(["test", "-h", hostsFile("good\nbad jobs=x\n")] + common)
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.err.contains("\(ssh.dir)/hosts:2: jobs: expected"), usage.err)
        XCTAssertEqual(runHosts(["frob"]).status, 2)
    }

    /// Two hosts in network namespaces; one is cut off while a task runs.
    func testCutOffHostLosesItsTaskAndComesBack() throws {
        netns = try NetnsFixture(ssh: ssh)
        let veth = try netns!.addHost(2, alias: "ns2")
        _ = try netns!.addHost(3, alias: "ns3")
        let driver = SyncDriver()
        var events: [String: [HostEvent]] = [:]
        var stamps: [(String, HostEvent, Double)] = []
        func make(_ alias: String) -> RemoteRunner {
            let r = RemoteRunner(target: ssh.target(alias, timeout: 3), queue: driver.queue,
                                 retryFirst: 1, retryMax: 4) {
                events[alias, default: []].append($0)
                stamps.append((alias, $0, cp_monotonic()))
            }
            runners.append(r)
            return r
        }
        let r2 = make("ns2"), r3 = make("ns3")
        XCTAssertTrue(driver.run(until: { events["ns2"] == [.up] && events["ns3"] == [.up] }, timeout: 30), "\(events)")
        var end2: TaskEnd? = nil, end3: TaskEnd? = nil
        let h2 = driver.start(r2, TaskSpec(argv: ["sleep", "120"], logPath: "\(ssh.dir)/ns2.log")) { end2 = $0 }
        driver.start(r3, TaskSpec(argv: ["sh", "-c", "sleep 20; echo done"], logPath: "\(ssh.dir)/ns3.log")) { end3 = $0 }
        XCTAssertTrue(driver.run(until: { h2.pid > 0 }, timeout: 10))
        let orphan = h2.pid   // same PID namespace: visible in our /proc
        XCTAssertTrue(processAlive(orphan))

        let cut = cp_monotonic()
        netns!.setLink(veth, up: false)
        XCTAssertTrue(driver.run(until: { end2 != nil && (events["ns2"]?.count ?? 0) >= 2 }, timeout: 15),
                      "no loss detected within 15 s: \(events)")
        let detected = cp_monotonic() - cut
        print("cut-off host detected after \(format2(detected)) s")
        if case .lost(let why)? = end2 { XCTAssertTrue(why.contains("ns2"), why) } else { XCTFail("\(String(describing: end2))") }
        if case .down? = events["ns2"]?.last {} else { XCTFail("\(events)") }
        XCTAssertNil(end3, "the other host's task must go on")

        // While down, a new task is lost at once.
        var early: TaskEnd? = nil
        driver.start(r2, TaskSpec(argv: ["true"], logPath: "\(ssh.dir)/ns2.log")) { early = $0 }
        XCTAssertTrue(driver.run(until: { early != nil }, timeout: 10))
        if case .lost? = early {} else { XCTFail("\(String(describing: early))") }

        netns!.setLink(veth, up: true)
        XCTAssertTrue(driver.run(until: { events["ns2"]?.last == .up }, timeout: 30), "\(events)")
        XCTAssertEqual(driver.runTask(r2, TaskSpec(argv: ["true"], logPath: "\(ssh.dir)/ns2.log"), timeout: 30), .exited(0))
        // The task lost with the connection was killed once the host came back.
        let deadline = cp_monotonic() + 10
        while processAlive(orphan) && cp_monotonic() < deadline { usleep(50_000) }
        XCTAssertFalse(processAlive(orphan), "the lost task still runs on the host")
        XCTAssertTrue(driver.run(until: { end3 != nil }, timeout: 30))
        XCTAssertEqual(end3, .exited(0))
        XCTAssertEqual(events["ns3"], [.up])
    }
}
