// swift-tools-version:6.1
import PackageDescription
import Foundation

// The numeric kernels are compiled for the building machine's CPU (AVX-512 where it has it:
// `Lanes` is one register, and the product's tile is sized to the registers), so a binary is for
// this machine. CADERNO_TARGET_CPU picks another (`x86-64` for one that runs anywhere;
// `skylake-avx512`, `znver4`, …).
let targetCPU = ProcessInfo.processInfo.environment["CADERNO_TARGET_CPU"] ?? "native"
let cpuSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU])]

// caderno → Notebook → Core → CGemm, CZlib, CLanes;  Notebook → CEditLine, CZMQ, Crypto;  caderno → Bench → Core.
let package = Package(
    name: "Caderno",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "caderno", targets: ["caderno"]),
        .library(name: "Core", targets: ["Core"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        // HMAC-SHA256 for the Jupyter kernel's signed messages.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    ],
    targets: [
        // The matrix product (C, clang's vector types): its own, so every machine sums in one order.
        .target(
            name: "CGemm",
            cSettings: [.unsafeFlags(["-march=\(targetCPU)", "-O3", "-ffp-contract=off"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // ZeroMQ, the Jupyter kernel's transport. Not through pkg-config: Debian's libzmq.pc adds
        // Kerberos include flags that SwiftPM refuses (a warning on every build), and zmq.h needs none.
        .systemLibrary(
            name: "CZMQ",
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]
        ),
        // Vector operations Swift's SIMD types lack (one header, no library).
        .systemLibrary(name: "CLanes"),
        // libedit's el_set/el_get/history are variadic: Swift cannot call them, so a tiny C shim does.
        .target(
            name: "CEditLine",
            linkerSettings: [.linkedLibrary("edit")]
        ),
        .target(
            name: "Core",
            dependencies: ["CGemm", "CZlib", "CLanes"],
            swiftSettings: cpuSettings
        ),
        .target(
            name: "Notebook",
            dependencies: ["Core", "CEditLine", "CZMQ", .product(name: "Ink", package: "Ink"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        // `caderno bench`: the study projects' set-ups, timed. It needs only the library.
        .target(
            name: "Bench",
            dependencies: ["Core"]
        ),
        .executableTarget(
            name: "caderno",
            dependencies: [
                "Notebook",
                "Bench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // The fixtures are read from the source tree by path (#filePath), not bundled.
        .testTarget(name: "CoreTests", dependencies: ["Core", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "CEditLine", "TestSupport"]),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "TestSupport"]),
    ]
)

// libFuzzer targets, only when `make fuzz` asks for them (each has no `main`: libFuzzer brings it).
// Built with -sanitize=fuzzer,address into .build/fuzz; the corpora are in Fuzz/Corpus.
if ProcessInfo.processInfo.environment["CADERNO_FUZZ"] != nil {
    package.targets.append(.target(name: "CFuzz", path: "Fuzz/CFuzz"))
    for name in ["FuzzIDX", "FuzzSafeTensors", "FuzzNotebook", "FuzzCommandLine"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["Notebook", "CFuzz"], path: "Fuzz/\(name)"))
    }
}
