// Where the built executables live: the build directory of the test bundle.
import Foundation

enum Products {
    /// `BULKBUILD_BIN_DIR` when set, else the directory that holds the
    /// running test bundle (`.build/<triple>/debug` under `swift test`).
    static let binDir: String = {
        if let d = ProcessInfo.processInfo.environment["BULKBUILD_BIN_DIR"], !d.isEmpty { return d }
        for b in Bundle.allBundles where b.bundlePath.hasSuffix(".xctest") {
            return (b.bundlePath as NSString).deletingLastPathComponent
        }
        // On Linux the .xctest is itself the running executable.
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var dir = (exe as NSString).deletingLastPathComponent
            // Inside a macOS-style bundle (X.xctest/Contents/MacOS) go up to the build dir.
            while let r = dir.range(of: ".xctest/") { dir = (String(dir[..<r.lowerBound]) as NSString).deletingLastPathComponent }
            return dir
        }
        return (CommandLine.arguments[0] as NSString).deletingLastPathComponent
    }()

    /// Absolute path of a product; throws when it has not been built.
    static func path(_ name: String) throws -> String {
        let p = binDir + "/" + name
        guard FileManager.default.isExecutableFile(atPath: p) else {
            throw SpawnError(description: "\(name) is not built in \(binDir) "
                             + "(run swift build --product \(name) with the same --scratch-path, or set BULKBUILD_BIN_DIR)")
        }
        return p
    }

    static func bulkbuild() throws -> String { try path("bulkbuild") }
    static func gentree() throws -> String { try path("bulkbuild-gentree") }
}
