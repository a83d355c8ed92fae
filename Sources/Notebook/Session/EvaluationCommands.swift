import Core
import Foundation

extension Session {
    static let evaluationCommands: [Command] = [metrics, roc, plot, show, predict]

    static let splitOption = Argument<SplitName>("on", default: .test, "which images")
    static let fileOption = Argument<FilePath?>("to", "write the picture to this .svg file instead")

    static let metrics = Command(spec: CommandSpec(
        "metrics", group: .evaluation,
        summary: "accuracy, precision, recall and F1 per class (as scikit-learn), and the confusion matrix",
        usage: "metrics [on=test|validation|train] [average=weighted|macro]",
        example: "metrics on=test average=weighted",
        options: [splitOption, MetricsCommand.average]
    )) { session, arguments, output in
        let (split, data, predictions) = try session.predictions(arguments[splitOption], arguments)
        let names = session.data!.dataset.classNames
        let confusion = ConfusionMatrix(truth: data.labels, predicted: predictions.predicted, classCount: data.classCount)
        let report = ClassificationReport(confusion)
        let average = arguments[MetricsCommand.average]
        let chosen = average == .macro ? report.macro : report.weighted
        let averageName = average == .macro ? tr("macro average") : tr("weighted average")
        output.emit(.fields([
            Field(tr("accuracy"), percent(report.accuracy) + tr(" of \(count(data.count)) \(split.spoken) images")),
            Field(tr("precision"), percent(chosen.precision) + " (\(averageName))"),
            Field(tr("recall"), percent(chosen.recall) + " (\(averageName))"),
            Field(tr("F1"), percent(chosen.f1) + " (\(averageName))"),
        ]))
        func row(_ name: String, _ s: ClassificationReport.Scores) -> [String] {
            [name, String(format: "%.4f", s.precision), String(format: "%.4f", s.recall), String(format: "%.4f", s.f1), String(s.support)]
        }
        let rows = zip(names, report.classes).map(row) + [["", "", "", "", ""],
            [tr("accuracy"), "", "", String(format: "%.4f", report.accuracy), String(confusion.total)],
            row(tr("macro avg"), report.macro), row(tr("weighted avg"), report.weighted)]
        output.emit(.table(Table(headers: ["", tr("precision"), tr("recall"), tr("f1-score"), tr("support")], rows: rows,
                                 alignments: [.right, .right, .right, .right, .right])))
        output.emit(.heatmap(confusionHeatmap(confusion, names: names, split: split)))
    }

    static let roc = Command(spec: CommandSpec(
        "roc", group: .evaluation,
        summary: "ROC curves and AUC of each class against the rest, with macro and micro averages",
        usage: "roc [on=test|validation|train] [to=FILE.svg]",
        example: "roc on=test",
        options: [splitOption, fileOption]
    )) { session, arguments, output in
        let (split, data, predictions) = try session.predictions(arguments[splitOption], arguments)
        let analysis = ROCAnalysis(probabilities: predictions.probabilities, labels: data.labels)
        let names = session.data!.dataset.classNames
        let rows = zip(names, analysis.aucs).map { name, auc in [name, auc.map { String(format: "%.4f", $0) } ?? "n/a"] }
            + [[tr("macro avg"), analysis.macroAUC.map { String(format: "%.4f", $0) } ?? "n/a"],
               [tr("micro avg"), analysis.micro.map { String(format: "%.4f", $0.auc) } ?? "n/a"]]
        output.emit(.table(Table(headers: [tr("class"), tr("AUC")], rows: rows, alignments: [.right, .right])))
        if analysis.aucs.contains(where: { $0 == nil }) {
            output.emit(.note(tr("n/a: a class with no \(split.spoken) images of its own has no ROC curve.")))
        }
        try session.emitPicture(.chart(rocChart(analysis, names: names, split: split)), arguments, output)
    }

