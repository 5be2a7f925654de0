import Engine
import XCTest
@testable import Logs

final class SignatureStoreTests: XCTestCase {
    /// What `record` hands back is what the run appends, one line per
    /// build; reading the appended file gives the latest of each path.
    func testAppendedLinesReadBackWithTheLatestSignatureOfEachPath() throws {
        let files = MemoryFileStore()
        try files.makeDirectory("/s")
        var store = SignatureStore()
        var appended: [String] = []
        for (path, sig) in [("www/b", "b-1"), ("devel/a", "a-1"), ("x11/c", "c-1"), ("devel/a", "a-2"), ("www/b", "b-1")] {
            if let line = store.record(sig, for: path) {
                appended.append(line)
                try files.append(line, to: "/s/amd64-signatures")
            }
        }
        XCTAssertNil(store.record("two\nlines", for: "devel/z"), "a signature that is not one line")
        XCTAssertEqual(appended, ["www/b b-1\n", "devel/a a-1\n", "x11/c c-1\n", "devel/a a-2\n", "www/b b-1\n"],
                       "www/b built again: its line again (another run may have written another since)")
        var again = SignatureStore.read("/s/amd64-signatures", files: files)
        XCTAssertEqual(again.signatures, ["devel/a": "a-2", "www/b": "b-1", "x11/c": "c-1"])
        XCTAssertEqual(again.droppedLines, 2, "the first lines of devel/a and www/b")
        XCTAssertEqual(again.problems, [])
        XCTAssertFalse(again.tornTail)
        XCTAssertFalse(try again.compactIfDue(into: "/s/amd64-signatures", files: files), "2 lines to drop for 3 records")
        try files.append("x11/c c-2\n", to: "/s/amd64-signatures")
        again = SignatureStore.read("/s/amd64-signatures", files: files)
        XCTAssertEqual(again.droppedLines, 3)
        XCTAssertTrue(try again.compactIfDue(into: "/s/amd64-signatures", files: files))
        XCTAssertEqual(files.read("/s/amd64-signatures"), "devel/a a-2\nwww/b b-1\nx11/c c-2\n")
        XCTAssertEqual(SignatureStore.read("/s/amd64-signatures", files: files).droppedLines, 0)
        XCTAssertEqual(SignatureStore.read("/s/missing", files: files), SignatureStore(), "a missing file is an empty store")
        XCTAssertEqual(SignatureStore.read("/s/missing", files: files).signatures, [:])
    }

    /// A line that cannot be read, and a last line cut short by a crash
    /// (its signature may be cut too): reported and ignored (an earlier
    /// line of the same path still counts), dropped by the compaction.
    func testUnreadableAndCutShortLinesAreReportedAndDropped() throws {
        let files = MemoryFileStore()
        try files.makeDirectory("/s")
        try files.replace("/s/sig", with: "devel/c c-1\ngarbage\n\nwww/b b-1\ndevel/c c-")
        var store = SignatureStore.read("/s/sig", files: files)
        XCTAssertEqual(store.signatures, ["devel/c": "c-1", "www/b": "b-1"])
        XCTAssertEqual(store.problems.count, 2)
        XCTAssertTrue(store.problems[0].hasPrefix("/s/sig:2: expected FULLPKGPATH SIGNATURE"), store.problems[0])
        XCTAssertTrue(store.problems[1].hasPrefix("/s/sig: a last line without its newline"), store.problems[1])
        XCTAssertTrue(store.tornTail, "what is appended next must start on its own line")
        XCTAssertEqual(store.droppedLines, 2)
        XCTAssertTrue(try store.compactIfDue(into: "/s/sig", files: files))
        XCTAssertEqual(files.read("/s/sig"), "devel/c c-1\nwww/b b-1\n")
        XCTAssertFalse(store.tornTail)
    }

    /// Another run appends between this one's read and its compaction:
    /// its lines, and the one it was writing at the read, are kept. A file
    /// another run replaced meanwhile is not touched.
    func testTheCompactionKeepsWhatAnotherRunAppendedSinceTheRead() throws {
        let files = MemoryFileStore()
        try files.makeDirectory("/s")
        try files.replace("/s/sig", with: "devel/a a-1\ndevel/a a-2\nwww/half h-")
        var store = SignatureStore.read("/s/sig", files: files)
        XCTAssertEqual(store.droppedLines, 2)
        XCTAssertEqual(store.signatures.count, 1)
        try files.append("1\nx11/new n-1\nx11/cut", to: "/s/sig")
        XCTAssertTrue(try store.compactIfDue(into: "/s/sig", files: files))
        XCTAssertEqual(files.read("/s/sig"), "devel/a a-2\nwww/half h-1\nx11/new n-1\n")
        XCTAssertEqual(store.signatures["www/half"], "h-1", "this run knows the other run's records too")

        try files.replace("/s/sig", with: "devel/a a-1\ndevel/a a-2\n")
        var late = SignatureStore.read("/s/sig", files: files)
        try files.replace("/s/sig", with: "devel/a a-3\n")
        XCTAssertFalse(try late.compactIfDue(into: "/s/sig", files: files))
        XCTAssertEqual(files.read("/s/sig"), "devel/a a-3\n")
    }

    /// Two runs sharing the file append side by side: each one's lines are
    /// there, whichever wrote last.
    func testTwoStoresAppendingToOneFileKeepBothRecords() throws {
        let files = MemoryFileStore()
        try files.makeDirectory("/s")
        var first = SignatureStore.read("/s/sig", files: files)
        var second = SignatureStore.read("/s/sig", files: files)
        for i in 0..<50 {
            if let line = first.record("a-\(i)", for: "devel/a\(i)") { try files.append(line, to: "/s/sig") }
            if let line = second.record("b-\(i)", for: "www/b\(i)") { try files.append(line, to: "/s/sig") }
        }
        XCTAssertEqual(SignatureStore.read("/s/sig", files: files).signatures.count, 100)
    }
}
