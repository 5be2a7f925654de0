// A tree's listing is not trusted: values that would run a command in a
// shell (package names, dependency pkgpaths) must be refused by the
// listing checks, and the unusual values that are allowed (`+` and `_` in
// package names, flavors after a comma) must reach the ssh host's shell
// quoted, in SUBDIR and in JUNK_KEEP. Each hostile value would create a
// marker file if a shell ever ran it; the marker must never appear.
import CPosix
import Foundation
@testable import HostPool
import XCTest

final class RemoteShellQuotingTests: SSHBuildTestCase {
    var marker: String { work + "/MARK" }

    /// Leaves of the seed-7 tree (nothing depends on them) get hostile
    /// values; the others get allowed but unusual names.
    func makeHostileTree(_ name: String) throws -> String {
        let tree = try makeTree(["--ports", "12", "--seed", "7", "--sleep", "0.2", "--flavored", "1",
                                 "--categories", "3"], name: name)
        let touch = "touch \(marker)"
        try edit(tree, "www/p0009", "www/p0009.FULLPKGNAME=p0009-1.0", "www/p0009.FULLPKGNAME=p$(\(touch))-1.0")
        try edit(tree, "lang/p0011", "lang/p0011.FULLPKGNAME=p0011-1.1", "lang/p0011.FULLPKGNAME=p`\(touch)`-1.1")
        try edit(tree, "www/p0012", "www/p0012.FULLPKGNAME=p0012-1.9", "www/p0012.FULLPKGNAME=p;\(touch);-1.9")
        // A quote that would end a single-quoted word, in a dependency.
        // Last in its section, so no BUILD_DEPENDS line of the tree's own
        // comes after it.
        appendFile("\(tree)/devel/p0010/data", "devel/p0010.BUILD_DEPENDS=devel/p0007,a'$(\(touch))'\n")
        // www/p0003 is needed by others: its new name is in their NEEDS,
        // their dependency patterns and the pkgdb that junk cleans.
        for p in ["www/p0003", "lang/p0005", "lang/p0008", "lang/p0011"] {
            try edit(tree, p, "p0003-", "p0003+gtk-")
        }
        try edit(tree, "devel/p0007", "p0007-1.0-a", "p0007+x_y-1.0-a")
        return tree
    }

    /// Replaces every `old` in PKGPATH/data, which must hold it.
    func edit(_ tree: String, _ pkgpath: String, _ old: String, _ new: String) throws {
        let data = "\(tree)/\(pkgpath)/data"
        let text = try XCTUnwrap(readWholeFile(data), data)
        XCTAssertTrue(text.contains(old), "\(data) has no \(old): \(text)")
        writeFile(data, text.replacingOccurrences(of: old, with: new))
    }

    /// Package file names the run left in the tree's repository.
    func packages(_ tree: String) -> Set<String> {
        var out = Set<String>()
        let walk = FileManager.default.enumerator(atPath: tree + "/packages")
        while let rel = walk?.nextObject() as? String {
            if rel.hasSuffix(".tgz") { out.insert((rel as NSString).lastPathComponent) }
        }
        return out
    }

    /// Builds the hostile tree on one ssh host that junks after every
    /// build, checks statuses, names and junk runs; returns hosts.log.
    func buildHostileTree(_ name: String, extra: [String]) throws -> [String] {
        let tree = try makeHostileTree(name)
        let logdir = "\(work)/logs-\(name)"
        writeFile("\(work)/hosts", "b1 jobs=2 junk=1\n")
        // The hostile ports too: had the listing let their names through,
        // JUNK_KEEP would carry them.
        writeFile("\(work)/keep", "devel/p0007,a\nwww/p0003\nwww/p0009\nlang/p0011\nwww/p0012\n")
        let paths = (1...12).filter { $0 != 7 }.map { n in
            ["devel", "lang", "www"][(n - 1) % 3] + "/p" + String(format: "%04d", n)
        } + ["devel/p0007,a", "devel/p0007,b"]
        let pid = try startBulkbuild(["-D", "PORTSDIR=\(tree)", "-L", logdir, "-D", "SSH_CONFIG=\(ssh.configPath)",
                                      "-h", "\(work)/hosts", "-X", "\(work)/keep"] + extra + paths, name: name)
        let status = wait(pid, timeout: 180)
        let out = readWholeFile("\(work)/\(name).out") ?? ""
        XCTAssertEqual(status, 1, "broken ports make the run end 1: \(out)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "a hostile value ran in a shell: \(out)")
        for p in ["www/p0009", "lang/p0011", "www/p0012", "devel/p0010"] {
            XCTAssertTrue(out.contains("broken: \(p)"), "\(p): \(out)")
        }
        let log = readWholeFile("\(logdir)/paths/www/p0009.log") ?? ""
        XCTAssertTrue(log.contains("FULLPKGNAME 'p$(touch \(marker))-1.0' character '$' is not allowed"), log)

        XCTAssertEqual(packages(tree), ["p0001-1.8.tgz", "p0002-1.2.tgz", "p0003+gtk-1.5.tgz", "p0004-1.8.tgz",
                                        "p0005-1.0.tgz", "p0006-1.1.tgz", "p0007-1.0.tgz", "p0007+x_y-1.0-a.tgz",
                                        "p0007-1.0-b.tgz", "p0008-1.9.tgz"], out)
        // Flavored paths reached the remote make as one SUBDIR word each.
        XCTAssertTrue(logLines(logdir, "build.log").contains { $0.hasPrefix("devel/p0007,a b1/") },
                      logLines(logdir, "build.log").joined(separator: "\n"))
        // JUNK_KEEP arrived as one value: the gentree junk target prints it.
        let junk = logLines(logdir, "junk.b1.log").filter { $0.contains("===> junk:") }
        XCTAssertFalse(junk.isEmpty, "junk never ran on b1")
        XCTAssertTrue(junk.contains { line in
            let kept = line.components(separatedBy: "kept: ").last?.split(separator: " ").map(String.init) ?? []
            return kept.contains("p0007+x_y-1.0-a") && kept.contains("p0003+gtk-1.5")
        }, junk.joined(separator: "\n"))
        return logLines(logdir, "hosts.log")
    }

    func testHostileListingValuesNeverReachTheRemoteShell() throws {
        try ssh.startServer(alias: "b1")
        let channels = try buildHostileTree("channels", extra: ["-D", "SSH_AGENT=0"])
        XCTAssertTrue(channels.contains { $0.contains("b1 up:") && $0.hasSuffix("tasks by channels") },
                      channels.joined(separator: "\n"))
        let agent = try buildHostileTree("agent", extra: [])
        XCTAssertTrue(agent.contains { $0.contains("b1 up:") && $0.hasSuffix("tasks by agent") },
                      agent.joined(separator: "\n"))
        // A hostile pkgpath argument is refused before anything runs.
        let r = runCommand([try productPath("bulkbuild"), "-D", "PORTSDIR=\(work)/agent", "-L", "\(work)/logs-arg",
                            "-D", "SSH_CONFIG=\(ssh.configPath)", "-h", "\(work)/hosts", "-D", "SSH_AGENT=0",
                            "devel/p0001,$(touch \(marker))"])
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }
}
