import Engine
import XCTest
@testable import Logs

final class SignatureStoreTests: XCTestCase {
    /// What `record` hands back is what the run appends: only changes, one
    /// line each; reading the appended file gives the latest of each path.
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
        XCTAssertEqual(appended, ["www/b b-1\n", "devel/a a-1\n", "x11/c c-1\n", "devel/a a-2\n"], "www/b again: no line")
        var again = SignatureStore.read("/s/amd64-signatures", files: files)
        XCTAssertEqual(again.signatures, ["devel/a": "a-2", "www/b": "b-1", "x11/c": "c-1"])
        XCTAssertEqual(again.droppedLines, 1, "devel/a's first line")
        XCTAssertEqual(again.problems, [])
        try again.compact(into: "/s/amd64-signatures", files: files)
        XCTAssertEqual(files.read("/s/amd64-signatures"), "devel/a a-2\nwww/b b-1\nx11/c c-1\n")
        XCTAssertEqual(SignatureStore.read("/s/amd64-signatures", files: files).droppedLines, 0)
    }

    /// A line that cannot be read, and a last line cut short by a crash
    /// (its signature may be cut too): reported, no record, dropped by
    /// the compaction.
    func testUnreadableAndCutShortLinesAreReportedAndDropped() throws {
        let files = MemoryFileStore()
        try files.makeDirectory("/s")
        try files.replace("/s/sig", with: "devel/a a-1\ngarbage\nwww/b b-1\ndevel/c c-")
        var store = SignatureStore.read("/s/sig", files: files)
        XCTAssertEqual(store.signatures, ["devel/a": "a-1", "www/b": "b-1"])
        XCTAssertEqual(store.problems.count, 2)
        XCTAssertTrue(store.problems[0].hasPrefix("/s/sig:2: expected FULLPKGPATH SIGNATURE"), store.problems[0])
        XCTAssertTrue(store.problems[1].hasPrefix("/s/sig:4: a last line without its newline"), store.problems[1])
        XCTAssertEqual(store.droppedLines, 2)
        try store.compact(into: "/s/sig", files: files)
        XCTAssertEqual(files.read("/s/sig"), "devel/a a-1\nwww/b b-1\n")
        XCTAssertEqual(SignatureStore.read("/s/missing", files: files), SignatureStore(), "a missing file is an empty store")
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
