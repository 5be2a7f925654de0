// The shape of a synthetic tree: ports, variants, dependencies. Pure data,
// deterministic for a seed; Writer turns it into files.

/// SplitMix64: small, fast and identical on every platform.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x5DEE_CE66_D1CE_4E5B }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    /// k distinct indices of 0..<n, in ascending order.
    mutating func pick(_ k: Int, of n: Int) -> [Int] {
        var all = Array(0..<n)
        for j in 0..<min(k, n) {
            all.swapAt(j, j + below(n - j))
        }
        return all.prefix(k).sorted()
    }
}

enum PortKind: String { case plain, flavored, multi }
enum DepType { case build, lib, run }

/// Which variant of a dependency target a word names.
enum Variant: Equatable {
    case bare
    case flavor(String)
    case sub(String)
}

struct Dep {
    var target: Int
    var type: DepType
    var variant: Variant
    var form: Int          // 0: path, 1: stem-*:path, 2: stem->=1.0:path
}

struct Port {
    var index: Int
    var category: String
    var name: String
    var version: String
    var kind: PortKind = .plain
    var deps: [Dep] = []
    var properties: [String] = []
    var sleepCentis = 0
    var ignored = false
    var garbage = false
    var fail = false
    var missingDep = false

    var pkgpath: String { category + "/" + name }
    var lockName: String { category + "." + name }

    static let flavors = ["a", "b"]
    static let subpackages = ["-main", "-lib"]

    /// Package name (no .tgz) of one variant of this port.
    func packageName(_ v: Variant) -> String {
        switch v {
        case .bare: return "\(name)-\(version)"
        case .flavor(let f): return "\(name)-\(version)-\(f)"
        case .sub(let s): return s == "-main" ? "\(name)-\(version)" : "\(name)\(s)-\(version)"
        }
    }

    /// The variant a dependency word really refers to (defaults resolved).
    func resolve(_ v: Variant) -> Variant {
        switch (kind, v) {
        case (.multi, .bare): return .sub("-main")
        case (.plain, _): return .bare
        default: return v
        }
    }

    /// Every package a build of this variant produces.
    func packagesBuilt(_ v: Variant) -> [String] {
        switch kind {
        case .multi: return Port.subpackages.map { packageName(.sub($0)) }
        default: return [packageName(v)]
        }
    }

    /// Every package of the port, all variants.
    var allPackages: [String] {
        switch kind {
        case .plain: return [packageName(.bare)]
        case .flavored: return [packageName(.bare)] + Port.flavors.map { packageName(.flavor($0)) }
        case .multi: return packagesBuilt(.bare)
        }
    }

    /// Fullpkgpaths of all variants, default first.
    var fullpkgpaths: [String] {
        switch kind {
        case .plain: return [pkgpath]
        case .flavored: return [pkgpath] + Port.flavors.map { pkgpath + "," + $0 }
        case .multi: return Port.subpackages.map { pkgpath + "," + $0 }
        }
    }
}

struct Generator {
    static let categoryNames = [
        "devel", "lang", "www", "x11", "net", "textproc", "databases", "security",
        "graphics", "audio", "mail", "misc", "math", "sysutils", "archivers",
        "converters", "editors", "games", "print", "shells", "multimedia", "fonts",
        "geo", "emulators",
    ]

    let options: Options
    var ports: [Port] = []

    init(options: Options) throws {
        self.options = options
        var rng = SeededRandom(seed: options.seed)
        let n = options.ports
        let width = max(4, String(n).count)
        let cats = Array(Generator.categoryNames.prefix(options.categories))
        ports.reserveCapacity(n)
        for i in 0..<n {
            let digits = String(i + 1)
            let name = "p" + String(repeating: "0", count: width - digits.count) + digits
            let version = "1.\(rng.below(10))"
            var p = Port(index: i, category: cats[i % cats.count], name: name, version: version)
            let r = rng.unit()
            if r < 0.10 { p.properties.append("parallel") }
            if rng.chance(0.03) { p.properties.append("nojunk") }
            if rng.chance(0.01) { p.properties.append("tag:big") }
            let span = options.sleepMax - options.sleepMin
            let secs = options.sleepMin + (span > 0 ? span * rng.unit() : 0)
            p.sleepCentis = Int((secs * 100).rounded())
            ports.append(p)
        }
        // Kinds: flavored and multi are disjoint sets.
        let special = rng.pick(options.flavored + options.multi, of: n)
        var order = special
        for j in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(j, rng.below(j + 1)) }
        for (j, idx) in order.enumerated() {
            ports[idx].kind = j < options.flavored ? .flavored : .multi
        }
        for idx in rng.pick(options.ignored, of: n) { ports[idx].ignored = true }

