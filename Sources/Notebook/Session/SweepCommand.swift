import Core
import Foundation
import Synchronization

/// One run of a sweep: the value it tried and how training went. The session keeps every run, so
/// `plot loss runs=all` can overlay them after the sweep.
struct SweepRun {
    enum Outcome: Equatable {
        case completed, stoppedEarly
        case diverged(epoch: Int)
    }

    let label: String            // "lr=0.1"
    let history: [EpochRecord]
    let testAccuracy: Double?
    let outcome: Outcome

    var bestValidationEpoch: Int? {
        history.filter { $0.validationLoss != nil }.min { $0.validationLoss! < $1.validationLoss! }?.epoch
    }
}

extension Session {
    static let sweep = Command(spec: CommandSpec(
        "sweep", group: .training,
        summary: "train a fresh copy of the model per value of one setting (lr, momentum, batch, …) and compare",
        usage: "sweep SETTING=V1,V2,… [epochs=10] [batch=32] [validation=X] [keep=best] [to=FILE.svg]",
        example: "sweep lr=0.001,0.01,0.1,1 epochs=10 validation=0.1",
        options: Sweep.settings.map(\.spec) + [TrainCommand.validation.spec, TrainCommand.shuffle.spec, Sweep.keep.spec,
                                               Sweep.parallel.spec, fileOption.spec]
    )) { session, arguments, output in
        let data = try session.requireData(arguments)
        let model = try session.requireModel(arguments)
        let compiled = try session.requireCompiled(arguments)
        try checkTargets(compiled, data.dataset.train, arguments)
        let plans = try Sweep.plans(arguments, session: session, model: model, compiled: compiled)
        let (train, validation) = try trainingSets(data, arguments)
        if validation == nil, plans.contains(where: { $0.earlyStop != nil }) {
            throw earlyStopWithoutValidation(arguments, at: Sweep.settings.first { $0.target == .earlyStop }!)
        }
        do {
            try Trainer(model: model, loss: compiled.loss, optimizer: compiled.optimizer, random: session.random).checkCompatible(train)
        } catch let error as TrainingError {
            throw arguments.error(tr(error: error))
        }
        let test = data.dataset.test.count > 0 ? data.dataset.test : nil
        let atOnce = arguments[Sweep.parallel] ? min(ProcessInfo.processInfo.activeProcessorCount, plans.count) : 1
        let runner = SweepRunner(plans: plans, train: train, validation: validation, test: test,
                                 augmentation: session.state.augmentation, shuffle: arguments[TrainCommand.shuffle],
                                 start: session.random.position)
        let started = DispatchTime.now()
        let interrupted = runner.run(atOnce: atOnce, interruptRequested: session.interruptRequested) { finished in
            output.progress(nil)
            output.emit(.text(Sweep.runLine(finished)))
        } progress: { output.progress($0) }
        output.progress(nil)
        if let failure = runner.slots.lazy.compactMap(\.failure).first { throw arguments.error(failure) }
        let finished = runner.slots.compactMap(\.result)
        guard !finished.isEmpty else {
            output.emit(.note(tr("Interrupted before the first run finished: nothing to keep. The model is as it was.")))
            return
        }
        session.state.runs += finished.map(\.run)
        let setting = plans[0].setting
        output.emit(.table(Sweep.table(finished.map(\.run), setting: setting, hasValidation: validation != nil)))
        try session.emitPicture(.chart(runsChart(finished.map(\.run), title: tr("Loss per epoch, by \(setting)"))), arguments, output)
        let total = formatDuration(seconds(since: started))
        if interrupted {
            output.emit(.note(tr("Interrupted: kept the \(finished.count) finished run\(finished.count == 1 ? "" : "s") of \(plans.count) (\(total)). The model is as it was.")))
        } else {
            output.emit(.note(tr("\(plans.count) runs in \(total)\(atOnce > 1 ? tr(", \(atOnce) at once") : ""), each from the same weights and the same data order.")))
        }
        guard arguments[Sweep.keep] == .best else { return }
        guard let best = Sweep.best(finished, hasValidation: validation != nil) else {
            output.emit(.note(tr("No run finished without diverging: the model is as it was.")))
            return
        }
        // As if the best value had been compiled and trained: its weights, optimizer, history and random position.
        session.state.model = best.model
        session.state.compiled = best.compiled
        session.state.predictionCache = [:]
        session.appendHistory(best.run.history)
        session.state.random.position = best.randomPosition
        output.emit(.note(tr("Kept \(best.run.label) (\(validation != nil ? tr("the highest validation accuracy") : tr("the lowest training loss"))): it is now the model, compiled as it trained.")))
    }

