import Core
import Foundation
import Testing
@testable import Bench

@Suite struct BenchmarkTests {
    @Test func medianOfOddEvenAndEmpty() {
        #expect(median([0.3, 0.1, 0.2]) == 0.2)
        #expect(median([4, 1, 3, 2]) == 2.5)
        #expect(median([]).isNaN)
    }

    @Test func workloadsAreTheStudyProjects() {
        #expect(Benchmark.workloads.map(\.name) == ["mlp", "mlp-adam", "mlp16", "cnn", "deep-cnn"])
        #expect(Benchmark.workloads.map(\.defaultEpochs) == [30, 10, 35, 3, 10])
        #expect(Benchmark.everyday == ["mlp", "mlp-adam", "mlp16", "cnn"])
        #expect(Benchmark.workload(named: "rnn") == nil)
    }
}

@Suite struct BenchmarkSetupTests {
    /// A stand-in for MNIST with its shapes: 100 training and 20 test images of 28×28.
    let dataset: Dataset = {
        let random = RandomSource(seed: 1)
        func data(_ n: Int) -> LabeledData {
            LabeledData(inputs: Tensor(shape: [n, 1, 28, 28], scalars: (0..<n * 784).map { _ in random.nextUnitFloat() }),
                        labels: (0..<n).map { $0 % 10 }, classCount: 10)
        }
        return Dataset(name: "mnist", classNames: (0...9).map(String.init), train: data(100), test: data(20))
    }()

    @Test func setUpsMatchTheStudyProjects() throws {
        let benchmark = Benchmark(dataset: dataset)
        let mlp = try benchmark.setup(Benchmark.workload(named: "mlp")!)
        #expect(mlp.trainer.model.parameterCount == 109_386)
        #expect((mlp.train.count, mlp.validation?.count) == (85, 15))
        #expect(mlp.batchSize == 64)
        let mlp16 = try benchmark.setup(Benchmark.workload(named: "mlp16")!)
        #expect(mlp16.trainer.model.parameterCount == 784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10)
        #expect(mlp16.train.count == 100 && mlp16.validation == nil)

        let cnn = try benchmark.setup(Benchmark.workload(named: "cnn")!)
        #expect(cnn.trainer.model.parameterCount == 34_826)
        #expect((cnn.train.count, cnn.validation?.count, cnn.batchSize, cnn.train.oneHot) == (90, 10, 128, true))
        #expect(try benchmark.setup(Benchmark.workload(named: "deep-cnn")!).trainer.model.parameterCount == 389_130)

        let result = try benchmark.run(mlp16, epochs: 2)
        #expect(result.epochs == 2)
        #expect(result.trainingSamples == 100)
        #expect(result.samplesPerSecond > 0 && result.epochSecondsMedian > 0 && result.inferenceSamplesPerSecond > 0)
        #expect((0...1).contains(result.testAccuracy))
        #expect(result.usefulGFLOPs > 0 && result.gemmGFLOPs > 0 && result.peakMemoryMB > 0)
        #expect(result.efficiency == result.usefulGFLOPs / result.gemmGFLOPs)

        // The JSON that `bench all` and side_by_side.sh read back.
        var timed = result
        timed.loadSeconds = 0.5
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(timed)) as! [String: Any]
        #expect(Set(json.keys) == ["workload", "epochs", "threads", "epoch_seconds_median", "samples_per_second", "test_accuracy",
                                   "training_samples", "inference_samples_per_second", "useful_gflops", "gemm_gflops_at_shapes",
                                   "peak_memory_mb", "efficiency", "load_seconds", "precision"])
        #expect(json["precision"] as? String == "float32")
        let decoded = try JSONDecoder().decode(Benchmark.Result.self, from: JSONEncoder().encode(timed))
        #expect(decoded.efficiency == result.efficiency && decoded.loadSeconds == 0.5 && decoded.workload == "mlp16")
    }

    /// `--precision bfloat16` reaches every workload's model, and its products record it.
    @Test func aPrecisionReachesTheModelAndItsProducts() throws {
        let benchmark = Benchmark.standIn(precision: .bfloat16)
        for workload in Benchmark.workloads {
            let setup = try benchmark.setup(workload)
            #expect(setup.trainer.model.precision == .bfloat16)
            let shapes = Efficiency.productShapes(setup)
            #expect(!shapes.isEmpty && shapes.allSatisfy { $0.precision == .bfloat16 }, "\(workload.name)")
        }
        #expect(try Benchmark.standIn().setup(Benchmark.workloads[0]).trainer.model.precision == .float32)
    }

    /// `bench gemm`'s stand-in has the shapes MNIST gives every workload's first step.
    @Test func theStandInRecordsMNISTsShapes() throws {
        // 300 images of noise: enough for every workload's batch after its validation split.
        let random = RandomSource(seed: 3)
        let noise = LabeledData(inputs: Tensor(shape: [300, 1, 28, 28], scalars: (0..<300 * 784).map { _ in random.nextUnitFloat() }),
                                labels: (0..<300).map { $0 % 10 }, classCount: 10)
        let mnistLike = Dataset(name: "mnist", classNames: (0...9).map(String.init), train: noise, test: noise)
        for workload in Benchmark.workloads {
            let real = try Benchmark(dataset: mnistLike).setup(workload), standIn = try Benchmark.standIn().setup(workload)
            #expect(Efficiency.productShapes(real) == Efficiency.productShapes(standIn), "\(workload.name)")
        }
    }
}