        // Dependencies: only towards earlier ports, so the graph is a DAG.
        for i in 0..<n {
            var deps: [Dep] = []
            if options.chain {
                if i > 0 { deps.append(Dep(target: i - 1, type: .build, variant: .bare, form: rng.below(3))) }
            } else {
                let k = rng.below(min(options.maxDeps, i) + 1)
                var chosen: [Int] = []
                var tries = 0
                while chosen.count < k && tries < 8 * k {
                    tries += 1
                    let t: Int
                    if rng.chance(0.5) {
                        let lo = max(0, i - 64)
                        t = lo + rng.below(i - lo)
                    } else {
                        t = rng.below(i)
                    }
                    if chosen.contains(t) { continue }
                    chosen.append(t)
                }
                for t in chosen {
                    let r = rng.unit()
                    let type: DepType = r < 0.5 ? .build : (r < 0.75 ? .lib : .run)
                    var v = Variant.bare
                    switch ports[t].kind {
                    case .plain: break
                    case .flavored:
                        let x = rng.below(4)
                        v = x < 2 ? .bare : .flavor(Port.flavors[x - 2])
                    case .multi:
                        let x = rng.below(10)
                        v = x < 4 ? .bare : .sub(x < 7 ? "-main" : "-lib")
                    }
                    deps.append(Dep(target: t, type: type, variant: v, form: rng.below(3)))
                }
            }
            ports[i].deps = deps
        }

        try applyMarks()
    }

    /// --fail, --garbage and --missing-dep.
    mutating func applyMarks() throws {
        try mark(options.fail, "--fail") { $0.fail = true }
        try mark(options.garbage, "--garbage") { $0.garbage = true }
        try mark(options.missingDep, "--missing-dep") { $0.missingDep = true }
    }

    private mutating func mark(_ names: [String], _ flag: String, _ f: (inout Port) -> Void) throws {
        for name in names {
            guard let idx = lookup(name) else {
                throw UsageError(message: "\(flag): no port '\(name)' in the generated tree")
            }
            f(&ports[idx])
        }
    }

    /// Index of a port named cat/name or name.
    func lookup(_ s: String) -> Int? {
        if options.graph != nil { return ports.firstIndex { $0.pkgpath == s || $0.name == s } }
        let name = s.split(separator: "/").last.map(String.init) ?? s
        guard name.count > 1, name.first == "p", let num = Int(name.dropFirst()), num >= 1, num <= ports.count else {
            return nil
        }
        let p = ports[num - 1]
        guard p.name == name, s == name || s == p.pkgpath else { return nil }
        return num - 1
    }

    // MARK: dependency words and package sets

    func word(_ d: Dep) -> String {
        let t = ports[d.target]
        var path = t.pkgpath
        var stem = t.name
        switch d.variant {
        case .bare: break
        case .flavor(let f): path += "," + f
        case .sub(let s):
            path += "," + s
            if s != "-main" { stem += s }
        }
        switch d.form {
        case 1: return stem + "-*:" + path
        case 2: return stem + "->=1.0:" + path
        default: return path
        }
    }

    /// Packages that the run dependencies of one variant of a port need
    /// (one level: the packages its LIB_DEPENDS and RUN_DEPENDS name).
    func runPackages(of p: Port, _ v: Variant) -> [String] {
        var out: [String] = []
        for d in p.deps where d.type != .build {
            if p.kind == .multi, case .sub("-lib") = v, d.type == .run { continue }
            let t = ports[d.target]
            out.append(t.packageName(t.resolve(d.variant)))
        }
        if p.kind == .multi, v == .sub("-main") { out.append(p.packageName(.sub("-lib"))) }
        return out
    }

    static let missingPackage = "doesnotexist-0"
    static let missingPath = "devel/doesnotexist"

    /// Package files that must exist before this port may build: the
    /// packages of its build dependencies (BUILD_DEPENDS and LIB_DEPENDS)
    /// and the packages of their run dependencies.
    func neededPackages(_ p: Port) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        let own = Set(p.allPackages)
        func add(_ s: String) {
            if !own.contains(s) && seen.insert(s).inserted { out.append(s) }
        }
        for d in p.deps where d.type != .run {
            let t = ports[d.target]
            let v = t.resolve(d.variant)
            add(t.packageName(v))
            for r in runPackages(of: t, v) { add(r) }
        }
        if p.missingDep { add(Generator.missingPackage) }
        return out.sorted()
    }
}