    /// Training and validation loss (or accuracy) per epoch, one colour per run, validation dashed.
    static func runsChart(_ runs: [SweepRun], accuracy: Bool = false, title: String) -> Chart {
        let name = accuracy ? "accuracy" : "loss"
        var series: [Chart.Series] = []
        for (index, run) in runs.enumerated() {
            series.append(.init("\(run.label) \(name)", run.history.map { .init(Double($0.epoch), accuracy ? $0.accuracy : $0.loss) },
                                colour: index))
            let validation = run.history.compactMap { record in
                (accuracy ? record.validationAccuracy : record.validationLoss).map { Chart.Point(Double(record.epoch), $0) }
            }
            if !validation.isEmpty { series.append(.init("\(run.label) val_\(name)", validation, colour: index, dashed: true)) }
        }
        return Chart(title: title, xLabel: tr("epoch"), yLabel: name, series: series, wholeNumbersOnX: true)
    }
}

/// What a sweep can vary, how its options read, and its table.
enum Sweep {
    /// Where a swept value goes: the compile line, the training loop, or the model's dropout layers.
    enum Target: Sendable { case compile, epochs, batch, earlyStop, dropout }

    struct Setting: ArgumentDeclaration {
        let spec: ArgumentSpec
        let target: Target
        let values: @Sendable (Arguments) -> [Double]?
    }

    enum Keep: String, Choice { case none, best }

    static let settings: [Setting] = [
        numbers("lr", .positive, "learning rates (compile's lr)"),
        numbers("momentum", .rate, "SGD momentums"),
        numbers("weight-decay", .nonNegative, "L2 penalties"),
        numbers("beta1", .rate, "Adam's first-moment decays"),
        numbers("beta2", .rate, "Adam's second-moment decays"),
        numbers("epsilon", .positive, "Adam's ε"),
        numbers("dropout", .rate, "rates for every dropout layer of the model", target: .dropout),
        counts("epochs", .within(1...100_000), default: 10, "passes over the training set", target: .epochs),
        counts("batch", .atLeast(1), default: 32, "images per gradient step", target: .batch),
        counts("early-stop", .atLeast(1), default: nil, "stop a run when the validation loss has not improved for N epochs", target: .earlyStop),
    ]
    static let keep = Argument<Keep>("keep", default: .none, "best: make the run with the best validation accuracy the model")
    static let parallel = Argument<Bool>("parallel", default: true, "train runs at once, one per core")

    private static func numbers(_ name: String, _ limit: Limit<Double>, _ help: String, target: Target = .compile) -> Setting {
        let argument = Argument<ValueList<Double>?>(name, .each(limit), default: "as compiled", help)
        return Setting(spec: argument.spec, target: target) { $0[argument]?.values }
    }

    private static func counts(_ name: String, _ limit: Limit<Int>, default value: Int?, _ help: String, target: Target) -> Setting {
        let argument = Argument<ValueList<Int>?>(name, .each(limit), default: value.map(String.init), help)
        return Setting(spec: argument.spec, target: target) { arguments in
            arguments[argument].map { $0.values.map(Double.init) } ?? value.map { [Double($0)] }
        }
    }

    /// One run to make: a copy of the model, compiled afresh, and how to train it.
    struct Plan {
        let setting: String
        let label: String
        let model: Sequential
        let compiled: Session.Compiled
        let epochs: Int
        let batch: Int
        let earlyStop: Int?
    }

    /// Every run, built and checked before the first trains: a value a run cannot take stops the
    /// sweep before any time is spent.
    static func plans(_ arguments: Arguments, session: Session, model: Sequential, compiled: Session.Compiled) throws -> [Plan] {
        let given = settings.compactMap { setting in setting.values(arguments).map { (setting, $0) } }
        let swept = given.filter { $0.1.count > 1 }
        guard let (setting, values) = swept.first else {
            throw arguments.error(tr("give one setting two or more values to compare, like lr=0.001,0.01,0.1"))
        }
        if swept.count > 1 {
            throw arguments.error(tr("a sweep varies one setting at a time: \(setting.spec.name) and \(swept[1].0.spec.name) both have several values"),
                                  at: swept[1].0.spec)
        }
        if given.contains(where: { $0.0.target == .dropout }), !model.layers.contains(where: { $0 is Dropout }) {
            throw arguments.error(tr("the model has no dropout layer to vary — add one, e.g. add dropout 0.5"),
                                  at: settings.first { $0.target == .dropout }!.spec)
        }
        return try values.map { value in
            func chosen(_ target: Target) -> Double? {
                target == setting.target && target != .compile ? value : given.first { $0.0.target == target }?.1[0]
            }
            var line = compiled.line
            for (other, values) in given where other.target == .compile {
                line = replacing(other.spec.name, with: format(other.spec.name == setting.spec.name ? value : values[0]), in: line)
            }
            let copy = try Session.copy(of: model, dropout: chosen(.dropout))
            let recompiled: Session.Compiled
            do {
                recompiled = try Session.compiled(try Session.compile.spec.validate(Parser.parse(line)!), for: copy)
                copy.precision = recompiled.precision
            } catch let error as CommandError {
                throw arguments.error(error.message, at: setting.target == .compile ? setting.spec : nil)
            }
            return Plan(setting: setting.spec.name, label: "\(setting.spec.name)=\(format(value))", model: copy, compiled: recompiled,
                        epochs: Int(chosen(.epochs)!), batch: Int(chosen(.batch)!), earlyStop: chosen(.earlyStop).map(Int.init))
        }
    }

