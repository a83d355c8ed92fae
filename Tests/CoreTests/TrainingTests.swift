@testable import Core
import Foundation
import Testing

/// Real MNIST through the data store, as CI points `CADERNO_DATA` at it.
let mnistDirectory = DataStore().locate(.mnist)

@Suite struct TrainingTests {
    /// Two well-separated Gaussian blobs in 4 dimensions: any working MLP separates them.
    static func blobs(_ n: Int, seed: UInt64) -> LabeledData {
        let random = RandomSource(seed: seed)
        var scalars: [Float] = [], labels: [Int] = []
        for i in 0..<n {
            let label = i % 2
            labels.append(label)
            scalars += (0..<4).map { _ in random.nextGaussian() + (label == 0 ? -1.5 : 1.5) }
        }
        return LabeledData(inputs: Tensor(shape: [n, 4], scalars: scalars), labels: labels, classCount: 2)
    }

    func trainer(seed: UInt64, learningRate: Float = 0.1, dropout: Float = 0.2) throws -> Trainer {
        let random = RandomSource(seed: seed)
        let model = try Sequential.mlp([4, 8, 2], dropout: dropout, random: random)
        return Trainer(model: model, loss: NLLLoss(), optimizer: SGD(learningRate: learningRate, momentum: 0.5), random: random)
    }

    @Test func learnsSeparableData() throws {
        let trainer = try trainer(seed: 1)
        var events = 0
        let result = try trainer.fit(Self.blobs(200, seed: 2), validation: Self.blobs(100, seed: 3), epochs: 5, batchSize: 16) { event in
            if case .batchEnded = event { events += 1 }
        }
        #expect(result.completed)
        #expect(events == 5 * 13)
        // The progress bar's numbers are the epoch's running means, ending at what the epoch line says.
        var reports: [BatchReport] = []
        let more = try trainer.fit(Self.blobs(200, seed: 2), epochs: 1, batchSize: 16) { event in
            if case .batchEnded(let report) = event { reports.append(report) }
        }
        #expect(reports.map(\.samples) == (1...13).map { min($0 * 16, 200) })
        #expect(abs(reports.last!.meanLoss - more.history[0].loss) < 1e-12)
        #expect(reports.last!.meanAccuracy == more.history[0].accuracy)
        #expect(abs(reports[0].meanLoss - Double(reports[0].loss)) < 1e-6 && reports[1].meanLoss != Double(reports[1].loss))
        #expect(result.history.map(\.epoch) == [1, 2, 3, 4, 5])
        #expect(result.history.last!.loss < result.history.first!.loss)
        #expect(try #require(result.history.last!.validationAccuracy) > 0.95)
        #expect(trainer.evaluate(Self.blobs(100, seed: 4)).accuracy > 0.95)
    }

    @Test func kerasStyleValidationSplitHoldsOutTheLastSamples() throws {
        let data = Self.blobs(100, seed: 2)
        let split = try trainer(seed: 1).fit(data, validationSplit: 0.1, epochs: 1, batchSize: 10)
        let explicit = try trainer(seed: 1).fit(data.prefix(90), validation: data.rows(90..<100), epochs: 1, batchSize: 10)
        #expect(split.history.map(\.validationLoss) == explicit.history.map(\.validationLoss))
        #expect(split.history.map(\.loss) == explicit.history.map(\.loss))
        #expect(throws: TrainingError.self) { try trainer(seed: 1).fit(data, validationSplit: 1.5, epochs: 1, batchSize: 10) }
    }

    @Test func sameSeedSameNumbers() throws {
        func run(_ seed: UInt64) throws -> ([EpochRecord], [Float]) {
            let trainer = try trainer(seed: seed)
            let history = try trainer.fit(Self.blobs(64, seed: 2), epochs: 2, batchSize: 8).history
            return (history.map { EpochRecord(epoch: $0.epoch, loss: $0.loss, accuracy: $0.accuracy,
                                               validationLoss: nil, validationAccuracy: nil, seconds: 0) },
                    trainer.model.parameters.flatMap(\.value.scalars))
        }
        let (first, second, other) = (try run(7), try run(7), try run(8))
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        #expect(first.1 != other.1)
    }

    /// Each step zeroes the gradients it used, and training resets them once before it starts:
    /// gradients left by an earlier backward pass (a `trace`) must not leak into the first step.
    @Test func staleGradientsDoNotLeakIntoTraining() throws {
        func weights(stale: Bool) throws -> [Float] {
            let trainer = try trainer(seed: 5)
            if stale {
                for parameter in trainer.model.parameters {
                    parameter.gradient = Tensor(shape: parameter.value.shape, scalars: [Float](repeating: 3, count: parameter.count))
                }
            }
            _ = try trainer.fit(Self.blobs(64, seed: 2), epochs: 2, batchSize: 8)
            #expect(trainer.model.parameters.allSatisfy { $0.gradient.scalars.allSatisfy { $0 == 0 } })
            return trainer.model.parameters.flatMap(\.value.scalars)
        }
        #expect(try weights(stale: true) == weights(stale: false))
    }

