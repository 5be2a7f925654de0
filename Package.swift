// swift-tools-version:6.0
import PackageDescription

// Targets that talk to C a lot (threads, ncurses, libssh, signals) use the
// Swift 5 language mode; the pure ones use Swift 6 with full checking.
let v5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "bulkbuild",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bulkbuild", targets: ["bulkbuild"]),
        .executable(name: "bulkbuild-gentree", targets: ["gentree"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        .systemLibrary(name: "CPosix", path: "Sources/CPosix"),
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses",
                       providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CLibSSH", path: "Sources/CLibSSH", pkgConfig: "libssh",
                       providers: [.apt(["libssh-dev"])]),
        .target(name: "Engine",
                dependencies: [.product(name: "Collections", package: "swift-collections")]),
        // libcrypto comes with libssl-dev (which libssh-dev needs anyway).
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "Logs", dependencies: ["Engine", "CPosix", "CCrypto"]),
        .target(name: "HostPool", dependencies: ["Engine", "CPosix", "CLibSSH"], swiftSettings: v5),
        .target(name: "TTYReport", dependencies: ["Engine", "CPosix", "CNcurses"], swiftSettings: v5),
        // The run: coordinator, jobs, hosts and scheduling glue, with its
        // clock, task runners and event source injected.
        .target(name: "Build", dependencies: ["Engine", "Logs", "HostPool", "TTYReport", "CPosix"],
                swiftSettings: v5),
        .executableTarget(name: "bulkbuild",
                          dependencies: ["Build", "Engine", "Logs", "HostPool", "TTYReport", "CPosix"],
                          swiftSettings: v5),
        .executableTarget(name: "gentree", dependencies: [], swiftSettings: v5),
        .executableTarget(name: "bulkbuild-bench", dependencies: ["Engine"], path: "Sources/benchmarks"),
        .testTarget(name: "EngineTests", dependencies: ["Engine"]),
        .testTarget(name: "LogsTests", dependencies: ["Logs", "Engine"]),
        .testTarget(name: "HostPoolTests", dependencies: ["HostPool", "Engine"], swiftSettings: v5),
        .testTarget(name: "TTYReportTests", dependencies: ["TTYReport", "Engine"], swiftSettings: v5),
        .testTarget(name: "BuildTests", dependencies: ["Build", "Engine", "Logs", "HostPool", "TTYReport"],
                    swiftSettings: v5),
        .testTarget(name: "EndToEndTests", dependencies: [], swiftSettings: v5),
    ]
)
