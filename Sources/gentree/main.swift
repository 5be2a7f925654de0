// bulkbuild-gentree: writes a synthetic ports tree for tests and benchmarks.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line to standard error (fd 2: the C `stderr` global is shared
/// mutable state to Swift 6).
func printError(_ line: String) {
    var text = line + "\n"
    _ = text.withUTF8 { write(2, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    printError("bulkbuild-gentree: \(message)")
    printError("Try 'bulkbuild-gentree --help'.")
    exit(2)
}

func machineArch() -> String {
    var u = utsname()
    guard uname(&u) == 0 else { return "unknown" }
    return withUnsafeBytes(of: &u.machine) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}

/// DIR must be missing (it is created) or an empty directory.
func prepareRoot(_ dir: String) -> String {
    var st = stat()
    if stat(dir, &st) == 0 {
        guard (st.st_mode & S_IFMT) == S_IFDIR else { fail("\(dir) exists and is not a directory") }
        guard let d = opendir(dir) else { fail("cannot read \(dir): \(String(cString: strerror(errno)))") }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { fail("\(dir) is not empty") }
        }
    } else {
        // Create it and any missing parents.
        var path = dir.hasPrefix("/") ? "" : "."
        for comp in dir.split(separator: "/") {
            path += "/" + comp
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                fail("cannot create \(path): \(String(cString: strerror(errno)))")
            }
        }
    }
    guard let real = realpath(dir, nil) else { fail("cannot resolve \(dir): \(String(cString: strerror(errno)))") }
    defer { free(real) }
    return String(cString: real)
}

func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let options: Options
do {
    options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch let e as UsageError {
    fail(e.message)
} catch {
    fail("\(error)")
}
if options.help {
    print(Options.usage)
    exit(0)
}

let started = monotonic()
let generator: Generator
do {
    if let file = options.graph {
        generator = try Generator(graph: try readGraph(file), file: file, options: options)
    } else {
        generator = try Generator(options: options)
    }
} catch let e as UsageError {
    fail(e.message)
} catch {
    fail("\(error)")
}
let root = prepareRoot(options.dir)
var writer = Writer(gen: generator, root: root, arch: options.arch ?? machineArch())
do {
    try writer.writeTree()
} catch let e as WriteError {
    printError("bulkbuild-gentree: \(e.message)")
    exit(2)
} catch {
    printError("bulkbuild-gentree: \(error)")
    exit(2)
}
let ports = generator.ports
let edges = ports.reduce(0) { $0 + $1.deps.count }
let elapsed = monotonic() - started
print("bulkbuild-gentree: \(ports.count) ports (\(options.flavored) flavored, \(options.multi) multi, "
      + "\(options.ignored) ignored, \(edges) dependencies) in \(root): "
      + "\(writer.files) files in \(Int(elapsed * 1000)) ms")