    @Test func divergenceNamesEpochAndBatch() throws {
        let trainer = try trainer(seed: 3, learningRate: 1e12, dropout: 0)
        #expect {
            _ = try trainer.fit(Self.blobs(64, seed: 2), epochs: 3, batchSize: 8)
        } throws: { error in
            guard case let TrainingError.diverged(epoch, batch, loss) = error else { return false }
            return epoch >= 1 && batch >= 1 && !loss.isFinite && "\(error)".contains("at epoch \(epoch), batch \(batch)")
        }
    }

    @Test func cancellationKeepsTheLastCompletedStep() throws {
        let trainer = try trainer(seed: 4)
        let token = CancellationToken()
        var completedBatches = 0
        var weightsAtCancel: [Float] = []
        let result = try trainer.fit(Self.blobs(64, seed: 2), epochs: 3, batchSize: 8, cancellation: token) { event in
            if case .batchEnded = event {
                completedBatches += 1
                if completedBatches == 11 {
                    token.cancel()
                    weightsAtCancel = trainer.model.parameters.flatMap(\.value.scalars)
                }
            }
        }
        #expect(!result.completed)
        #expect(completedBatches == 11)
        // Epoch 1 (8 batches) finished; epoch 2 stopped after 3, kept and marked.
        #expect(result.history.map(\.interrupted) == [false, true])
        #expect(result.history.map(\.epoch) == [1, 2])
        #expect(trainer.model.parameters.flatMap(\.value.scalars) == weightsAtCancel)
    }

    @Test func incompatibleDataIsRefusedWithBothShapes() throws {
        let trainer = try trainer(seed: 5)
        let wrong = LabeledData(inputs: Tensor(zeros: [2, 1, 2, 3]), labels: [0, 1], classCount: 2)
        #expect(throws: TrainingError.incompatibleData("the model takes 4 = 4 values per sample, the data has 1×2×3 = 6")) {
            try trainer.fit(wrong, epochs: 1, batchSize: 2)
        }
    }

    @Test(.enabled(if: mnistDirectory != nil, "needs MNIST: set CADERNO_DATA"))
    func smokeOnRealMNIST() throws {
        let mnist = try Dataset.load(.mnist, from: mnistDirectory!, limit: 3000, testLimit: 1000).scaled()
        #expect(mnist.train.inputs.shape == [3000, 1, 28, 28])
        #expect(mnist.train.labels.prefix(8) == [5, 0, 4, 1, 9, 2, 1, 3])   // MNIST's first training labels
        let random = RandomSource(seed: 42)
        let model = try Sequential.mlp([784, 64, 10], random: random)
        let trainer = Trainer(model: model, loss: NLLLoss(), optimizer: SGD(learningRate: 0.1, momentum: 0.5), random: random)
        _ = try trainer.fit(mnist.train, epochs: 5, batchSize: 32)
        #expect(trainer.evaluate(mnist.test).accuracy > 0.85)
    }
}

@Suite struct ModelTests {
    @Test func summaryCountsLikeKeras() throws {
        let model = try Sequential.mlp([784, 128, 64, 10], random: RandomSource(seed: 1))
        let summary = model.summary()
        #expect(summary.rows.map(\.name) == ["dense", "re_lu", "dense_1", "re_lu_1", "dense_2", "log_softmax"])
        #expect(summary.rows.map(\.parameterCount) == [100_480, 0, 8_256, 0, 650, 0])
        #expect(summary.rows.last!.outputShape == [10])
        #expect(summary.totalParameters == 109_386)
        #expect(summary.totalBytes == 437_544)   // Keras prints 427.29 KB
        #expect(model.layers[0].description == "Dense(784 => 128)")
    }

