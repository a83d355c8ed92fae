import Core
import Foundation

extension Session {
    static let trainingCommands: [Command] = [train, sweep, evaluate]

    static let train = Command(spec: CommandSpec(
        "train", group: .training,
        summary: "train the compiled model on the training set; Ctrl-C stops after the current batch",
        usage: "train [epochs=N] [batch=N] [validation=X] [early-stop=N] [shuffle=true]",
        example: "train epochs=30 batch=64",
        options: [TrainCommand.epochs, TrainCommand.batch, TrainCommand.validation, TrainCommand.earlyStop, TrainCommand.shuffle]
    )) { session, arguments, output in
        let data = try session.requireData(arguments)
        let model = try session.requireModel(arguments)
        let compiled = try session.requireCompiled(arguments)
        try checkTargets(compiled, data.dataset.train, arguments)
        let (epochs, batchSize) = (arguments[TrainCommand.epochs], arguments[TrainCommand.batch])
        try checkBatchMemory(model, batchSize, arguments)
        let earlyStopping = arguments[TrainCommand.earlyStop].map(EarlyStopping.init)
        let trainer = Trainer(model: model, loss: compiled.loss, optimizer: compiled.optimizer, random: session.random)
        session.state.predictionCache = [:]   // the weights are about to change
        let token = CancellationToken()
        let started = DispatchTime.now()
        var epochStarted = DispatchTime.now()
        var lastBatch = (epoch: 0, batch: 0)

        let onEvent: (TrainingEvent) -> Void = { event in
            switch event {
            case let .batchEnded(report):
                lastBatch = (report.epoch, report.batch)
                output.progress(progress(report, of: epochs, seconds: seconds(since: epochStarted)))
                if session.interruptRequested() { token.cancel() }
            case let .epochEnded(record):
                epochStarted = DispatchTime.now()
                output.progress(nil)
                output.emit(.text(epochLine(record, of: epochs)))
            }
        }
        let (train, validation) = try trainingSets(data, arguments)
        if earlyStopping != nil && validation == nil { throw earlyStopWithoutValidation(arguments, at: TrainCommand.earlyStop) }
        let result: TrainingResult
        do {
            result = try trainer.fit(train, validation: validation, epochs: epochs, batchSize: batchSize,
                                     shuffle: arguments[TrainCommand.shuffle], augmentation: session.state.augmentation,
                                     earlyStopping: earlyStopping, cancellation: token, onEvent: onEvent)
        } catch let error as TrainingError {
            // Throwing is enough to undo it all: the session puts back the weights, the optimizer and the random source.
            output.progress(nil)
            let undo = switch error {
            case .diverged, .weightsDiverged: tr(". The model is back where it was before this 'train'")
            case .incompatibleData: ""
            }
            throw arguments.error(tr(error: error) + undo)
        }
        session.appendHistory(result.history)
        let total = formatDuration(seconds(since: started))
        switch result.ending {
        case .completed:
            output.emit(.note(tr("\(epochs) epoch\(epochs == 1 ? "" : "s") in \(total).")))
        case .stoppedEarly:
            output.emit(.note(tr("Stopped early after epoch \(result.history.count): the \(validation != nil ? tr("validation ") : "")loss has not improved for \(earlyStopping!.patience) epoch\(earlyStopping!.patience == 1 ? "" : "s").")))
        case .cancelled:
            output.progress(nil)
            let whole = result.history.filter { !$0.interrupted }.count
            output.emit(.note(tr("Interrupted in epoch \(lastBatch.epoch), after batch \(lastBatch.batch): the model keeps every step it took; the history keeps \(whole) whole epoch\(whole == 1 ? "" : "s")\(whole < result.history.count ? tr(" and the interrupted one, marked *") : "").")))
        }
    }

    static let evaluate = Command(spec: CommandSpec(
        "evaluate", group: .evaluation,
        summary: "loss and accuracy of the model on the test set (or validation, or train)",
        usage: "evaluate [on=test|validation|train]",
        example: "evaluate on=test",
        options: [splitOption]
    )) { session, arguments, output in
        let split = arguments[splitOption]
        let images = try session.images(split, arguments)
        let compiled = try session.requireCompiled(arguments)
        let model = try session.requireModel(arguments)
        try checkTargets(compiled, images, arguments)
        let trainer = Trainer(model: model, loss: compiled.loss, optimizer: compiled.optimizer, random: session.random)
        do {
            try trainer.checkCompatible(images)
        } catch let error as TrainingError {
            throw arguments.error(tr(error: error))
        }
        let result = trainer.evaluate(images)
        output.emit(.fields([Field(split.spoken, trFormat("loss %.4f · accuracy %@ (%@ images)", result.loss, percent(result.accuracy), count(images.count)))]))
    }

