// swift-tools-version:6.1
import PackageDescription

// Petal: an end-to-end CNN image-classification trainer in Swift.
// System libraries come from Debian: oneDNN does the arithmetic, libjpeg-turbo and libpng the codecs.
let package = Package(
    name: "Petal",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PetalTensor", targets: ["PetalTensor"]),
        .library(name: "PetalImage", targets: ["PetalImage"]),
        .library(name: "PetalNN", targets: ["PetalNN"]),
        .library(name: "PetalData", targets: ["PetalData"]),
        .library(name: "PetalTrain", targets: ["PetalTrain"]),
        .library(name: "PetalReport", targets: ["PetalReport"]),
        .library(name: "PetalRun", targets: ["PetalRun"]),
        .library(name: "PetalONNX", targets: ["PetalONNX"]),
        .library(name: "PetalTensorBoard", targets: ["PetalTensorBoard"]),
        .library(name: "Petal", targets: ["Petal"]),
        // Distributed training over Open MPI, apart so that depending on Petal never needs MPI installed.
        .library(name: "PetalMPI", targets: ["PetalMPI"]),
        // The HTTP prediction server, apart so that depending on Petal never pulls in SwiftNIO.
        .library(name: "PetalServe", targets: ["PetalServe"]),
        .executable(name: "petal", targets: ["PetalCLI"]),
        .executable(name: "petal-bench", targets: ["PetalBench"]),
    ],
    // The kernel probes `petal-bench` uses to time oneDNN primitives bare (Sources/PetalTensor/KernelProbes) are compiled
    // only with this trait (`make bench` turns it on), so the libraries people build on carry no benchmark code.
    traits: [
        .trait(name: "KernelProbes", description: "Compile PetalTensor's kernel probes for petal-bench's convolution tables."),
        // `petal serve` and its HTTP stack (SwiftNIO, Hummingbird, swift-crypto …). On by default, so this package builds the
        // whole tool; a package that only uses the libraries depends on Petal with `traits: []` and resolves none of it.
        .trait(name: "Serve", description: "Build PetalServe and `petal serve` with their HTTP dependencies."),
        // `make fuzz`: the fuzzer's entry point hands control to libFuzzer (built with `-sanitize=fuzzer,address`); without the
        // trait the same program says how to build it, so an ordinary build links it like any executable.
        .trait(name: "Fuzz", description: "Build petal-fuzz as a libFuzzer driver (make fuzz)."),
        .default(enabledTraits: ["Serve"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `swift package generate-documentation` (make docs): the DocC catalogues of PetalNN and PetalRun.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"]), .brew(["onednn"])]),
        .systemLibrary(name: "CJPEG", providers: [.apt(["libturbojpeg0-dev"]), .brew(["jpeg-turbo"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"]), .brew(["open-mpi"])]),

        .target(name: "PetalRandom"),
        .target(name: "PetalFiles"),
        .target(name: "PetalTensor", dependencies: ["CDNNL", "PetalRandom", "PetalFiles"],
                swiftSettings: [.define("KERNEL_PROBES", .when(traits: ["KernelProbes"]))]),
        .target(name: "PetalImage", dependencies: ["CJPEG", "CPNG", "PetalRandom", "PetalFiles"]),
        .target(name: "PetalNN", dependencies: ["PetalTensor", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "PetalData", dependencies: ["PetalTensor", "PetalImage", "PetalFiles", .product(name: "Logging", package: "swift-log")]),
        .target(name: "PetalTrain", dependencies: ["PetalImage", "PetalNN", "PetalData", "PetalFiles"]),
        .target(name: "PetalReport", dependencies: ["PetalFiles"]),
        .target(name: "PetalRun", dependencies: ["PetalTensor", "PetalRandom", "PetalImage", "PetalNN", "PetalData", "PetalTrain", "PetalReport", "PetalONNX", "PetalTensorBoard"]),
        .target(name: "PetalMPI", dependencies: ["CMPI", "PetalTensor"]),
        // swift-protobuf code generated once from ONNX's schema and committed (Scripts/protos/generate.sh).
        .target(name: "PetalONNX", dependencies: ["PetalNN", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // The same for TensorBoard's event schema.
        .target(name: "PetalTensorBoard", dependencies: ["PetalImage", "PetalTrain", "PetalFiles", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "PetalServe", dependencies: ["PetalNN", "PetalData", "PetalImage", "PetalRun", .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Serve"])),
                                                  .product(name: "HummingbirdCore", package: "hummingbird", condition: .when(traits: ["Serve"])),
                                                  .product(name: "MultipartKit", package: "multipart-kit", condition: .when(traits: ["Serve"])),
                                                  .product(name: "Prometheus", package: "swift-prometheus", condition: .when(traits: ["Serve"])),
                                                  .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["Serve"])),
                                                  .product(name: "UnixSignals", package: "swift-service-lifecycle", condition: .when(traits: ["Serve"])),
                                                  .product(name: "Logging", package: "swift-log")]),
        .target(name: "PetalBenchKit", dependencies: ["PetalNN", "PetalTrain"]),
        .target(name: "Petal", dependencies: ["PetalTensor", "PetalImage", "PetalNN", "PetalData", "PetalTrain", "PetalReport", "PetalRun", "PetalONNX", "PetalTensorBoard"]),
        .executableTarget(name: "PetalCLI", dependencies: ["Petal", "PetalMPI", "PetalServe", "PetalBenchKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // What the distributed tests run under mpirun (collectives, data-parallel equivalence); not a product.
        .executableTarget(name: "PetalMPIScenarios", dependencies: ["PetalMPI", "PetalTrain"], path: "Tests/MPIScenarios"),
        .executableTarget(name: "PetalBench", dependencies: ["PetalTensor", "PetalImage", "PetalNN", "PetalData", "PetalTrain", "PetalBenchKit"],
                          swiftSettings: [.define("KERNEL_PROBES", .when(traits: ["KernelProbes"]))]),

        // Every loader of untrusted bytes under libFuzzer (Fuzz/, make fuzz); its dependencies come from this list,
        // so the fuzzer links whatever the libraries need.
        .executableTarget(name: "PetalFuzz", dependencies: ["PetalData", "PetalImage", "PetalNN", "PetalReport", "PetalRun", "PetalTrain"], path: "Fuzz",
                          exclude: ["corpus", "make-corpus.py"], swiftSettings: [.define("PETAL_FUZZ", .when(traits: ["Fuzz"]))]),

        // One closeness check, log collector and layer contract for every test target (Tests/PetalTestSupport).
        .target(name: "PetalTestSupport", dependencies: ["PetalNN"], path: "Tests/PetalTestSupport"),
        .testTarget(name: "PetalTensorTests", dependencies: ["CDNNL", "PetalTestSupport", "PetalTensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PetalDataTests", dependencies: ["PetalImage", "PetalTestSupport", "PetalData"]),
        .testTarget(name: "PetalTrainTests", dependencies: ["PetalImage", "PetalNN", "PetalTensor", "PetalTestSupport", "PetalTrain"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PetalReportTests", dependencies: ["PetalReport"]),
        .testTarget(name: "PetalRunTests", dependencies: ["PetalTestSupport", "PetalRun", "PetalFiles"]),
        .testTarget(name: "PetalTensorBoardTests", dependencies: ["PetalTrain", "PetalTensorBoard"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PetalServeTests", dependencies: ["PetalTensor", "PetalNN", "PetalServe"]),
        .testTarget(name: "PetalONNXTests", dependencies: ["PetalNN", "PetalONNX", "PetalRun"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PetalFilesTests", dependencies: ["PetalFiles"]),
        .testTarget(name: "PetalCLITests", dependencies: ["PetalNN", "PetalCLI", "Petal"]),
        .testTarget(name: "PetalMPITests", dependencies: ["PetalMPIScenarios", "PetalCLI", "Petal"]),
        .testTarget(name: "PetalNNTests", dependencies: ["CDNNL", "PetalFiles", "PetalTensor", "PetalTestSupport", "PetalNN", .product(name: "ZIPFoundation", package: "ZIPFoundation")], resources: [.copy("Fixtures")]),
        .testTarget(name: "PetalImageTests", dependencies: ["PetalImage"], resources: [.copy("Fixtures")]),
    ]
)
