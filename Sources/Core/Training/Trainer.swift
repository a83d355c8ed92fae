import Foundation
import Synchronization

/// One row of a training history, as Keras's `History.history` keeps it.
public struct EpochRecord: Sendable, Equatable {
    public let epoch: Int
    public let loss: Double
    public let accuracy: Double
    public let validationLoss: Double?
    public let validationAccuracy: Double?
    public let seconds: Double
    /// Ctrl-C stopped this epoch part-way: loss and accuracy are over the batches it took.
    public let interrupted: Bool

    public init(epoch: Int, loss: Double, accuracy: Double, validationLoss: Double?, validationAccuracy: Double?, seconds: Double,
                interrupted: Bool = false) {
        self.epoch = epoch
        self.loss = loss
        self.accuracy = accuracy
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.seconds = seconds
        self.interrupted = interrupted
    }

    /// The same record, numbered `epoch`.
    public func renumbered(_ epoch: Int) -> EpochRecord {
        EpochRecord(epoch: epoch, loss: loss, accuracy: accuracy, validationLoss: validationLoss,
                    validationAccuracy: validationAccuracy, seconds: seconds, interrupted: interrupted)
    }
}

/// Where an epoch stands after a batch: the means so far are what Keras's progress bar shows.
public struct BatchReport: Sendable, Equatable {
    public let epoch: Int
    public let batch: Int
    public let batches: Int
    /// This batch's loss alone.
    public let loss: Float
    /// Mean loss and accuracy over the epoch's samples so far.
    public let meanLoss: Double
    public let meanAccuracy: Double
    public let samples: Int
}

public enum TrainingEvent: Sendable {
    case batchEnded(BatchReport)
    case epochEnded(EpochRecord)
}

public enum TrainingError: Explained, Equatable {
    case diverged(epoch: Int, batch: Int, loss: Float)
    /// The loss was finite but the step that followed left a weight infinite or NaN.
    case weightsDiverged(epoch: Int, batch: Int)
    case incompatibleData(Message)

    public var message: Message {
        switch self {
        case let .diverged(epoch, batch, loss):
            "training diverged: loss became \(loss) at epoch \(epoch), batch \(batch) — try a smaller learning rate"
        case let .weightsDiverged(epoch, batch):
            "training diverged: a weight became infinite or NaN at epoch \(epoch), batch \(batch) — try a smaller learning rate"
        case let .incompatibleData(reason):
            reason
        }
    }
}

/// A flag another thread (or a signal handler's poller) sets to stop training after the current batch.
public final class CancellationToken: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

public struct Evaluation: Sendable, Equatable {
    public let loss: Double
    public let accuracy: Double
}

public struct TrainingResult: Sendable {
    public enum Ending: Sendable, Equatable {
        case completed
        /// The cancellation token stopped it: the model keeps its last completed step.
        case cancelled
        /// The monitored loss stopped improving for `patience` epochs.
        case stoppedEarly
    }

    public let history: [EpochRecord]
    public let ending: Ending
    public var completed: Bool { ending == .completed }
}

/// Stop when the validation loss (the training loss, without validation data) has not improved
/// on its best for `patience` epochs, as Keras's `EarlyStopping(patience=)`.
public struct EarlyStopping: Sendable, Equatable {
    public let patience: Int
    public init(patience: Int) { self.patience = patience }

    func shouldStop(_ history: [EpochRecord]) -> Bool {
        let losses = history.map { $0.validationLoss ?? $0.loss }
        guard let best = losses.indices.min(by: { losses[$0] < losses[$1] }) else { return false }
        return losses.count - 1 - best >= patience
    }
}

/// Fits a model with a loss and an optimizer: mini-batches, reshuffled every epoch with the
/// seeded source; per-epoch loss and accuracy (means over the epoch's batches, as Keras reports
/// them) and, given validation data, validation loss and accuracy.
public final class Trainer {
    public let model: Sequential
    public let loss: any Loss
    public let optimizer: any Optimizer
    private let random: RandomSource

    public init(model: Sequential, loss: any Loss, optimizer: any Optimizer, random: RandomSource) {
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.random = random
    }

