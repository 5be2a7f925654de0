// swift-tools-version:6.0
import PackageDescription

// Every target builds in the Swift 6 language mode (complete concurrency
// checking); state shared between threads is behind a Mutex.

// Engine, Logs and Build are optimised in debug builds too, with their
// assertions kept: the tests run thousands of ports through them in virtual
// time (six times faster than unoptimised), and they test the code the
// release binary runs. BULKBUILD_ONONE=1 in the environment builds them
// unoptimised, to step through them in a debugger.
let optimised: [SwiftSetting] = Context.environment["BULKBUILD_ONONE"] == "1" ? []
    : [.unsafeFlags(["-O", "-assert-config", "Debug"], .when(configuration: .debug))]

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
                dependencies: [.product(name: "Collections", package: "swift-collections")], swiftSettings: optimised),
        // libcrypto comes with libssl-dev (which libssh-dev needs anyway).
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "Logs", dependencies: ["Engine", "CPosix", "CCrypto"], swiftSettings: optimised),
        .target(name: "HostPool", dependencies: ["Engine", "CPosix", "CLibSSH", "CCrypto"]),
        .target(name: "TTYReport", dependencies: ["Engine", "CPosix", "CNcurses"]),
        // The run: coordinator, jobs, hosts and scheduling glue, with its
        // clock, task runners and event source injected.
        // The run report: log directory in, RunReport / JSON / HTML out.
        .target(name: "Report", dependencies: ["Engine", "Logs"]),
        .target(name: "Build", dependencies: ["Engine", "Logs", "HostPool", "TTYReport", "Report", "CPosix"],
                swiftSettings: optimised),
        .executableTarget(name: "bulkbuild",
                          dependencies: ["Build", "Engine", "Logs", "HostPool", "TTYReport", "Report", "CPosix"]),
        .executableTarget(name: "gentree", dependencies: ["Engine"]),
        .executableTarget(name: "bulkbuild-bench", dependencies: ["Engine"], path: "Sources/benchmarks"),
        .testTarget(name: "EngineTests", dependencies: ["Engine"]),
        .testTarget(name: "LogsTests", dependencies: ["Logs", "Engine"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Logs", "Engine"]),
        .testTarget(name: "HostPoolTests", dependencies: ["HostPool", "Engine"]),
        .testTarget(name: "TTYReportTests", dependencies: ["TTYReport", "Engine"]),
        .testTarget(name: "BuildTests", dependencies: ["Build", "Engine", "Logs", "HostPool", "TTYReport", "Report"]),
        .testTarget(name: "EndToEndTests", dependencies: []),
    ]
)
