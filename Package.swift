// swift-tools-version:6.0
import PackageDescription

// Dependencies point down only (see README "Architecture"): FedAlgorithms and FedModels
// cannot import sockets or the runtime because their targets do not depend on them.
let package = Package(
    name: "FedSim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "fedsim", targets: ["fedsim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSupport"),
        .target(name: "FedCore", dependencies: ["CBLAS"]),
        .target(name: "FedModels", dependencies: ["FedCore"]),
        .target(name: "FedAlgorithms", dependencies: ["FedModels", "FedCore"]),
        // Two-party secret-sharing protocols (secure vertical XGB). Optimised even in debug builds:
        // its tests evaluate hundreds of millions of AND gates, which unoptimised code runs 20× slower.
        .target(name: "FedSecure", dependencies: ["FedModels", "FedCore"], swiftSettings: [.unsafeFlags(["-O"])]),
        // The workload catalogue: data sets, their loading, and which model goes with which data.
        .target(name: "FedWorkloads", dependencies: ["FedAlgorithms", "FedModels", "FedCore"]),
        .target(name: "FedWire", dependencies: [
            "FedCore", "FedAlgorithms", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "FedTransport", dependencies: ["CZeroMQ"]),
        .target(name: "FedReport"),
        .target(name: "FedRuntime", dependencies: [
            "FedCore", "FedModels", "FedAlgorithms", "FedSecure", "FedWorkloads", "FedWire", "FedTransport", "FedReport", "CSupport",
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "fedsim", dependencies: [
            "FedRuntime", "FedWorkloads", "FedSecure", "FedReport", "FedCore", "FedModels", "FedWire", "FedTransport", "CSupport", "CBLAS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "FedTestSupport", dependencies: ["FedCore", "FedRuntime", "FedWorkloads"], path: "Tests/FedTestSupport"),
        .testTarget(name: "FedCoreTests", dependencies: ["FedCore", "FedTestSupport"]),
        .testTarget(name: "FedModelsTests", dependencies: ["FedModels", "FedCore", "FedTestSupport"]),
        .testTarget(name: "FedAlgorithmsTests", dependencies: ["FedAlgorithms", "FedSecure", "FedModels", "FedCore", "FedTestSupport"]),
        .testTarget(name: "FedWireTests", dependencies: ["FedWire", "FedAlgorithms", "FedCore"]),
        .testTarget(name: "FedTransportTests", dependencies: ["FedTransport"]),
        .testTarget(name: "FedReportTests", dependencies: ["FedReport"]),
        .testTarget(name: "FedRuntimeTests", dependencies: [
            "FedRuntime", "FedWorkloads", "FedWire", "FedTransport", "FedReport", "FedCore", "FedAlgorithms", "FedModels", "FedSecure", "FedTestSupport",
        ]),
        .testTarget(name: "FedsimCLITests", dependencies: ["FedReport", "FedTestSupport"]),
    ]
)
