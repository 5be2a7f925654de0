import Engine
import HostPool
import Foundation

/// What the path lists on the command line ask for.
public struct PathRequest {
    public var paths: [FullPkgPath] = []
    /// `file*scale`: multiply these paths' weights.
    public var scales: [FullPkgPath: Double] = [:]
    /// `pkgpath=value`: set the weight.
    public var weights: [FullPkgPath: Double] = [:]
    public init() {}
}

/// Reads one path list argument: a pkgpath, a file of pkgpaths,
/// `file*scale` or `pkgpath=value`. `portsdir` decides, for a word that is
/// both a file name and a pkgpath, that the pkgpath wins when it exists in
/// the tree.
public func readPathList(_ arg: String, into req: inout PathRequest, portsdir: String) throws {
    // An empty "$VAR" in a script: say so rather than build the whole tree.
    guard let firstField = arg.split(separator: ",").first, !arg.allSatisfy({ $0 == " " || $0 == "\t" }) else {
        throw UsageError(description: "empty path list argument '\(arg)' (expected a pkgpath like devel/gmake, a file of pkgpaths, file*scale or pkgpath=value)")
    }
    if let eq = arg.lastIndex(of: "="), !FileManager.default.fileExists(atPath: arg) {
        let name = String(arg[..<eq])
        let valueText = String(arg[arg.index(after: eq)...])
        // Bounded like the -D durations, so that sums of weights stay in Int range.
        guard let value = Double(valueText), value >= 0, value < 1e9 else {
            throw UsageError(description: "'\(arg)': pkgpath=value needs a number of seconds (0 to 999999999) after '=', got '\(valueText)'")
        }
        let path = try checkedPath(name, context: "'\(arg)'")
        req.paths.append(path)
        req.weights[path] = value
        return
    }
    var file = arg
    var scale: Double?
    if let star = arg.lastIndex(of: "*") {
        file = String(arg[..<star])
        let s = String(arg[arg.index(after: star)...])
        guard let v = Double(s), v > 0, v <= 1e6 else {
            throw UsageError(description: "'\(arg)': file*scale needs a positive number up to 1000000 after '*', got '\(s)'")
        }
        scale = v
        guard FileManager.default.fileExists(atPath: file) else {
            throw UsageError(description: "'\(arg)': no such file '\(file)'")
        }
    }
    var isDir: ObjCBool = false
    let inTree = FileManager.default.fileExists(atPath: portsdir + "/" + firstField, isDirectory: &isDir) && isDir.boolValue
    if scale == nil, (!FileManager.default.fileExists(atPath: file) || inTree) {
        req.paths.append(try checkedPath(arg, context: "argument '\(arg)'"))
        return
    }
    try readPathFile(file, scale: scale, into: &req)
}

/// A file of pkgpaths, one per line; `#` comments and blank lines are skipped.
public func readPathFile(_ file: String, scale: Double? = nil, into req: inout PathRequest) throws {
    guard let data = FileManager.default.contents(atPath: file) else {
        var isDir: ObjCBool = false
        let why = FileManager.default.fileExists(atPath: file, isDirectory: &isDir)
            ? (isDir.boolValue ? ": it is a directory" : "") : ": no such file"
        throw UsageError(description: "\(file): cannot read path list\(why)")
    }
    let before = req.paths.count
    for (n, bytes) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
        guard let raw = String(validating: bytes, as: UTF8.self) else {
            throw UsageError(description: "\(file):\(n + 1): not UTF-8 text (expected a pkgpath like devel/gmake)")
        }
        var line = Substring(raw)
        if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
        let word = line.trimmingCharacters(in: .whitespaces)
        if word.isEmpty { continue }
        let path = try checkedPath(word, context: "\(file):\(n + 1)")
        req.paths.append(path)
        if let scale { req.scales[path] = scale }
    }
    // As with an empty argument: a list that came out empty must not turn
    // into a build of the whole tree.
    if req.paths.count == before {
        throw UsageError(description: "\(file): the path list names no pkgpath (give -a to build the whole tree)")
    }
}

public func checkedPath(_ text: String, context: String) throws -> FullPkgPath {
    do {
        return try FullPkgPath(text)
    } catch {
        throw UsageError(description: "\(context): \(error.description) (expected a pkgpath like devel/gmake)")
    }
}
