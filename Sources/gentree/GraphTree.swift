// A tree that follows a graph file (Engine's GraphFile: `CATEGORY/NAME
// SECONDS DEP...` a line) instead of the seeded random shape: the same
// ports, build dependencies and build times, the times scaled so a big
// graph can be built for real in minutes.
import Engine
import Foundation

extension Generator {
    /// Ports of `graph`, each sleeping its seconds x `options.timeScale` in
    /// its build phase. `file` names the graph in errors.
    init(graph: GraphFile, file: String, options: Options) throws {
        self.options = options
        var index: [String: Int] = [:]
        for (k, record) in graph.records.enumerated() {
            let path = record.path
            let line = k < graph.lines.count ? graph.lines[k] : 0
            let parts = path.pkgpath.value.split(separator: "/", omittingEmptySubsequences: false)
            guard path.canonical == path.pkgpath.value, parts.count == 2 else {
                throw UsageError(message: "\(file):\(line): \(path.canonical): a generated tree holds plain "
                                 + "CATEGORY/NAME ports, without flavors, subpackages or deeper paths")
            }
            let seconds = graph.weights[path.canonical] ?? 0
            var p = Port(index: k, category: String(parts[0]), name: String(parts[1]), version: "1.0")
            p.sleepCentis = Int((seconds * options.timeScale * 100).rounded())
            index[path.canonical] = k
            ports.append(p)
        }
        for (k, record) in graph.records.enumerated() {
            ports[k].deps = try record.buildDepends.map { dep in
                guard let t = index[dep.path.canonical], dep.path.canonical == dep.path.pkgpath.value else {
                    let line = k < graph.lines.count ? graph.lines[k] : 0
                    throw UsageError(message: "\(file):\(line): dependency \(dep.path.canonical) is not a plain port of the file")
                }
                return Dep(target: t, type: .build, variant: .bare, form: 0)
            }
        }
        try applyMarks()
    }
}

/// The graph file parsed; unreadable files and bad lines are usage errors
/// naming the file (and line).
func readGraph(_ file: String) throws -> GraphFile {
    let text: String
    do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
        throw UsageError(message: "--graph: cannot read \(file) as UTF-8 text")
    }
    do { return try GraphFile(parsing: text, file: file) } catch { throw UsageError(message: error.description) }
}
