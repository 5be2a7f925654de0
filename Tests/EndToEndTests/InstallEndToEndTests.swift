// -I with the real binary: the paths named are built with what they need,
// then installed into the tree's LOCALBASE by its `install` target.
import Foundation
import XCTest

final class InstallEndToEndTests: XCTestCase {
    func testInstallsTheNamedPathsIntoLocalbaseAndSaysSo() throws {
        let tree = try TreeFixture(["--ports", "4", "--seed", "2", "--chain"])
        let ports = tree.manifest.ports
        let bulk = Bulk(tree: tree)
        let top = ports[2]
        let r = try bulk.run(["-j", "2", "-I", top.pkgpath])
        XCTAssertEqual(r.exitCode, 0, r.output)
        let installed = listDirectory(tree.treePath("localbase/installed"))
        XCTAssertEqual(installed, [top.packages[0] + ".tgz"])
        // What it needs was built, the port after it in the chain was not.
        XCTAssertTrue(tree.hasPackage(ports[0].packages[0]))
        XCTAssertFalse(tree.hasPackage(ports[3].packages[0]))
        XCTAssertTrue(r.stdout.contains("bulkbuild: installed: \(top.packages[0]) (\(top.pkgpath))"), r.stdout)
        XCTAssertTrue(bulk.file("install.log").contains("===> Installed \(top.packages[0])"), bulk.file("install.log"))

        let missing = try bulk.run(["-j", "2", "-I", "devel/nonexistent"])
        XCTAssertEqual(missing.exitCode, 1, missing.output)
        XCTAssertTrue(missing.stdout.contains("not installed: devel/nonexistent (not built)"), missing.stdout)
    }
}
