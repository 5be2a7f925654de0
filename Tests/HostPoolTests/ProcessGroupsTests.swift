import Foundation
import XCTest
@testable import HostPool

/// Ending the groups a dead run left: real processes in groups of their
/// own, carrying a task mark, half of them deaf to TERM.
final class ProcessGroupsTests: XCTestCase {
    func testSeveralGroupsEndTogetherTheDeafOnesByKill() throws {
        var marks: [String] = []
        for i in 0..<4 {
            let mark = "test-\(getpid())-\(i)"
            let p = Process()
            // setsid: a session and group of their own (it forks when
            // Foundation's child already leads a group, so the group is
            // found by its mark below).
            p.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
            p.arguments = ["sh", "-c", (i % 2 == 0 ? "trap '' TERM; " : "") + "sleep 30; :"]
            p.environment = ["PATH": "/usr/bin:/bin", ProcessGroups.markVariable: mark]
            try p.run()
            marks.append(mark)
        }
        var groups: [pid_t: String] = [:]
        let deadline = Date().addingTimeInterval(10)
        repeat {
            groups = [:]
            for mark in marks {
                for pgid in ProcessGroups.groups(carrying: mark)
                where ProcessGroups.marked(pgid: pgid, mark: mark).count >= 2 { groups[pgid] = mark }
            }
            if groups.count == marks.count { break }
            usleep(20_000)
        } while Date() < deadline
        defer { for pgid in groups.keys { kill(-pgid, SIGKILL) } }
        XCTAssertEqual(groups.count, 4, "sh and sleep in a group of their own, for each mark")
        // A group is only signalled while it carries the mark given.
        let first = try XCTUnwrap(groups.keys.sorted().first)
        XCTAssertEqual(ProcessGroups.end(groups: [first: "another-mark"], grace: 0.2), [])
        XCTAssertFalse(ProcessGroups.marked(pgid: first, mark: groups[first]!).isEmpty, "a group without that mark was ended")

        XCTAssertEqual(ProcessGroups.end(groups: groups, grace: 0.3), [], "a marked process is left")
        for (pgid, mark) in groups { XCTAssertTrue(ProcessGroups.marked(pgid: pgid, mark: mark).isEmpty, mark) }
    }
}
