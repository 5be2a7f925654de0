// A tree whose listing carries a hostile package name: the real binary
// must report the port broken and touch nothing outside its own places.
import Foundation
import XCTest

final class HostileListingTests: XCTestCase {
    /// Every file and directory under `root`, except under `skipping`.
    private func entries(_ root: String, skipping: [String]) -> Set<String> {
        var out = Set<String>()
        guard let walk = FileManager.default.enumerator(atPath: root) else { return out }
        while let rel = walk.nextObject() as? String {
            if skipping.contains(where: { rel == $0 || rel.hasPrefix($0 + "/") }) { continue }
            out.insert(rel)
        }
        return out
    }

    func testHostileFullPkgNameIsBrokenAndNoFileOutsideTheLogDirectoryIsTouched() throws {
        let tree = try TreeFixture(["--ports", "4", "--seed", "1"])
        let leaf = "x11/p0004"
        // LOGDIR is ROOT/logs, so this name from LOGDIR/packages is ROOT/victim.
        let hostile = "../../victim"
        let data = tree.treePath(leaf + "/data")
        let text = try XCTUnwrap(readFile(data))
        XCTAssertTrue(text.contains("\(leaf).FULLPKGNAME=p0004-1.8"), text)
        try writeFile(data, text.replacingOccurrences(of: "\(leaf).FULLPKGNAME=p0004-1.8",
                                                      with: "\(leaf).FULLPKGNAME=\(hostile)"))
        let victim = tree.path("victim")
        try writeFile(victim, "precious\n")
        try writeFile(victim + ".log", "precious log\n")
        let before = entries(tree.root, skipping: ["logs", "ports"])

        let bulk = Bulk(tree: tree)
        let r = try bulk.run(["-j", "2"])
        XCTAssertEqual(r.exitCode, 1, r.output)
        XCTAssertTrue(r.output.contains("broken: \(leaf)"), r.output)
        let log = readFile(bulk.logdir + "/paths/\(leaf).log") ?? ""
        XCTAssertTrue(log.contains("FULLPKGNAME '\(hostile)' starts with '.'"), log)

        // The other ports built; the hostile one left no package log.
        for p in ["p0001-1.4", "p0002-1.4", "p0003-1.9"] {
            XCTAssertTrue(tree.hasPackage(p), p)
            XCTAssertTrue(fileExists(bulk.logdir + "/packages/\(p).log"), p)
        }
        XCTAssertEqual(listDirectory(bulk.logdir + "/packages").sorted(),
                       ["p0001-1.4.log", "p0002-1.4.log", "p0003-1.9.log"])
        // Nothing outside the log directory and the tree appeared or went.
        XCTAssertEqual(entries(tree.root, skipping: ["logs", "ports"]), before)
        XCTAssertEqual(readFile(victim), "precious\n")
        XCTAssertEqual(readFile(victim + ".log"), "precious log\n")
        let attrs = try FileManager.default.attributesOfItem(atPath: victim + ".log")
        XCTAssertEqual(attrs[.type] as? FileAttributeType, .typeRegular)
    }
}
