import Core
import Foundation

/// `caderno bench`: the study projects' training set-ups on real MNIST, timed per epoch.
/// Speed is measured here, never in tests.
public struct Benchmark {
    public struct Workload: Sendable {
        public let name: String
        public let summary: String
        public let defaultEpochs: Int
    }

    public struct Result: Sendable, Codable {
        public let workload: String
        public let epochs: Int
        public let epochSecondsMedian: Double
        public let samplesPerSecond: Double
        public let testAccuracy: Double
        public let threads: Int
        public let trainingSamples: Int
        /// Test images classified per second (inference mode; the median of three passes).
        public let inferenceSamplesPerSecond: Double
        /// Useful arithmetic done per second of training (`Efficiency`), in GFLOP/s.
        public let usefulGFLOPs: Double
        /// Matrix products at this workload's own shapes, on as many threads, in GFLOP/s.
        public let gemmGFLOPs: Double
        /// The process's peak resident memory, in MB (loading the data included).
        public let peakMemoryMB: Double

        /// Useful FLOP/s over the products' FLOP/s at the same shapes (stored, so the JSON has it).
        public let efficiency: Double
        /// Seconds to read the data set (set by the caller that loaded it).
        public var loadSeconds: Double?
        /// What the products multiplied: "float32" or "bfloat16".
        public let precision: String

        enum CodingKeys: String, CodingKey {
            case workload, epochs, threads, efficiency, precision
            case epochSecondsMedian = "epoch_seconds_median"
            case samplesPerSecond = "samples_per_second"
            case testAccuracy = "test_accuracy"
            case trainingSamples = "training_samples"
            case inferenceSamplesPerSecond = "inference_samples_per_second"
            case usefulGFLOPs = "useful_gflops"
            case gemmGFLOPs = "gemm_gflops_at_shapes"
            case peakMemoryMB = "peak_memory_mb"
            case loadSeconds = "load_seconds"
        }
    }

    public static let workloads: [Workload] = [
        Workload(name: "mlp", summary: "ANN_MNIST: 784-128-64-10 ReLU, log-softmax + NLL, SGD lr 0.01 momentum 0.5, batch 64, 51,000 train / 9,000 validation",
                 defaultEpochs: 30),
        Workload(name: "mlp-adam", summary: "the REPL's defaults: 784-128-64-10 ReLU, log-softmax + NLL, Adam lr 0.001, batch 32, 51,000 train / 9,000 validation",
                 defaultEpochs: 10),
        Workload(name: "mlp16", summary: "NumPy from scratch: 784-64-32-10 ReLU, dropout 0.1, He init, softmax + cross-entropy, SGD lr 0.006, L2 0.001, batch 16, 60,000 train",
                 defaultEpochs: 35),
        Workload(name: "cnn", summary: "the Keras example CNN: conv 32, pool, conv 64, pool, dropout 0.5, dense 10 (34,826 parameters), Adam, categorical cross-entropy, batch 128, 54,000 train / last 6,000 validation",
                 defaultEpochs: 3),
        Workload(name: "deep-cnn", summary: "the step-by-step Keras CNN: conv 32/64/128 + pools, conv 128, dense 128, dropout 0.4 (389,130 parameters), padding same, Adam, sparse cross-entropy, batch 64, 54,000 train",
                 defaultEpochs: 10),
    ]

    /// What `bench all` runs; `deep-cnn` takes minutes per epoch on two cores, so it runs by name.
    public static let everyday = ["mlp", "mlp-adam", "mlp16", "cnn"]

    public let dataset: Dataset   // MNIST, pixels scaled to [0, 1]
    public let seed: UInt64
    /// What every workload's products multiply (`--precision`).
    public let precision: Precision

    public init(dataset: Dataset, seed: UInt64 = 42, precision: Precision = .float32) {
        self.dataset = dataset
        self.seed = seed
        self.precision = precision
    }

    /// For what depends only on the workloads' models and batch sizes (`bench gemm`'s product
    /// shapes): 256 blank 28×28 images labelled 0…9 stand in for MNIST, so nothing is read.
    public static func standIn(seed: UInt64 = 42, precision: Precision = .float32) -> Benchmark {
        let images = LabeledData(inputs: Samples(bytes: [UInt8](repeating: 0, count: 256 * 784), shape: [256, 1, 28, 28]),
                                 labels: (0..<256).map { $0 % 10 }, classCount: 10)
        return Benchmark(dataset: Dataset(name: "mnist", classNames: (0...9).map(String.init), train: images, test: images),
                         seed: seed, precision: precision)
    }

    /// A workload ready to train: the model, its trainer and its data.
    public struct Setup {
        public let workload: Workload
        public let trainer: Trainer
        public let train: LabeledData
        public let validation: LabeledData?
        public let batchSize: Int
    }

    public func setup(_ workload: Workload) throws -> Setup {
        let setup = try studyProjectSetup(workload)
        setup.trainer.model.precision = precision
        return setup
    }

