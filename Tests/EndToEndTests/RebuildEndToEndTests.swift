// -R with the real binary on a generated chain: a port whose version
// changes is built under its new name, what is built against it is
// rebuilt, transitively, and nothing else; a second -R rebuilds nothing.
import Foundation
import XCTest

final class RebuildEndToEndTests: XCTestCase {
    /// Gives `old` (a FULLPKGNAME) a new version everywhere in the tree:
    /// its port's data and its dependents' lists of needed packages.
    func bump(_ tree: TreeFixture, _ old: String, to new: String) throws {
        for p in tree.manifest.ports {
            let data = tree.treePath(p.pkgpath + "/data")
            let text = readFile(data) ?? ""
            if text.contains(old) { try writeFile(data, text.replacingOccurrences(of: old, with: new)) }
        }
    }

    func testABumpedPortAndWhatIsBuiltAgainstItAreRebuiltThenNothing() throws {
        let tree = try TreeFixture(["--ports", "5", "--seed", "3", "--chain"])
        let ports = tree.manifest.ports
        XCTAssertEqual(ports.count, 5)
        let bulk = Bulk(tree: tree)
        let first = try bulk.run(["-j", "2"])
        XCTAssertEqual(first.exitCode, 0, first.output)
        // Each port of the chain but the last has one dependent.
        XCTAssertEqual(bulk.lines("dependencies.log"), ports.dropLast().map { "\($0.pkgpath) 1" }.sorted())
        let signatures = readFile(tree.treePath("distfiles/build-stats/" + tree.arch + "-signatures")) ?? ""
        XCTAssertEqual(signatures.split(separator: "\n").count, 5, signatures)
        XCTAssertTrue(signatures.contains("\(ports[1].pkgpath) \(ports[1].packages[0]) \(ports[0].packages[0])\n"), signatures)

        let old = ports[2].packages[0]
        let new = old + "p1"
        try bump(tree, old, to: new)
        let built = tree.builtLog().count
        let r = try bulk.run(["-j", "2", "-R"])
        XCTAssertEqual(r.exitCode, 0, r.output)
        let rebuilt = tree.builtLog().dropFirst(built).map { $0.fullpkgpath }
        XCTAssertEqual(Set(rebuilt), Set(ports[2...].map { $0.pkgpath }), "\(rebuilt)")
        XCTAssertEqual(rebuilt.count, 3, "\(rebuilt)")
        XCTAssertTrue(tree.hasPackage(new))
        let log = bulk.lines("rebuild.log")
        XCTAssertEqual(log, ["\(ports[3].pkgpath) \(ports[3].packages[0]) rebuilt: signature changed: -\(old) +\(new)",
                             "\(ports[4].pkgpath) \(ports[4].packages[0]) rebuilt: built against rebuilt \(ports[3].packages[0])"])
        XCTAssertTrue(r.stdout.contains("-R: 2 rebuilt, 0 kept with an unknown signature"), r.stdout)

        let after = tree.builtLog().count
        let again = try bulk.run(["-j", "2", "-R"])
        XCTAssertEqual(again.exitCode, 0, again.output)
        XCTAssertEqual(tree.builtLog().count, after, "a second -R rebuilt something")
        XCTAssertEqual(bulk.lines("rebuild.log"), log)
    }
}
