import Foundation
import Testing

/// `caderno bench gemm` through the binary: it needs the workloads' models, not MNIST, so it
/// runs where no data set can be found; every workload gets a row with four speeds (float32 and
/// bfloat16, one and two threads).
@Suite struct BenchCommandTests {
    @Test func gemmReadsNoData() throws {
        let empty = try TemporaryDirectory()
        let result = try runPiped(["bench", "gemm"], input: "",
                                  environment: ["LANG": "C", "CADERNO_DATA": empty.path, "HOME": empty.path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(!result.errors.contains("download"))
        let rows = result.output.split(separator: "\n").map(String.init)
        for name in ["2048×2048×2048", "mlp:", "mlp-adam:", "mlp16:", "cnn:", "deep-cnn:"] {
            let row = try #require(rows.first { $0.hasPrefix(name) }, "no row for \(name) in \(result.output)")
            let speeds = row.split(separator: " ").suffix(4).compactMap { Double($0) }
            #expect(speeds.count == 4 && speeds.allSatisfy { $0 > 0 }, "\(row)")
        }
        #expect(rows[0].contains("float32, 1 thread") && rows[0].contains("bfloat16, 2 threads"), "\(rows[0])")
        #expect(rows.contains { $0.hasPrefix("mlp16: 8 shapes, 8 products per step") })
    }
}