    private func studyProjectSetup(_ workload: Workload) throws -> Setup {
        let random = RandomSource(seed: seed)
        switch workload.name {
        case "mlp", "mlp-adam":
            let (train, validation) = dataset.train.split(validationFraction: 0.15, random: random)
            let model = try Sequential.mlp([784, 128, 64, 10], random: random)
            let adam = workload.name == "mlp-adam"
            let optimizer: any Optimizer = adam ? Adam() : SGD(learningRate: 0.01, momentum: 0.5)
            let trainer = Trainer(model: model, loss: NLLLoss(), optimizer: optimizer, random: random)
            return Setup(workload: workload, trainer: trainer, train: train, validation: validation, batchSize: adam ? 32 : 64)
        case "mlp16":
            let model = try Sequential.mlp([784, 64, 32, 10], dropout: 0.1, initializer: .heNormal,
                                           output: .softmax, random: random)
            // The NumPy project updates W -= lr·(dW + wd/m·W) with m = 16, the batch size:
            // PyTorch's rule with a decay of wd/m.
            let trainer = Trainer(model: model, loss: CrossEntropy(),
                                  optimizer: SGD(learningRate: 0.006, weightDecay: 0.001 / 16), random: random)
            return Setup(workload: workload, trainer: trainer, train: dataset.train, validation: nil, batchSize: 16)
        case "cnn", "deep-cnn":
            let (train, validation) = dataset.train.split(validationFraction: 0.1, method: .last, random: random)
            let model = workload.name == "cnn" ? try kerasExampleCNN(random) : try stepByStepCNN(random)
            let trainer = Trainer(model: model, loss: CrossEntropy(), optimizer: Adam(epsilon: 1e-7), random: random)
            let oneHot = workload.name == "cnn"   // the Keras example one-hot encodes; the deep CNN keeps integer labels
            var (trainSet, validationSet) = (train, validation)
            trainSet.oneHot = oneHot
            validationSet.oneHot = oneHot
            return Setup(workload: workload, trainer: trainer, train: trainSet, validation: validationSet,
                         batchSize: workload.name == "cnn" ? 128 : 64)
        default:
            throw BenchmarkError(description: "unknown workload '\(workload.name)'")
        }
    }

    /// Trains a set-up for `epochs` (default: the study project's), calling `onEpoch` after each;
    /// the median epoch time excludes validation and test passes.
    public func run(_ setup: Setup, epochs: Int? = nil, onEpoch: (EpochRecord) -> Void = { _ in }) throws -> Result {
        let epochs = epochs ?? setup.workload.defaultEpochs
        let trainer = setup.trainer
        let result = try trainer.fit(setup.train, validation: setup.validation, epochs: epochs,
                                     batchSize: setup.batchSize) { event in
            if case .epochEnded(let record) = event { onEpoch(record) }
        }
        let epochSeconds = median(result.history.map(\.seconds))
        // One pass over the test set takes well under a second: the median of three is steadier.
        var passes: [Double] = []
        let test = trainer.evaluate(dataset.test)
        for _ in 0..<3 {
            let started = DispatchTime.now()
            _ = trainer.evaluate(dataset.test)
            passes.append(seconds(since: started))
        }
        let inferenceSeconds = median(passes)
        let samplesPerSecond = Double(setup.train.count) / epochSeconds
        let flopsPerSample = Efficiency.trainingFLOPs(trainer.model, batch: setup.batchSize, optimizer: trainer.optimizer)
            / Double(setup.batchSize)
        let peak = peakMemoryMB()   // before the products below allocate their buffers
        let gemm = Efficiency.gemmThroughput(Efficiency.productShapes(setup))
        let useful = flopsPerSample * samplesPerSecond / 1e9
        return Result(workload: setup.workload.name, epochs: epochs, epochSecondsMedian: epochSeconds,
                      samplesPerSecond: samplesPerSecond, testAccuracy: test.accuracy,
                      threads: BLAS.threads, trainingSamples: setup.train.count,
                      inferenceSamplesPerSecond: Double(dataset.test.count) / inferenceSeconds,
                      usefulGFLOPs: useful, gemmGFLOPs: gemm, peakMemoryMB: peak, efficiency: useful / gemm,
                      precision: trainer.model.precision.rawValue)
    }

    public static func workload(named name: String) -> Workload? {
        workloads.first { $0.name == name }
    }
}

/// Study project 3: the Keras example CNN, 34,826 parameters.
func kerasExampleCNN(_ random: RandomSource) throws -> Sequential {
    try Sequential(inputShape: [1, 28, 28], layers: [
        Conv2D(1, 32, kernelSize: 3, activation: .relu, random: random), MaxPool2D(2),
        Conv2D(32, 64, kernelSize: 3, activation: .relu, random: random), MaxPool2D(2),
        Flatten(), Dropout(0.5, random: random.fork()), Dense(1600, 10, initializer: .glorotUniform, random: random), Softmax(),
    ])
}

/// Study project 4: the long step-by-step notebook's CNN, padding same, 389,130 parameters.
func stepByStepCNN(_ random: RandomSource) throws -> Sequential {
    try Sequential(inputShape: [1, 28, 28], layers: [
        Conv2D(1, 32, kernelSize: 3, padding: .same, activation: .relu, random: random), MaxPool2D(2),
        Conv2D(32, 64, kernelSize: 3, padding: .same, activation: .relu, random: random), MaxPool2D(2),
        Conv2D(64, 128, kernelSize: 3, padding: .same, activation: .relu, random: random), MaxPool2D(2),
        Conv2D(128, 128, kernelSize: 3, padding: .same, activation: .relu, random: random),
        Flatten(), Dense(1152, 128, initializer: .glorotUniform, random: random), ReLU(), Dropout(0.4, random: random.fork()),
        Dense(128, 10, initializer: .glorotUniform, random: random), Softmax(),
    ])
}

public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String
}

/// The most memory the process has held at once (resident set), in MB.
public func peakMemoryMB() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024          // kilobytes on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1024 / 1024   // bytes on macOS
    #endif
}

public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