    static let plot = Command(spec: CommandSpec(
        "plot", group: .evaluation,
        summary: "draw the loss or accuracy curves, ROC curves, the confusion matrix or the class histogram",
        usage: "plot loss|accuracy [on=train|validation] [runs=all]  ·  plot roc|confusion|classes [on=test|validation|train]  ·  … [to=FILE.svg]",
        example: "plot loss",
        positionals: [PlotCommand.what],
        options: [PlotCommand.on, PlotCommand.runs, fileOption]
    )) { session, arguments, output in
        let picture: Block
        let what = arguments[PlotCommand.what]
        let on = arguments[PlotCommand.on] ?? (what == .classes ? .train : .test)
        switch what {
        case .loss where arguments[PlotCommand.runs] == .all, .accuracy where arguments[PlotCommand.runs] == .all:
            guard !session.state.runs.isEmpty else { throw arguments.error(tr("no sweep yet — runs=all draws a sweep's runs, e.g. sweep lr=0.01,0.1"), at: PlotCommand.runs) }
            picture = .chart(runsChart(session.state.runs, accuracy: what == .accuracy,
                                       title: tr("\(what == .loss ? tr("Loss") : tr("Accuracy")) per epoch, every run")))
        case .loss, .accuracy:
            guard !session.history.isEmpty else { throw arguments.error(tr("no training yet — train first, e.g. train epochs=5")) }
            // on=train or on=validation draws that curve alone; the test set has none (it is kept for the end).
            let only = arguments[PlotCommand.on]
            if only == .test {
                throw arguments.error(tr("the test set is kept for the end, so it has no curve per epoch: on=train or on=validation"), at: PlotCommand.on)
            }
            let isLoss = what == .loss
            var series: [Chart.Series] = []
            if only != .validation {
                series.append(.init(what.name, session.history.map { .init(Double($0.epoch), isLoss ? $0.loss : $0.accuracy) }))
            }
            let validation = session.history.compactMap { record in
                (isLoss ? record.validationLoss : record.validationAccuracy).map { Chart.Point(Double(record.epoch), $0) }
            }
            if only == .validation && validation.isEmpty {
                throw arguments.error(tr("this training had no validation set: split first, or train with validation=0.1"), at: PlotCommand.on)
            }
            // Validation dashed beside training, as in a sweep: the two differ without colour too.
            if only != .train && !validation.isEmpty { series.append(.init("val_" + what.name, validation, dashed: true)) }
            // Each title whole, so a language can say it in its own order ("Perda de treino por época").
            let title = switch (only, isLoss) {
            case (.train, true): tr("Training loss per epoch")
            case (.train, false): tr("Training accuracy per epoch")
            case (.validation, true): tr("Validation loss per epoch")
            case (.validation, false): tr("Validation accuracy per epoch")
            case (_, true): tr("Loss per epoch")
            case (_, false): tr("Accuracy per epoch")
            }
            picture = .chart(Chart(title: title, xLabel: tr("epoch"), yLabel: what.name, series: series, wholeNumbersOnX: true))
        case .roc:
            let (split, data, predictions) = try session.predictions(on, arguments)
            let analysis = ROCAnalysis(probabilities: predictions.probabilities, labels: data.labels)
            picture = .chart(rocChart(analysis, names: session.data!.dataset.classNames, split: split))
        case .confusion:
            let (split, data, predictions) = try session.predictions(on, arguments)
            let confusion = ConfusionMatrix(truth: data.labels, predicted: predictions.predicted, classCount: data.classCount)
            picture = .heatmap(confusionHeatmap(confusion, names: session.data!.dataset.classNames, split: split))
        case .classes:
            let data = try session.images(on, arguments)
            let counts = data.classCounts
            picture = .bars(BarChart(title: tr("Images per class (\(on.spoken), \(count(data.count)))"),
                                     labels: session.data!.dataset.classNames, values: counts.map(Double.init),
                                     valueTexts: counts.map(count)))
        }
        try session.emitPicture(picture, arguments, output)
    }

    static let show = Command(spec: CommandSpec(
        "show", group: .evaluation,
        summary: "draw digits with their labels (samples, errors, one image) or what the network holds (weights, filters, activations)",
        usage: "show samples|errors [n=9] [on=test]  ·  show image INDEX  ·  show weights|filters [layer=1]  ·  "
            + "show activations INDEX [layer=1]  ·  … [to=FILE.svg]",
        example: "show errors n=9",
        positionals: [ShowCommand.what, ShowCommand.index],
        options: [ShowCommand.n, splitOption, Inside.layer, Inside.channel, fileOption]
    )) { session, arguments, output in
        let what = arguments[ShowCommand.what]
        if let inside = Inside.Picture(rawValue: what.rawValue) {
            try session.emitPicture(.images(try session.inside(inside, arguments, n: arguments[ShowCommand.n],
                                                                  index: inside == .activations ? arguments[ShowCommand.index] : 0)),
                                    arguments, output)
            return
        }
        let split = arguments[splitOption]
        let data = try session.images(split, arguments)
        let n = arguments[ShowCommand.n] ?? 9
        let predictions = session.model == nil ? nil : try session.predictions(split, arguments).predictions
        if what == .errors && predictions == nil { throw arguments.error(tr("no model yet — errors are the images the model gets wrong")) }
        let indices: [Int]
        let title: String
        switch what {
        case .image:
            let index = arguments[ShowCommand.index]
            guard index < data.count else { throw arguments.error(tr("the \(split.spoken) set has \(count(data.count)) images: 0 to \(data.count - 1)"), at: ShowCommand.index) }
            indices = [index]
            title = split.imageTitle(index)
        case .errors:
            let wrong = data.labels.indices.filter { predictions!.predicted[$0] != data.labels[$0] }
            guard !wrong.isEmpty else {
                output.emit(.note(tr("The model gets every one of the \(count(data.count)) \(split.spoken) images right: no errors to show.")))
                return
            }
            indices = Array(wrong.prefix(n))
            title = tr("The first \(indices.count) of \(count(wrong.count)) \(split.spoken) images the model gets wrong")
        case .weights, .filters, .activations:
            return   // drawn above
        case .samples:
            // A seeded draw, so a replayed notebook shows the same digits; from a stream of its own, so
            // looking at the data never changes what training then draws (and each look shows others).
            session.state.samplesShown += 1
            let viewing = RandomSource(seed: session.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(session.state.samplesShown))
            indices = Array(viewing.permutation(data.count).prefix(n))
            title = tr("\(indices.count) \(split.spoken) images at random")
        }
        let grid = ImageGrid(title: title, columns: Int(Double(indices.count).squareRoot().rounded(.up)),
                             images: indices.map { session.gridImage($0, of: data, predictions) })
        try session.emitPicture(.images(grid), arguments, output)
    }

