import XCTest
@testable import Engine

/// A fullpkgpath the test knows to be valid.
func fp(_ text: String) -> FullPkgPath {
    do { return try FullPkgPath(text) } catch { fatalError("test path \(text): \(error)") }
}

/// A dependency word the test knows to be valid.
func dep(_ word: String) -> Dependency {
    switch Dependency.parse(word) {
    case .success(let d): return d
    case .failure(let e): fatalError("test dependency \(word): \(e)")
    }
}

/// A hand-made record: pkgname defaults to the last pkgpath component + `-1.0`.
func port(_ path: String, pkgname: String? = nil, build: [String] = [], run: [String] = [],
          ignore: String? = nil, broken: String? = nil, exists: Bool = false) -> PortRecord {
    let p = fp(path)
    let name = pkgname ?? (String(p.pkgpath.value.split(separator: "/").last!) + "-1.0")
    return PortRecord(path: p, pkgname: name, buildDepends: build.map(dep), runDepends: run.map(dep),
                      ignore: ignore, broken: broken, packageExists: exists)
}

/// engine.log without the time stamp: `L subject[ extra]`.
func render(_ c: StateChange) -> String {
    c.extra.isEmpty ? "\(c.state.letter) \(c.subject)" : "\(c.state.letter) \(c.subject) \(c.extra)"
}

/// Answers listing requests the way a ports tree would: a record for each
/// path it knows, an equivalence plus the target's record for an alias,
/// and silence for anything else.
struct FakeTree {
    var records: [FullPkgPath: PortRecord] = [:]
    var aliases: [FullPkgPath: FullPkgPath] = [:]
    var nonexistent: Set<FullPkgPath> = []
    /// Directories print every path they hold: asking for one prints all
    /// records with the same bare pkgpath.
    var wholeDirectories = true

    init(_ ports: [PortRecord], aliases: [String: String] = [:]) {
        for p in ports { records[p.path] = p }
        for (a, b) in aliases { self.aliases[fp(a)] = fp(b) }
    }

    func answer(_ asked: [FullPkgPath]) -> ListingResult {
        var result = ListingResult()
        var printed = Set<FullPkgPath>()
        func print(_ target: FullPkgPath) {
            let group = wholeDirectories
                ? records.values.filter { $0.path.pkgpath == target.pkgpath }.sorted { $0.path < $1.path }
                : records[target].map { [$0] } ?? []
            for r in group where printed.insert(r.path).inserted { result.records.append(r) }
        }
        for path in asked {
            if nonexistent.contains(path) {
                result.nonexistent.append(path)
            } else if let target = aliases[path] {
                result.equivalences.append((path, target))
                print(target)
            } else if records[path] != nil {
                print(path)
            }
        }
        return result
    }
}

/// An engine, a fake tree, and helpers that drive the engine the way the
/// coordinator does, collecting engine.log lines as they come.
final class Harness {
    let engine: BuildEngine
    var tree: FakeTree
    /// What each listing round asked for.
    var rounds: [[String]] = []

    init(_ ports: [PortRecord], aliases: [String: String] = [:], engine: BuildEngine = BuildEngine()) {
        self.engine = engine
        self.tree = FakeTree(ports, aliases: aliases)
    }

    /// Requests paths and lists until the engine asks for nothing more.
    func request(_ paths: [String], limit: Int = 1000) {
        engine.request(paths.map(fp))
        listAll(limit: limit)
    }

    func listAll(limit: Int = 1000) {
        while true {
            let asked = engine.takePathsToList(limit: limit)
            if asked.isEmpty { return }
            rounds.append(asked.map(\.canonical))
            engine.listed(tree.answer(asked), requested: asked)
        }
    }

    /// engine.log lines since the last call.
    func log() -> [String] { engine.takeChanges().map(render) }

    func state(_ path: String) -> PortState? { engine.state(of: fp(path)) }

    /// The next job, without starting it.
    func next() -> String? { engine.nextJob()?.path.canonical }

    /// Takes exactly `path` from the queue and starts it.
    func start(_ path: String, host: String = "h1", file: StaticString = #filePath, line: UInt = #line) {
        guard let r = engine.nextJob(accepting: { $0.path == fp(path) }) else {
            XCTFail("\(path) is not buildable (state \(String(describing: state(path))))", file: file, line: line)
            return
        }
        engine.started(r.path, host: host)
    }

    /// Starts `path` and ends its job with `result`.
    func run(_ path: String, _ result: BuildEngine.JobResult = .built(alsoBuilt: []), host: String = "h1",
             file: StaticString = #filePath, line: UInt = #line) {
        start(path, host: host, file: file, line: line)
        engine.finished(fp(path), result)
    }

    /// Builds whatever comes next until nothing is buildable; returns the
    /// order in which paths were built.
    @discardableResult
    func buildEverything() -> [String] {
        var order: [String] = []
        while let r = engine.nextJob() {
            engine.started(r.path, host: "h1")
            engine.finished(r.path, .built(alsoBuilt: []))
            order.append(r.path.canonical)
        }
        return order
    }
}

