import Engine
import Foundation

// --graph FILE: sections (d) and (e) on a graph read from a file, such as
// the source-package graph Tests/bench/debian-graph.py derives from
// Debian's package index, with its durations as exact history.

func loadGraph(_ file: String) -> Graph {
    func fail(_ text: String) -> Never {
        FileHandle.standardError.write(Data("bulkbuild-bench: \(text)\n".utf8))
        exit(2)
    }
    guard let data = FileManager.default.contents(atPath: file) else { fail("\(file): cannot read it") }
    guard let text = String(data: data, encoding: .utf8) else { fail("\(file): not UTF-8 text") }
    let parsed: GraphFile
    do { parsed = try GraphFile(parsing: text, file: file) } catch { fail(error.description) }
    var g = Graph(records: parsed.records, weights: parsed.weights, edges: parsed.edges)
    for r in parsed.records { for d in r.buildDepends { g.dependents[d.path.canonical, default: 0] += 1 } }
    return g
}

func measureGraphFile(_ file: String, seed: UInt64) {
    let g = loadGraph(file)
    let top = g.dependents.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3)
    print("bulkbuild-bench: \(file): \(g.records.count) ports, \(g.edges) dependencies")
    print("  most depended upon: " + top.map { "\($0.key) (\($0.value))" }.joined(separator: ", "))
    let name = (file as NSString).lastPathComponent
    printBoundsTable(name, g, moreHosts: true)
    printParallelTable(name, g, seed: seed)
}