    @Test func kerasLayerNames() {
        #expect(["Dense", "Conv2D", "MaxPooling2D", "ReLU", "LogSoftmax", "Flatten"].map(kerasName)
                == ["dense", "conv2d", "max_pooling2d", "re_lu", "log_softmax", "flatten"])
    }

    @Test func theStudyProjectsCNNsHaveKerasParameterCounts() throws {
        let random = RandomSource(seed: 1)
        let keras = try Sequential(inputShape: [1, 28, 28], layers: [
            Conv2D(1, 32, kernelSize: 3, random: random), ReLU(), MaxPool2D(2),
            Conv2D(32, 64, kernelSize: 3, random: random), ReLU(), MaxPool2D(2),
            Flatten(), Dropout(0.5, random: random.fork()), Dense(1600, 10, random: random), Softmax(),
        ])
        #expect(keras.summary().rows.map(\.parameterCount).filter { $0 > 0 } == [320, 18_496, 16_010])
        #expect(keras.parameterCount == 34_826)
        let deep = try Sequential(inputShape: [1, 28, 28], layers: [
            Conv2D(1, 32, kernelSize: 3, padding: .same, random: random), ReLU(), MaxPool2D(2),
            Conv2D(32, 64, kernelSize: 3, padding: .same, random: random), ReLU(), MaxPool2D(2),
            Conv2D(64, 128, kernelSize: 3, padding: .same, random: random), ReLU(), MaxPool2D(2),
            Conv2D(128, 128, kernelSize: 3, padding: .same, random: random), ReLU(),
            Flatten(), Dense(1152, 128, random: random), ReLU(), Dropout(0.4, random: random.fork()),
            Dense(128, 10, random: random), Softmax(),
        ])
        #expect(deep.summary().rows.first { $0.kind == "Flatten" }?.outputShape == [1152])
        #expect(deep.parameterCount == 389_130)
    }

    @Test func aLayerThatDoesNotFitIsRefusedAndTheModelUnchanged() throws {
        let model = try Sequential(inputShape: [784], layers: [Dense(784, 32, random: RandomSource(seed: 1))])
        #expect(throws: ShapeError("layer 2 (Dense): Dense(64 => 10) expects 64 features per sample, got 32")) {
            try model.add(Dense(64, 10, random: RandomSource(seed: 1)))
        }
        #expect(model.layers.count == 1)
        #expect(model.outputShape == [32])
        #expect(throws: ShapeError.self) { try Sequential(inputShape: [1, 28, 28], layers: [Dense(784, 10, random: RandomSource(seed: 1))]) }
    }

    @Test func predictMatchesForwardInAnyBatchSize() throws {
        let model = try Sequential.mlp([4, 5, 3], random: RandomSource(seed: 2))
        let x = GradientCheck.randomTensor([7, 4], seed: 3)
        let whole = model.forward(x, training: false)
        #expect(model.predict(x, batchSize: 3) == whole)
    }

    @Test func initializersHaveTheirScale() {
        let random = RandomSource(seed: 1)
        func std(_ t: Tensor) -> Double {
            let mean = t.scalars.reduce(0.0) { $0 + Double($1) } / Double(t.count)
            return (t.scalars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(t.count)).squareRoot()
        }
        let fans = (fanIn: 400, fanOut: 100)
        let he = Initializer.heNormal.weights(shape: [100, 400], fans: fans, random: random)
        #expect(abs(std(he) - (2.0 / 400).squareRoot()) < 0.003)
        let glorot = Initializer.glorotUniform.weights(shape: [100, 400], fans: fans, random: random)
        let glorotBound = Float((6.0 / 500).squareRoot())
        #expect(glorot.scalars.allSatisfy { abs($0) <= glorotBound })
        #expect(abs(std(glorot) - Double(glorotBound) / 3.0.squareRoot()) < 0.003)
        let torch = Initializer.pytorch.weights(shape: [100, 400], fans: fans, random: random)
        #expect(torch.scalars.allSatisfy { abs($0) <= 0.05 })
        #expect(Initializer.heNormal.biases(count: 3, fanIn: 400, random: random) == Tensor(zeros: [3]))
        #expect(Initializer.pytorch.biases(count: 50, fanIn: 400, random: random).scalars.contains { $0 != 0 })
    }
}

@Suite struct DataTransformTests {
    let data = LabeledData(inputs: Tensor(shape: [100, 2], scalars: (0..<200).map(Float.init)),
                           labels: (0..<100).map { $0 % 10 }, classCount: 10)

    @Test func randomSplitIsSeededDisjointAndComplete() {
        let (train, validation) = data.split(validationFraction: 0.15, random: RandomSource(seed: 1))
        #expect((train.count, validation.count) == (85, 15))
        let firstColumn = (train.inputs.scalars + validation.inputs.scalars).enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        #expect(Set(firstColumn) == Set((0..<100).map { Float($0 * 2) }))
        #expect(data.split(validationFraction: 0.15, random: RandomSource(seed: 1)).validation == validation)
        #expect(data.split(validationFraction: 0.15, random: RandomSource(seed: 2)).validation != validation)
    }

    @Test func kerasSplitTakesTheLastFraction() {
        let (train, validation) = data.split(validationFraction: 0.1, method: .last, random: RandomSource(seed: 1))
        #expect(train.labels == (0..<90).map { $0 % 10 })
        #expect(validation.inputs.scalars.first == 180)
    }

