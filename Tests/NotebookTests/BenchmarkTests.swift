import Testing
@testable import Notebook

@Suite struct BenchmarkTests {
    @Test func medianOfOddEvenAndEmpty() {
        #expect(median([0.3, 0.1, 0.2]) == 0.2)
        #expect(median([4, 1, 3, 2]) == 2.5)
        #expect(median([]).isNaN)
    }

    @Test func workloadsAreTheStudyProjects() {
        #expect(Benchmark.workloads.map(\.name) == ["mlp", "mlp16"])
        #expect(Benchmark.workloads.map(\.defaultEpochs) == [30, 35])
        #expect(Benchmark.workload(named: "cnn") == nil)
    }
}