    /// `compile optimizer=sgd lr=0.01 …` with `key=value` set, replacing the key's value or appended.
    static func replacing(_ key: String, with value: String, in line: String) -> String {
        var words = line.split(separator: " ").map(String.init)
        if let index = words.firstIndex(where: { $0.hasPrefix(key + "=") }) {
            words[index] = "\(key)=\(value)"
        } else {
            words.append("\(key)=\(value)")
        }
        return words.joined(separator: " ")
    }

    /// The run to keep: the best final validation accuracy (without validation data, the lowest
    /// training loss) among the runs that did not diverge.
    static func best(_ finished: [SweepRunner.Finished], hasValidation: Bool) -> SweepRunner.Finished? {
        let candidates = finished.filter { if case .diverged = $0.run.outcome { false } else { !$0.run.history.isEmpty } }
        return hasValidation
            ? candidates.max { $0.run.history.last!.validationAccuracy! < $1.run.history.last!.validationAccuracy! }
            : candidates.min { $0.run.history.last!.loss < $1.run.history.last!.loss }
    }

    /// `lr=0.01 · 10 epochs in 41s · loss 0.0712 · val_loss 0.0923 · val_accuracy 0.9721`
    static func runLine(_ finished: SweepRunner.Finished) -> String {
        let run = finished.run
        var parts = [run.label]
        switch run.outcome {
        case .diverged(let epoch): parts.append(tr("diverged in epoch \(epoch)"))
        case .completed, .stoppedEarly:
            let epochs = run.history.count
            parts.append(tr("\(epochs) epoch\(epochs == 1 ? "" : "s")\(run.outcome == .stoppedEarly ? tr(" (stopped early)") : "") in \(formatDuration(finished.seconds))"))
        }
        if let last = run.history.last {
            parts.append(trFormat("loss %.4f · accuracy %.4f", last.loss, last.accuracy))
            if let loss = last.validationLoss, let accuracy = last.validationAccuracy {
                parts.append(trFormat("val_loss %.4f · val_accuracy %.4f", loss, accuracy))
            }
        }
        return parts.joined(separator: " · ")
    }

    static func table(_ runs: [SweepRun], setting: String, hasValidation: Bool) -> Table {
        func number(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "–" }
        let rows = runs.map { run -> [String] in
            let last = run.history.last
            let value = String(run.label.dropFirst(setting.count + 1))
            let outcome = switch run.outcome {
            case .completed: ""
            case .stoppedEarly: tr("stopped early")
            case .diverged(let epoch): tr("diverged (epoch \(epoch))")
            }
            let validation = hasValidation ? [number(last?.validationLoss), number(last?.validationAccuracy),
                                              run.bestValidationEpoch.map(String.init) ?? "–"] : []
            return [value, number(last?.loss), number(last?.accuracy)] + validation
                + [run.testAccuracy.map(percent) ?? "–", outcome]
        }
        let headers = [setting, "loss", "accuracy"] + (hasValidation ? ["val_loss", "val_acc", tr("best epoch")] : []) + [tr("test acc"), ""]
        return Table(headers: headers, rows: rows, alignments: Array(repeating: .right, count: headers.count - 1) + [.left])
    }
}

extension Session {
    /// A new model with `model`'s layers, weights and random streams (dropout's), so it trains
    /// exactly as `model` would; `dropout` replaces every dropout layer's rate.
    static func copy(of model: Sequential, dropout: Double? = nil) throws -> Sequential {
        var configuration = configuration(of: model)
        if let dropout {
            for index in configuration.layers.indices where configuration.layers[index].kind == "dropout" {
                configuration.layers[index].size = .number(dropout)
            }
        }
        let copy = try Session.model(from: configuration, random: RandomSource(seed: 0))
        for (mine, theirs) in zip(copy.parameters, model.parameters) { mine.value = theirs.value }
        for (mine, theirs) in zip(copy.layers.compactMap(\.randomSource), model.layers.compactMap(\.randomSource)) {
            mine.position = theirs.position
        }
        copy.precision = model.precision
        return copy
    }
}