    static let predict = Command(spec: CommandSpec(
        "predict", group: .evaluation,
        summary: "one image and the probability the model gives each class",
        usage: "predict INDEX [on=test]",
        example: "predict 42",
        positionals: [PredictCommand.index],
        options: [splitOption]
    )) { session, arguments, output in
        let (split, data, predictions) = try session.predictions(arguments[splitOption], arguments)
        let index = arguments[PredictCommand.index]
        guard index < data.count else { throw arguments.error(tr("the \(split.spoken) set has \(count(data.count)) images: 0 to \(data.count - 1)"), at: PredictCommand.index) }
        let names = session.data!.dataset.classNames
        let row = Array(predictions.probabilities[row: index]).map(Double.init)
        let best = predictions.predicted[index]
        output.emit(.images(ImageGrid(title: split.imageTitle(index), columns: 1,
                                      images: [session.gridImage(index, of: data, predictions)])))
        output.emit(.bars(BarChart(title: tr("Predicted probabilities"), labels: names, values: row,
                                   valueTexts: row.map { String(format: "%.1f%%", $0 * 100) }, highlighted: best)))
        let truth = data.labels[index]
        output.emit(.text(tr("Predicted \(names[best]) with \(String(format: "%.1f%%", row[best] * 100)); the true label is \(names[truth])")
                          + (best == truth ? "." : " — wrong.")))
    }

    // MARK: - Pictures

    static func confusionHeatmap(_ confusion: ConfusionMatrix, names: [String], split: SplitName) -> Heatmap {
        Heatmap(title: tr("Confusion matrix (\(split.spoken))"), rowTitle: tr("true"), columnTitle: tr("predicted"),
                rowLabels: names, columnLabels: names, shades: confusion.rowNormalized,
                cells: confusion.counts.map { $0.map(String.init) })
    }

    static func rocChart(_ analysis: ROCAnalysis, names: [String], split: SplitName) -> Chart {
        let curves = zip(names, analysis.curves).compactMap { name, curve in
            curve.map { curve in
                // The AUC as the table prints it: a legend's 1.000 beside a table's 0.9998 reads as a contradiction.
                Chart.Series(trFormat("%@ (AUC %.4f)", name, curve.auc),
                             zip(curve.falsePositiveRates, curve.truePositiveRates).map { Chart.Point($0, $1) })
            }
        }
        return Chart(title: tr("ROC curves, one class against the rest (\(split.spoken))"), xLabel: tr("false positive rate"),
                     yLabel: tr("true positive rate"), series: curves, unitSquare: true)
    }

    /// A command's `to=FILE.svg`, checked before the command runs — the name, the place, what is
    /// there now — so `roc to=r.png` fails at once rather than after printing its table.
    @discardableResult
    func checkPictureFile(_ arguments: Arguments) throws -> String? {
        guard arguments.has(Self.fileOption), let path = arguments[Self.fileOption]?.text else { return nil }
        guard path.lowercased().hasSuffix(".svg") else { throw arguments.error(tr("to= takes an .svg file name, got '\(path)'"), at: Self.fileOption) }
        do { return try writablePath(path) } catch let problem as ValueProblem {
            throw arguments.error(problem.message, at: Self.fileOption)
        }
    }

    /// Writes an SVG when the command says `to=FILE.svg`, else shows the picture.
    func emitPicture(_ picture: Block, _ arguments: Arguments, _ output: OutputSink) throws {
        guard let target = try checkPictureFile(arguments) else {
            output.emit(picture)
            return
        }
        let path = arguments[Self.fileOption]?.text ?? target
        let svg = SVGRenderer().render(picture)!
        do {
            try AtomicFile.write(Data(svg.utf8), to: target)
        } catch {
            throw arguments.error(tr(error: error), at: Self.fileOption)
        }
        output.emit(.note(tr("Wrote \(path).")))
    }
}