@Suite struct LayerProfileTests {
    /// The profile runs the step fit runs: a model ending in softmax trained with cross-entropy
    /// goes through the fused loss, so the softmax layer is timed for inference only.
    @Test func theProfileTimesTheFusedTrainingPath() throws {
        let benchmark = Benchmark(dataset: BenchmarkSetupTests().dataset)
        let cnn = try benchmark.setup(Benchmark.workload(named: "cnn")!)
        let rows = LayerProfile.measure(cnn, batches: 1)
        #expect(rows.count == cnn.trainer.model.layers.count + 2)
        #expect(rows[rows.count - 2].name == "loss: softmax-crossentropy")
        #expect(rows.last?.name == "update: Adam, gradients reset")
        let softmax = rows[rows.count - 3]
        #expect(softmax.name.hasPrefix("softmax (inference only"))
        #expect(softmax.forwardSeconds == 0 && softmax.backwardSeconds == 0 && softmax.inferenceSeconds > 0)
        #expect(rows.dropLast(3).allSatisfy { $0.forwardSeconds > 0 && $0.inferenceSeconds > 0 })

        let mlp = try benchmark.setup(Benchmark.workload(named: "mlp")!)
        let mlpRows = LayerProfile.measure(mlp, batches: 1)
        #expect(mlpRows[mlpRows.count - 2].name == "loss: nll")
        #expect(mlpRows[mlpRows.count - 3].forwardSeconds > 0)   // log-softmax trains as a layer
    }
}

@Suite struct EfficiencyTests {
    /// The analytic count, by hand for the study project's MLP (784-128-64-10, batch 64, SGD
    /// with momentum): 2·in·out per product (forward, weight gradient, and the input gradient of
    /// every layer but the first), out per bias pass (forward and backward), 4 per parameter.
    @Test func flopsOfTheMLP() throws {
        let setup = try Benchmark(dataset: BenchmarkSetupTests().dataset).setup(Benchmark.workload(named: "mlp")!)
        let layers = [(784, 128), (128, 64), (64, 10)]
        let products = layers.enumerated().reduce(0.0) { total, item in
            let (index, (i, o)) = item
            return total + Double(index == 0 ? 2 : 3) * 2 * Double(i * o) + 2 * Double(o)
        }
        let expected = 64 * products + 4 * 109_386
        #expect(Efficiency.trainingFLOPs(setup.trainer.model, batch: 64, optimizer: setup.trainer.optimizer) == expected)
        #expect(Efficiency.inferenceFLOPs(setup.trainer.model, batch: 1)
                == layers.reduce(0.0) { $0 + 2 * Double($1.0 * $1.1) + Double($1.1) })
        let adam = try Benchmark(dataset: BenchmarkSetupTests().dataset).setup(Benchmark.workload(named: "mlp-adam")!)
        #expect(Efficiency.trainingFLOPs(adam.trainer.model, batch: 32, optimizer: adam.trainer.optimizer)
                == 32 * products + 14 * 109_386)
    }

    /// A convolution counts its positions: the Keras CNN's first layer makes 26×26×32 outputs of 9 taps.
    @Test func flopsOfAConvolution() throws {
        let model = try Sequential(inputShape: [1, 28, 28], layers: [Conv2D(1, 32, kernelSize: 3, random: RandomSource(seed: 1))])
        #expect(Efficiency.inferenceFLOPs(model, batch: 2) == 2 * (2 * 26 * 26 * 32 * 9 + 26 * 26 * 32))
    }

    /// The shapes recorded are the products one training step runs: forward x·Wᵀ, the weight
    /// gradient dyᵀ·x, and the input gradient dy·W for all but the first layer.
    @Test func recordedShapesOfOneStep() throws {
        let setup = try Benchmark(dataset: BenchmarkSetupTests().dataset).setup(Benchmark.workload(named: "mlp16")!)
        let shapes = Efficiency.productShapes(setup)
        #expect(shapes == [
            BLAS.Shape(m: 16, n: 64, k: 784, transposeB: true), BLAS.Shape(m: 16, n: 32, k: 64, transposeB: true),
            BLAS.Shape(m: 16, n: 10, k: 32, transposeB: true),
            BLAS.Shape(m: 10, n: 32, k: 16, transposeA: true), BLAS.Shape(m: 16, n: 32, k: 10),
            BLAS.Shape(m: 32, n: 64, k: 16, transposeA: true), BLAS.Shape(m: 16, n: 64, k: 32),
            BLAS.Shape(m: 64, n: 784, k: 16, transposeA: true),
        ])
        #expect(Efficiency.gemmThroughput(shapes) > 0)
        #expect(BLAS.recordShapes {}.isEmpty)
    }
}
