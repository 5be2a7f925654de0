// bulkbuild-gentree --graph: a tree that follows a graph file, checked on
// the committed 400-source Debian cut through the real bulkbuild binary.
import Foundation
import XCTest

final class GentreeGraphTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("bench/debian-cut-400.graph").path

    /// Ports, dependency count and centisecond-rounded work of a graph file.
    func readGraph(_ path: String) throws -> (ports: [String: [String]], edges: Int, work: Double) {
        let text = try XCTUnwrap(readFile(path), path)
        var ports: [String: [String]] = [:]
        var edges = 0, work = 0.0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let w = line.split(separator: " ").map(String.init)
            guard w.count >= 2 else { continue }
            ports[w[0]] = Array(w.dropFirst(2))
            edges += w.count - 2
            work += ((Double(w[1]) ?? -1) * 100).rounded() / 100
        }
        return (ports, edges, work)
    }

    func testTreeOfTheDebianCutListsAndSimulatesWithItsExactTimes() throws {
        let graph = try readGraph(Self.fixture)
        XCTAssertEqual(graph.ports.count, 400)
        let tree = try TreeFixture(["--graph", Self.fixture, "--time-scale", "1"], prefix: "gentree-graph")
        XCTAssertEqual(Set(tree.manifest.ports.map { $0.pkgpath }), Set(graph.ports.keys))
        for p in tree.manifest.ports {
            XCTAssertEqual(Set(p.deps), Set(graph.ports[p.pkgpath] ?? ["?"]), p.pkgpath)
        }
        // What bulkbuild lists: the tree protocol's dump-vars of the whole tree.
        let dump = try tree.make("dump-vars")
        XCTAssertTrue(dump.succeeded, dump.output)
        let heads = dump.stdout.split(separator: "\n").filter { $0.hasPrefix("===> ") }
        XCTAssertEqual(heads.count, 400)
        let listedEdges = dump.stdout.split(separator: "\n").filter { $0.contains(".BUILD_DEPENDS=") }
            .reduce(0) { $0 + ($1.split(separator: "=", maxSplits: 1).last?.split(separator: " ").count ?? 0) }
        XCTAssertEqual(listedEdges, graph.edges)

        let bulk = Bulk(tree: tree)
        let r = try runProcess([try Products.bulkbuild(), "simulate", "--json", "-j", "8"] + bulk.args([]), timeout: 300)
        XCTAssertEqual(r.exitCode, 0, r.output)
        let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], r.stdout)
        func number(_ key: String) -> Double { (json[key] as? NSNumber)?.doubleValue ?? -1 }
        XCTAssertEqual(number("built"), 400)
        XCTAssertEqual(number("paths_with_history"), 400, "the tree's history covers every port")
        XCTAssertEqual(number("work_s"), graph.work, accuracy: 1, "history holds the graph's exact times")
        let naive = number("lower_bound_s"), tight = number("tight_lower_bound_s"), makespan = number("makespan_s")
        XCTAssertEqual(naive, max(number("critical_path_s"), graph.work / 8), accuracy: 1)
        XCTAssertGreaterThanOrEqual(tight, naive - 0.01)
        XCTAssertGreaterThanOrEqual(makespan, tight - 0.01)
    }

    func testBadGraphsAndClashingOptionsAreUsageErrors() throws {
        let gen = try Products.gentree()
        let tmp = try makeTempDir(prefix: "gentree-graph-bad")
        defer { removeTree(tmp) }
        try writeFile(tmp + "/missing-dep", "debian/a 1\n# comment\ndebian/b 2 debian/zz\n")
        try writeFile(tmp + "/bad-seconds", "debian/a soon\n")
        try writeFile(tmp + "/bad-name", "debian/a 1\n/debian/b 1\n")
        try writeFile(tmp + "/flavored", "debian/a,x 1\n")
        try writeFile(tmp + "/deep", "debian/a 1\na/b/c 2 debian/a\n")
        let cases: [([String], String)] = [
            ([tmp + "/t1", "--graph", tmp + "/missing-dep"], "missing-dep:3: dependency debian/zz"),
            ([tmp + "/t2", "--graph", tmp + "/bad-seconds"], "bad-seconds:1: expected"),
            ([tmp + "/t3", "--graph", tmp + "/bad-name"], "bad-name:2: invalid pkgpath"),
            ([tmp + "/t4", "--graph", tmp + "/flavored"], "flavored:1: debian/a,x"),
            ([tmp + "/t5", "--graph", tmp + "/deep"], "deep:2: a/b/c"),
            ([tmp + "/t6", "--graph", tmp + "/nonexistent"], "cannot read"),
            ([tmp + "/t7", "--graph", Self.fixture, "--ports", "5"], "--ports cannot be used with --graph"),
            ([tmp + "/t8", "--graph", Self.fixture, "--sleep", "1"], "--sleep cannot be used with --graph"),
            ([tmp + "/t9", "--time-scale", "0.5"], "--time-scale needs --graph"),
            ([tmp + "/t10", "--graph", Self.fixture, "--time-scale", "-1"], "--time-scale: '-1'"),
        ]
        for (args, needle) in cases {
            let r = try runProcess([gen] + args)
            XCTAssertEqual(r.exitCode, 2, "\(args): \(r.output)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): expected '\(needle)' in \(r.stderr)")
        }
        XCTAssertFalse(fileExists(tmp + "/t1"), "a bad graph writes no tree")
    }
}