    public func fit(
        _ data: LabeledData, validation: LabeledData? = nil,
        epochs: Int, batchSize: Int, shuffle: Bool = true,
        augmentation: Augmentation? = nil,
        earlyStopping: EarlyStopping? = nil,
        cancellation: CancellationToken? = nil,
        onEvent: (TrainingEvent) -> Void = { _ in }
    ) throws -> TrainingResult {
        try check(data)
        if augmentation != nil && data.inputs.rank != 4 {
            throw TrainingError.incompatibleData("augmentation needs images (N×C×H×W), the data is \(formatShape(data.inputs.shape))")
        }
        // Its own stream, so augmenting does not change the order batches are drawn in.
        let augmentationRandom = augmentation.map { _ in random.fork() }
        if let validation { try check(validation) }
        let batches = (data.count + batchSize - 1) / batchSize
        let (layerCount, trainingLoss) = model.trainingPath(for: loss)
        var history: [EpochRecord] = []
        // Backward passes accumulate into the gradients and each step zeroes them after use, so
        // they are reset once here (a `trace` may have left some behind).
        model.zeroGradients()

        for epoch in 1...max(epochs, 1) {
            let started = DispatchTime.now()
            let order = shuffle ? random.permutation(data.count) : Array(0..<data.count)
            var lossSum: Double = 0, correct = 0, seen = 0
            for batch in 0..<batches {
                if cancellation?.isCancelled == true {
                    try checkWeightsFinite(epoch: epoch, batch: batch)
                    // The batches this epoch took count: the history keeps them, marked.
                    if seen > 0 {
                        history.append(EpochRecord(epoch: epoch, loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                                                   validationLoss: nil, validationAccuracy: nil,
                                                   seconds: seconds(since: started),
                                                   interrupted: true))
                    }
                    return TrainingResult(history: history, ending: .cancelled)
                }
                let rows = order[batch * batchSize ..< min((batch + 1) * batchSize, data.count)]
                var inputs = data.inputs.gatherRows(rows)
                // The next batch's images are fetched from memory while this one trains.
                data.inputs.prefetchRows(order[min((batch + 1) * batchSize, data.count) ..< min((batch + 2) * batchSize, data.count)])
                if let augmentation, let augmentationRandom { augmentation.apply(to: &inputs, random: augmentationRandom) }
                let output = model.forward(inputs, training: true, layerCount: layerCount)
                let (batchLoss, gradient) = trainingLoss.lossAndGradient(output, data.targets(rows))
                guard batchLoss.isFinite else { throw TrainingError.diverged(epoch: epoch, batch: batch + 1, loss: batchLoss) }
                model.backward(gradient, layerCount: layerCount)
                optimizer.step(model.parameters)   // and zeroes the gradients for the next batch

                lossSum += Double(batchLoss) * Double(rows.count)
                correct += zip(output.argmaxPerRow(), rows).filter { $0 == data.labels[$1] }.count
                seen += rows.count
                onEvent(.batchEnded(BatchReport(epoch: epoch, batch: batch + 1, batches: batches, loss: batchLoss,
                                                meanLoss: lossSum / Double(seen), meanAccuracy: Double(correct) / Double(seen), samples: seen)))
            }
            try checkWeightsFinite(epoch: epoch, batch: batches)
            let seconds = seconds(since: started)
            let scored = validation.map { evaluate($0) }
            let record = EpochRecord(epoch: epoch, loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                                     validationLoss: scored?.loss, validationAccuracy: scored?.accuracy, seconds: seconds)
            history.append(record)
            onEvent(.epochEnded(record))
            if let earlyStopping, earlyStopping.shouldStop(history), epoch < epochs {
                return TrainingResult(history: history, ending: .stoppedEarly)
            }
        }
        return TrainingResult(history: history, ending: .completed)
    }

    /// A finite loss is checked every batch; the weights the last step left, once an epoch (and
    /// when stopped), so no model with an infinite weight is ever handed back.
    private func checkWeightsFinite(epoch: Int, batch: Int) throws {
        for parameter in model.parameters where !parameter.value.scalars.allSatisfy(\.isFinite) {
            throw TrainingError.weightsDiverged(epoch: epoch, batch: batch)
        }
    }

    /// Holds out `validationSplit` of `data` first — by default the last fraction, in order, as
    /// Keras's `fit(validation_split=)` — then fits on the rest.
    public func fit(
        _ data: LabeledData, validationSplit: Double, splitMethod: SplitMethod = .last,
        epochs: Int, batchSize: Int, shuffle: Bool = true,
        augmentation: Augmentation? = nil,
        earlyStopping: EarlyStopping? = nil,
        cancellation: CancellationToken? = nil,
        onEvent: (TrainingEvent) -> Void = { _ in }
    ) throws -> TrainingResult {
        guard validationSplit > 0 && validationSplit < 1 else {
            throw TrainingError.incompatibleData("the validation split must be between 0 and 1, got \(validationSplit)")
        }
        let (train, validation) = data.split(validationFraction: validationSplit, method: splitMethod, random: random)
        return try fit(train, validation: validation, epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                       augmentation: augmentation, earlyStopping: earlyStopping, cancellation: cancellation, onEvent: onEvent)
    }

    /// Mean loss and accuracy over `data`, in inference mode (no dropout).
    public func evaluate(_ data: LabeledData, batchSize: Int = Sequential.inferenceBatchSize) -> Evaluation {
        var total: Double = 0, correct = 0
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let rows = start..<min(start + batchSize, data.count)
            let output = model.forward(data.inputs.gatherRows(rows), training: false)
            total += loss.totalLoss(output, data.targets(rows))
            correct += zip(output.argmaxPerRow(), rows).filter { $0 == data.labels[$1] }.count
        }
        return Evaluation(loss: total / Double(max(data.count, 1)), accuracy: Double(correct) / Double(max(data.count, 1)))
    }

    /// Throws `incompatibleData` when `data` does not fit the model (values per sample, classes).
    public func checkCompatible(_ data: LabeledData) throws {
        try check(data)
    }

    private func check(_ data: LabeledData) throws {
        let expected = model.inputShape.reduce(1, *)
        guard data.count > 0 else { throw TrainingError.incompatibleData("there is no data to train on") }
        guard data.inputs.featuresPerSample == expected else {
            throw TrainingError.incompatibleData(
                "the model takes \(formatShape(model.inputShape)) = \(expected) values per sample, the data has \(formatShape(data.sampleShape)) = \(data.inputs.featuresPerSample)")
        }
        guard model.outputShape == [data.classCount] else {
            throw TrainingError.incompatibleData(
                "the model outputs \(formatShape(model.outputShape)) values per sample, the data has \(data.classCount) classes")
        }
    }
}

/// Seconds from `start` until now, on the monotonic clock.
public func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
