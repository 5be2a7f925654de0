// WAIT_TIMEOUT with the real binary: a MAKE wrapper hides the package
// files of one port's `package` phase and shows them again later, as an
// NFS repository would.
import Foundation
import XCTest

final class PackageWaitEndToEndTests: XCTestCase {
    /// A `make` that, after `package` of `subdir` succeeded, moves the new
    /// package files aside and puts them back after `delay` seconds (never
    /// when nil), from a process outside the job's group.
    func slowRepository(_ tree: TreeFixture, subdir: String, delay: Int?) throws -> String {
        let script = tree.path("slow-make")
        let hide = tree.path("hidden")
        // The job's group is killed once make exits: wait until the mover
        // is in a session of its own (it touches a file once there).
        let back = delay.map {
            "setsid sh -c ': > \"$1.moving\"; sleep \($0); mv \"$1\" \"$2\"' sh \"$h\" \"$a/$f\" >/dev/null 2>&1 </dev/null & "
                + "while [ ! -e \"$h.moving\" ]; do sleep 0.05; done"
        } ?? ":"
        try writeFile(script, """
            #!/bin/sh
            a='\(tree.packagesDir)'
            before=$(ls "$a" 2>/dev/null)
            make "$@"; rc=$?
            [ "$PHASE" = package ] && [ "$SUBDIR" = '\(subdir)' ] && [ $rc = 0 ] || exit $rc
            mkdir -p '\(hide)'
            for f in $(ls "$a"); do
                case " $(echo $before) " in *" $f "*) continue;; esac
                h='\(hide)'/"$f"; mv "$a/$f" "$h"
                unset BULKBUILD_TASK; \(back)
            done
            exit 0

            """)
        chmod(script, 0o755)
        return script
    }

    func testALatePackageIsHThenBuiltAndOnePastWaitTimeoutIsAnError() throws {
        let tree = try TreeFixture(["--ports", "3", "--seed", "5", "--chain"])
        let first = try XCTUnwrap(tree.manifest.ports.first)
        let last = try XCTUnwrap(tree.manifest.ports.last)
        let bulk = Bulk(tree: tree)
        let late = try slowRepository(tree, subdir: first.pkgpath, delay: 3)
        let r = try bulk.run(["-j", "2", "-D", "MAKE=\(late)", "-D", "WAIT_TIMEOUT=60"])
        XCTAssertEqual(r.exitCode, 0, r.output)
        let engine = bulk.lines("engine.log")
        let h = engine.firstIndex { $0.contains(": H: \(first.pkgpath) ") }
        let i = engine.firstIndex { $0.contains(": I: \(first.pkgpath) ") }
        XCTAssertNotNil(h, engine.joined(separator: "\n"))
        XCTAssertLessThan(h ?? .max, i ?? -1, "H comes before I")
        XCTAssertTrue(tree.hasPackage(last.packages[0]), "the chain was not built after the late package")
        let log = readFile(bulk.logdir + "/paths/" + first.pkgpath + ".log") ?? ""
        XCTAssertTrue(log.contains("not visible yet: waiting up to 60 s (WAIT_TIMEOUT)"), log)

        // Again from scratch, with a package that never shows up.
        let tree2 = try TreeFixture(["--ports", "3", "--seed", "5", "--chain"])
        let bulk2 = Bulk(tree: tree2)
        let never = try slowRepository(tree2, subdir: first.pkgpath, delay: nil)
        let r2 = try bulk2.run(["-j", "2", "-D", "MAKE=\(never)", "-D", "WAIT_TIMEOUT=2"])
        XCTAssertEqual(r2.exitCode, 1, r2.output)
        XCTAssertTrue(bulk2.engineLines("H").contains { $0.contains(first.pkgpath) })
        XCTAssertTrue(bulk2.engineLines("E").contains { $0.contains(first.pkgpath) })
        let log2 = readFile(bulk2.logdir + "/paths/" + first.pkgpath + ".log") ?? ""
        XCTAssertTrue(log2.contains("package file not visible after WAIT_TIMEOUT=2 s"), log2)
        XCTAssertFalse(tree2.hasPackage(last.packages[0]))
    }
}
