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
}
