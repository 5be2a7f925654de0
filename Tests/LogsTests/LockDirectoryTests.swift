import Engine
import Foundation
import XCTest
@testable import Logs

final class LockDirectoryTests: TempDirTestCase {
    var locks: LockDirectory { LockDirectory(root: dir) }

    func testCreateIsExclusive() throws {
        XCTAssertEqual(try locks.create("devel.gmake", lines: [("locked", "devel/gmake"), ("dpb", "1 on h1")]),
                       .created)
        XCTAssertEqual(try locks.create("devel.gmake", lines: [("locked", "devel/gmake,other")]), .alreadyLocked)
        XCTAssertEqual(contents("devel.gmake"), "locked=devel/gmake\ndpb=1 on h1\n", "the loser writes nothing")
    }

    func testLockUsesTheDottedBarePkgPath() throws {
        let p = try PkgPath("x11/gnome/terminal")
        XCTAssertEqual(locks.path(for: p), dir + "/x11.gnome.terminal")
        XCTAssertEqual(try locks.lock(p, lines: [("locked", "x11/gnome/terminal,-main")]), .created)
        XCTAssertEqual(try locks.lock(p, lines: []), .alreadyLocked)
        XCTAssertTrue(locks.exists("x11.gnome.terminal"))
        XCTAssertEqual(locks.hostLockPath(host: "b2"), dir + "/host:b2")
    }

    func testCreateInAMissingDirectoryThrows() {
        XCTAssertThrowsError(try LockDirectory(root: path("none")).create("a.b", lines: []))
    }

    func testAppendAddsLinesAndFlagsOnlyToExistingLocks() throws {
        _ = try locks.create("a.b", lines: [("locked", "a/b")])
        try locks.append("a.b", lines: [("host", "b2"), ("nojunk", ""), ("status", "0")])
        XCTAssertEqual(contents("a.b"), "locked=a/b\nhost=b2\nnojunk\nstatus=0\n")
        try locks.append("c.d", lines: [("host", "b2")])
        XCTAssertFalse(locks.exists("c.d"))
        XCTAssertEqual(locks.contents("a.b"), ["locked": "a/b", "host": "b2", "nojunk": "", "status": "0"])
        XCTAssertNil(locks.contents("c.d"))
    }

    func testAppendToALockThatCannotBeWrittenThrows() throws {
        try FileIO.makeDirectory(path("e.f"))
        XCTAssertThrowsError(try locks.append("e.f", lines: [("host", "b2")])) { error in
            XCTAssertEqual((error as? FileIO.Failure)?.code, EISDIR, "\(error)")
        }
    }

    func testParse() {
        XCTAssertEqual(LockDirectory.parse("a=b\nflag\nc=d=e\n\nstart=1 (Tue Nov 14)\n"),
                       ["a": "b", "flag": "", "c": "d=e", "start": "1 (Tue Nov 14)"])
        XCTAssertEqual(LockDirectory.parse(""), [:])
    }

    func testNamesSkipDotFilesAndTemporaries() throws {
        _ = try locks.create("a.b", lines: [])
        _ = try locks.create("host:b2", lines: [])
        try FileIO.append("", to: path(".hidden"))
        try FileIO.append("", to: path("a.b.tmp.123"))
        XCTAssertEqual(locks.names(), ["a.b", "host:b2"])
        locks.remove("a.b")
        XCTAssertEqual(locks.names(), ["host:b2"])
        XCTAssertEqual(LockDirectory(root: path("none")).names(), [])
    }