    @Test func scaleStandardizeAndOneHot() {
        let dataset = Dataset(name: "t", classNames: (0..<10).map(String.init), train: data, test: data.prefix(3))
        #expect(dataset.scaled().train.inputs.scalars.last == Float(199) / 255)
        let (standard, mean, std) = dataset.standardized()
        #expect(abs(mean - 99.5) < 1e-4)
        #expect(abs(std - 57.7343) < 1e-3)   // population std of 0…199
        let values = standard.train.inputs.scalars
        #expect(abs(values.reduce(0, +) / Float(values.count)) < 1e-5)
        #expect(standard.test.inputs.scalars[0] == (0 - mean) / std)   // the training statistics, applied to the test set
        let oneHot = dataset.withOneHotTargets()
        #expect(oneHot.train.targets([3, 12]) == .oneHot(Tensor(shape: [2, 10], scalars: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                                                                        0, 0, 1, 0, 0, 0, 0, 0, 0, 0])))
        #expect(dataset.train.targets([3, 12]) == .classes([3, 2]))
        #expect(data.classCounts == Array(repeating: 10, count: 10))
    }

    @Test func randomSourceIsReproducibleAndUniform() {
        let a = RandomSource(seed: 9), b = RandomSource(seed: 9)
        #expect((0..<5).map { _ in a.next() } == (0..<5).map { _ in b.next() })
        let permutation = RandomSource(seed: 1).permutation(1000)
        #expect(Set(permutation) == Set(0..<1000))
        #expect(permutation != Array(0..<1000))
        let random = RandomSource(seed: 3)
        let draws = (0..<100_000).map { _ in Double(random.nextGaussian()) }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws.count)
        #expect(abs(mean) < 0.02)
        #expect(abs(variance - 1) < 0.02)
        #expect((0..<10_000).allSatisfy { _ in (0..<1).contains(random.nextUnitFloat()) })
    }
}

@Suite struct TrainingControlTests {
    func record(_ epoch: Int, loss: Double, validation: Double? = nil) -> EpochRecord {
        EpochRecord(epoch: epoch, loss: loss, accuracy: 0, validationLoss: validation, validationAccuracy: nil, seconds: 0)
    }

    @Test func earlyStoppingWatchesValidationLossElseLoss() {
        let stopping = EarlyStopping(patience: 2)
        #expect(!stopping.shouldStop([record(1, loss: 1, validation: 0.5), record(2, loss: 0.9, validation: 0.6)]))
        #expect(stopping.shouldStop([record(1, loss: 1, validation: 0.5), record(2, loss: 0.9, validation: 0.6),
                                     record(3, loss: 0.8, validation: 0.55)]))
        #expect(!stopping.shouldStop([record(1, loss: 1), record(2, loss: 1.1), record(3, loss: 0.9)]))
    }

    @Test func fitStopsEarlyWhenTheLossStallsAndSaysSo() throws {
        let random = RandomSource(seed: 1)
        let model = try Sequential.mlp([4, 8, 2], random: random)
        // A learning rate of zero: the loss never improves, so patience 1 stops after epoch 2.
        let trainer = Trainer(model: model, loss: NLLLoss(), optimizer: SGD(learningRate: 0), random: random)
        let data = TrainingTests.blobs(32, seed: 2)
        let result = try trainer.fit(data, validation: data, epochs: 10, batchSize: 8, earlyStopping: EarlyStopping(patience: 1))
        #expect(result.ending == .stoppedEarly)
        #expect(result.history.count == 2)
    }

    @Test func optimizerStateRestoresExactly() throws {
        let random = RandomSource(seed: 1)
        let model = try Sequential.mlp([4, 8, 2], dropout: 0.25, random: random)
        for optimizer in [SGD(learningRate: 0.1, momentum: 0.9), Adam(learningRate: 0.01)] as [any Optimizer] {
            let data = TrainingTests.blobs(32, seed: 2)
            let trainer = Trainer(model: model, loss: NLLLoss(), optimizer: optimizer, random: RandomSource(seed: 3))
            _ = try trainer.fit(data, epochs: 1, batchSize: 8, shuffle: false)
            let (snapshot, state) = (model.snapshot(), optimizer.state)
            _ = try trainer.fit(data, epochs: 1, batchSize: 8, shuffle: false)
            let after = model.parameterValues()
            #expect(after != snapshot.values)
            model.restore(snapshot)   // weights and the dropout layer's stream
            optimizer.state = state
            _ = try trainer.fit(data, epochs: 1, batchSize: 8, shuffle: false)
            #expect(model.parameterValues() == after, "\(optimizer.name)")
        }
    }

    @Test func flattenIsAReshapeBothWays() throws {
        let layer = Flatten()
        #expect(try layer.outputShape(for: [1, 28, 28]) == [784])
        let x = GradientCheck.randomTensor([2, 1, 2, 3], seed: 1)
        let y = layer.forward(x, training: true)
        #expect(y.shape == [2, 6] && y.scalars == x.scalars)
        #expect(layer.backward(y).shape == [2, 1, 2, 3])
    }
}