    /// The training set and the validation set a run uses. `validation=` holds out the last fraction
    /// for this run only, as Keras's `validation_split` (taking the last rows draws nothing).
    static func trainingSets(_ data: LoadedData, _ arguments: Arguments) throws -> (train: LabeledData, validation: LabeledData?) {
        guard let fraction = arguments[TrainCommand.validation] else { return (data.dataset.train, data.validation) }
        if let split = data.split {
            throw arguments.error(tr("the data is already split (\(split.description)): drop validation=, or load the data again"), at: TrainCommand.validation)
        }
        return data.dataset.train.split(validationFraction: fraction, method: .last, random: RandomSource(seed: 0))
    }

    /// Early stopping watches the validation loss; on the training loss alone it would stop only
    /// when training stalls, which is not what anyone asking for it means.
    static func earlyStopWithoutValidation(_ arguments: Arguments, at option: any ArgumentDeclaration) -> CommandError {
        arguments.error(tr("early-stop watches the validation loss, and there is no validation set: run split validation=0.1 first, or add validation=0.1"),
                        at: option)
    }

    /// Keras's categorical losses want one-hot targets, the sparse ones class numbers.
    /// A batch's activations, their gradients and the convolutions' unfolded patches must fit in
    /// memory; a batch that cannot is refused before training, not by the process dying.
    static func checkBatchMemory(_ model: Sequential, _ batchSize: Int, _ arguments: Arguments) throws {
        var floats = model.inputShape.reduce(1, *)
        var shape = model.inputShape
        for layer in model.layers {
            shape = (try? layer.outputShape(for: shape)) ?? shape
            floats += 3 * shape.reduce(1, *)
            if let conv = layer as? Conv2D { floats += shape.dropFirst().reduce(1, *) * conv.kernelSize * conv.kernelSize * conv.inputChannels }
        }
        do {
            try Memory.require(Memory.product([floats, batchSize, MemoryLayout<Float>.size]), for: Message(verbatim: tr("a batch of \(count(batchSize))")))
        } catch let shortage as Memory.Shortage {
            throw arguments.error(tr(error: shortage), at: TrainCommand.batch)
        }
    }

    static func checkTargets(_ compiled: Compiled, _ data: LabeledData, _ arguments: Arguments) throws {
        if compiled.lossName.wantsOneHot == true && !data.oneHot {
            throw arguments.error(tr("loss=categorical-crossentropy takes one-hot labels: run one-hot first, or compile with loss=sparse-categorical-crossentropy"))
        }
        if compiled.lossName.wantsOneHot == false && data.oneHot {
            throw arguments.error(tr("loss=sparse-categorical-crossentropy takes class numbers, but the labels are one-hot: compile with loss=categorical-crossentropy"))
        }
    }

    /// Keras's progress line: `Epoch 3/30 ━━━━╺━━━ 412/797 · loss 0.2113 · accuracy 0.9391 · 9,412/s · ETA 2s`,
    /// loss and accuracy the means over the epoch so far (one batch's loss jumps about too much to read).
    static func progress(_ report: BatchReport, of epochs: Int, seconds elapsed: Double) -> Progress {
        let rate = elapsed > 0 ? " · \(count(Int(Double(report.samples) / elapsed)))/s" : ""
        return Progress(label: tr("Epoch \(report.epoch)/\(epochs)"), done: report.batch, total: report.batches,
                        detail: trFormat("loss %.4f · accuracy %.4f", report.meanLoss, report.meanAccuracy) + rate,
                        secondsLeft: elapsed / Double(report.batch) * Double(report.batches - report.batch))
    }

    /// `Epoch 3/30 · 0.41s · loss 0.2113 · accuracy 0.9391 · val_loss 0.2204 · val_accuracy 0.9350`
    static func epochLine(_ record: EpochRecord, of epochs: Int) -> String {
        var line = trFormat("Epoch %d/%d · %@ · loss %.4f · accuracy %.4f", record.epoch, epochs,
                          formatDuration(record.seconds), record.loss, record.accuracy)
        if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
            line += trFormat(" · val_loss %.4f · val_accuracy %.4f", loss, accuracy)
        }
        return line
    }
}

extension Session {
    /// A run's epochs added to the history, numbered on from the epochs before them.
    func appendHistory(_ records: [EpochRecord]) {
        let before = history.count
        state.history += records.map { $0.renumbered(before + $0.epoch) }
    }
}

/// `train`'s options; `sweep` takes the same `validation=` and `shuffle=`.
enum TrainCommand {
    static let epochs = Argument<Int>("epochs", .within(1...100_000), default: 1, "passes over the training set")
    static let batch = Argument<Int>("batch", .atLeast(1), default: 32, "images per gradient step")
    static let validation = Argument<Double?>("validation", .fraction, "hold out this last fraction for this run (as Keras's validation_split)")
    static let earlyStop = Argument<Int?>("early-stop", .atLeast(1), "stop when the validation loss has not improved for N epochs")
    static let shuffle = Argument<Bool>("shuffle", default: true, "reshuffle the training set every epoch")
}