    func testCleanStaleRemovesOnlyThisHostsLocksOfDeadProcessesThatDidNotFail() throws {
        let dead = deadPid()
        let live = getpid()
        let setup: [(String, [(String, String)])] = [
            ("dead.plain", [("locked", "dead/plain"), ("dpb", "\(dead) on h1"), ("host", "h1"), ("pid", "\(dead)")]),
            ("dead.success", [("locked", "dead/success,a"), ("dpb", "\(dead) on h1"), ("status", "0")]),
            ("dead.error", [("locked", "dead/error"), ("dpb", "\(dead) on h1"), ("error", "tree broke")]),
            ("dead.failed", [("locked", "dead/failed"), ("dpb", "\(dead) on h1"), ("status", "512")]),
            ("live.mine", [("locked", "live/mine"), ("dpb", "\(live) on h1")]),
            ("other.host", [("locked", "other/host"), ("dpb", "\(dead) on h2")]),
            ("prefix.host", [("locked", "prefix/host"), ("dpb", "\(dead) on h10")]),
            ("no.owner", [("locked", "no/owner")]),
            ("bad.owner", [("locked", "bad/owner"), ("dpb", "someone on h1")]),
        ]
        for (name, lines) in setup { XCTAssertEqual(try locks.create(name, lines: lines), .created) }

        let removed = locks.cleanStale(host: "h1", isAlive: processIsAlive)
        XCTAssertEqual(removed.map(\.name), ["dead.plain", "dead.success"])
        XCTAssertEqual(removed.map(\.locked), ["dead/plain", "dead/success,a"])
        XCTAssertEqual(locks.names(), ["dead.error", "dead.failed", "live.mine", "other.host", "prefix.host",
                                       "no.owner", "bad.owner"])
        XCTAssertTrue(locks.cleanStale(host: "h1", isAlive: processIsAlive).isEmpty, "nothing left to clean")
    }

    func testCleanStaleAsksAboutTheRecordedPid() throws {
        _ = try locks.create("a.b", lines: [("dpb", "31337 on h1")])
        var asked: [Int32] = []
        let removed = locks.cleanStale(host: "h1", isAlive: { asked.append($0); return true })
        XCTAssertEqual(asked, [31337])
        XCTAssertTrue(removed.isEmpty)
    }

    /// A live pid that started after the lock was made did not make it:
    /// the pid was used again (a reboot, a long time) and the lock's run is
    /// gone. A lock without a start line is judged by the pid alone.
    func testALockWhosePidWasUsedAgainHasADeadOwner() throws {
        let me = getpid()
        let began = try XCTUnwrap(processStartTime(me))
        XCTAssertLessThanOrEqual(began, Date().timeIntervalSince1970 + 1)
        XCTAssertGreaterThan(began, Date().timeIntervalSince1970 - 86_400 * 30, "started within the last month")
        let yesterday = ["dpb": "\(me) on h1", "start": "\(Int(began) - 86_400) (yesterday)"]
        XCTAssertEqual(LockDirectory.deadOwner(yesterday, host: "h1", isAlive: processIsAlive), me)
        let mine = ["dpb": "\(me) on h1", "start": "\(Int(began) + 5) (after it started)"]
        XCTAssertNil(LockDirectory.deadOwner(mine, host: "h1", isAlive: processIsAlive))
        XCTAssertNil(LockDirectory.deadOwner(["dpb": "\(me) on h1"], host: "h1", isAlive: processIsAlive))
        XCTAssertNil(LockDirectory.deadOwner(yesterday, host: "h2", isAlive: processIsAlive), "another host's")
    }

    func testProcessIsAlive() {
        XCTAssertTrue(processIsAlive(getpid()))
        XCTAssertTrue(processIsAlive(1), "init exists even when we may not signal it")
        XCTAssertFalse(processIsAlive(deadPid()))
        XCTAssertFalse(processIsAlive(0))
        XCTAssertFalse(processIsAlive(-1))
    }

    func testZombieIsNotAlive() throws {
        let pid = spawnTrue()
        defer { var s: Int32 = 0; _ = waitpid(pid, &s, 0) }
        // Wait for it to exit without reaping it.
        var zombie = false
        for _ in 0..<500 {
            if let stat = FileIO.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")"),
               stat[stat.index(close, offsetBy: 2)] == "Z" {
                zombie = true
                break
            }
            usleep(10_000)
        }
        guard zombie else { throw XCTSkip("could not observe a zombie in /proc") }
        XCTAssertEqual(kill(pid, 0), 0, "kill(0) still succeeds on a zombie")
        XCTAssertFalse(processIsAlive(pid))
    }
}
