import Engine
import XCTest
@testable import Logs

final class SignatureStoreTests: XCTestCase {
    func testTheFileIsSortedByPathWithTheLatestSignatureAndReadsBack() throws {
        let files = MemoryFileStore()
        try files.makeDirectory("/s")
        var store = SignatureStore()
        for (path, sig) in [("www/b", "b-1"), ("devel/a", "a-1"), ("x11/c", "c-1"), ("devel/a", "a-2"), ("www/b", "b-1")] {
            store.record(sig, for: path)
        }
        store.record("two\nlines", for: "devel/z")
        XCTAssertEqual(store.text, "devel/a a-2\nwww/b b-1\nx11/c c-1\n")
        XCTAssertTrue(store.changed)
        try store.write(to: "/s/amd64-signatures", files: files)
        XCTAssertFalse(store.changed)
        var again = SignatureStore.read("/s/amd64-signatures", files: files)
        XCTAssertEqual(again.signatures, store.signatures)
        again.record("b-2", for: "www/b")
        again.record("0", for: "aaa/first")
        XCTAssertEqual(again.text, "aaa/first 0\ndevel/a a-2\nwww/b b-2\nx11/c c-1\n")
    }

    /// Thousands of paths recorded in a scrambled order, some twice, some
    /// changed, written between rounds, then read back and changed again:
    /// the text is always every path's latest line in path order, across
    /// the blocks the store cuts its lines into.
    func testManyPathsInAnyOrderGiveTheSortedFile() throws {
        let files = MemoryFileStore()
        try files.makeDirectory("/s")
        var store = SignatureStore()
        var expected: [String: String] = [:]
        func sortedText() -> String { expected.keys.sorted().map { "\($0) \(expected[$0]!)\n" }.joined() }
        var rng = SplitMix(seed: 9)
        for round in 0..<6 {
            for _ in 0..<700 {
                let path = "cat\(rng.next() % 40)/port\(rng.next() % 120)"
                let sig = "\(path.split(separator: "/")[1])-\(round).\(rng.next() % 3)"
                store.record(sig, for: path)
                expected[path] = sig
            }
            XCTAssertEqual(store.text, sortedText(), "round \(round)")
            try store.write(to: "/s/sig", files: files)
            XCTAssertEqual(files.read("/s/sig"), sortedText(), "round \(round)")
        }
        XCTAssertGreaterThan(expected.count, 2 * SignatureStore.blockSize * 4, "the store cut its lines into blocks")
        var again = SignatureStore.read("/s/sig", files: files)
        XCTAssertEqual(again.signatures, expected)
        XCTAssertEqual(again.text, sortedText())
        for path in ["aaa/first", "cat5/port7", "zzz/last", "cat39/port0x"] {
            again.record("new", for: path)
            expected[path] = "new"
        }
        XCTAssertEqual(again.text, sortedText())
    }
}