private enum MetricsCommand {
    enum Average: String, Choice { case weighted, macro }
    static let average = Argument<Average>("average", default: .weighted, "the average shown first: weighted by support, or plain mean")
}

private enum PlotCommand {
    enum Picture: String, Choice { case loss, accuracy, roc, confusion, classes }
    static let what = Argument<Picture>(required: "what", "what to draw: loss, accuracy, roc, confusion or classes")
    static let on = Argument<SplitName?>("on", default: "test (classes: train; loss, accuracy: both curves)", "which images")
    enum Runs: String, Choice { case current, all }
    static let runs = Argument<Runs>("runs", default: .current, "all: every sweep run, overlaid", only: ["loss", "accuracy"])
}

private enum ShowCommand {
    enum Picture: String, Choice { case samples, errors, image, weights, filters, activations }
    static let what = Argument<Picture>(required: "what", "samples, errors, image INDEX, weights, filters or activations INDEX")
    static let index = Argument<Int>(required: "index", .atLeast(0), "the image's index", only: ["image", "activations"],
                                     missing: "'show image' and 'show activations' need the image's index, e.g. show image 42")
    static let n = Argument<Int?>("n", .within(1...256), default: "9; weights and activations 16; filters all",
                                  "how many images", only: ["samples", "errors", "weights", "filters", "activations"])
}

private enum PredictCommand {
    static let index = Argument<Int>(required: "index", .atLeast(0), "the image's index")
}

extension Session {
    /// A model's predictions on one split: the class probabilities and the chosen classes.
    struct Predictions {
        let probabilities: Tensor   // [N, C]
        let predicted: [Int]
    }

    /// The images of a split, by name.
    func images(_ split: SplitName, _ arguments: Arguments) throws -> LabeledData {
        let data = try requireData(arguments)
        switch split {
        case .validation:
            guard let validation = data.validation else {
                throw arguments.error(tr("there is no validation set — split first, e.g. split validation=0.15"), at: Self.splitOption)
            }
            return validation
        case .train: return data.dataset.train
        case .test: return data.dataset.test
        }
    }

    /// The model's predictions on `split`, computed once per model and data state.
    func predictions(_ split: SplitName, _ arguments: Arguments) throws -> (split: SplitName, data: LabeledData, predictions: Predictions) {
        let data = try images(split, arguments)
        let model = try requireModel(arguments)
        guard data.inputs.featuresPerSample == model.inputShape.reduce(1, *), model.outputShape == [data.classCount] else {
            throw arguments.error(tr("the model takes \(formatShape(model.inputShape)) and gives \(formatShape(model.outputShape)) values; the data has \(formatShape(data.sampleShape)) images of \(data.classCount) classes"))
        }
        if let cached = state.predictionCache[split] { return (split, data, cached) }
        let output = model.predict(data.inputs)
        let probabilities: Tensor = switch model.layers.last {
        case is Softmax: output
        case is LogSoftmax: Tensor(shape: output.shape, scalars: output.scalars.map { Foundation.exp($0) })
        default: Softmax().forward(output, training: false)   // logits
        }
        let predictions = Predictions(probabilities: probabilities, predicted: probabilities.argmaxPerRow())
        state.predictionCache[split] = predictions
        return (split, data, predictions)
    }

    /// One digit for a grid: pixels brought to 0…1 for display, captioned "true → predicted (p%)".
    func gridImage(_ index: Int, of data: LabeledData, _ predictions: Predictions?) -> ImageGrid.Image {
        let shape = data.sampleShape
        let (height, width) = shape.count == 3 ? (shape[1], shape[2]) : (1, shape.reduce(1, *))
        var pixels = Array(data.inputs[row: index].prefix(height * width))
        switch self.data?.normalization {
        case .scale: break
        case .standardize:
            let (low, high) = (pixels.min() ?? 0, pixels.max() ?? 1)
            pixels = pixels.map { high > low ? ($0 - low) / (high - low) : 0 }
        case nil: pixels = pixels.map { $0 / 255 }
        }
        let names = self.data!.dataset.classNames
        let truth = data.labels[index]
        guard let predictions else {
            return ImageGrid.Image(width: width, height: height, pixels: pixels, caption: names[truth])
        }
        let guess = predictions.predicted[index]
        let probability = predictions.probabilities.scalars[index * data.classCount + guess]
        return ImageGrid.Image(width: width, height: height, pixels: pixels,
                               caption: tr("\(names[truth]) → \(names[guess]) \(Int((probability * 100).rounded()))%"),
                               correct: guess == truth)
    }
}
