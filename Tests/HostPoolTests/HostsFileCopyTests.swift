import XCTest
@testable import HostPool

/// `copy=` in the hosts file: hosts that share no file system with the master.
final class HostsFileCopyTests: XCTestCase {
    func parse(_ text: String) throws -> HostsFile {
        var f = HostsFile()
        try f.parse(text, file: "hosts", targetArch: nil, localNames: ["vm"])
        return f
    }

    func testCopyOnAHostLineAndInDefault() throws {
        let f = try parse("""
            shared
            c1 copy=1
            DEFAULT copy=1 jobs=2
            c2
            nfs copy=0
            localhost copy=0
            """)
        XCTAssertEqual(f.hosts.map { "\($0.name) \($0.isCopy)" },
                       ["shared false", "c1 true", "c2 true", "nfs false", "localhost false"])
        XCTAssertEqual(f.hosts[2].properties.jobs, 2)
    }

    func testBadValuesAndLocalCopyHostsGiveTheLine() {
        for (text, line, expected) in [
            ("a\nb copy=yes\n", 2, "copy: expected 0 (shared file system) or 1"),
            ("DEFAULT copy=2\n", 1, "copy: expected 0"),
            ("a copy=\n", 1, "copy: expected 0"),
            ("a\nlocalhost copy=1\n", 2, "copy=1: localhost is this machine"),
            ("DEFAULT copy=1\nremote\nvm\n", 3, "copy hosts must be remote"),
        ] as [(String, Int, String)] {
            XCTAssertThrowsError(try parse(text), text) { error in
                guard let e = error as? HostsFileError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.line, line, e.description)
                XCTAssertTrue(e.description.hasPrefix("hosts:\(line): ") && e.message.contains(expected), e.description)
            }
        }
    }

    func testCopyIsListedAmongTheKnownProperties() {
        XCTAssertThrowsError(try parse("a kopy=1\n")) { error in
            XCTAssertTrue("\(error)".contains("always_clean copy"), "\(error)")
        }
    }
}
