import Core
import Foundation

extension Session {
    static let dataCommands: [Command] = [load, normalize, oneHot, split, augment]

    static let augment = Command(spec: CommandSpec(
        "augment", group: .data,
        summary: "rotate and shift training images at random, afresh every batch (or: augment off)",
        usage: "augment rotate=DEGREES shift=PIXELS  ·  augment off",
        example: "augment rotate=15 shift=2",
        positionals: [AugmentCommand.off],
        options: [AugmentCommand.rotate, AugmentCommand.shift]
    )) { session, arguments, output in
        if arguments[AugmentCommand.off] != nil {
            guard arguments.line.options.isEmpty else { throw arguments.error(tr("'augment off' takes no options"), at: AugmentCommand.off) }
            session.state.augmentation = nil
            output.emit(.text(tr("Augmentation off: training images are used as they are.")))
            return
        }
        let rotation = arguments[AugmentCommand.rotate], shift = arguments[AugmentCommand.shift]
        guard rotation > 0 || shift > 0 else {
            throw arguments.error(tr("say how much: augment rotate=15 shift=2 (or augment off)"))
        }
        session.state.augmentation = Augmentation(rotation: Float(rotation), shift: Float(shift))
        output.emit(.text(tr("Each training batch will be rotated by up to ±\(format(rotation))° and shifted by up to ±\(format(shift)) pixels, at random (test and validation images stay as they are).")))
    }

    static let load = Command(spec: CommandSpec(
        "load", group: .data,
        summary: "load a dataset — MNIST, Fashion-MNIST, the IDX files in a folder — or a saved model",
        usage: "load mnist|fashion-mnist [limit=N] [test-limit=N] [dir=DIR]  ·  load idx DIR  ·  load model FILE.safetensors",
        example: "load mnist limit=10000",
        positionals: [LoadCommand.dataset, LoadCommand.folder, LoadCommand.modelFile],
        options: [LoadCommand.limit, LoadCommand.testLimit, LoadCommand.directory]
    )) { session, arguments, output in
        let (limit, testLimit) = (arguments[LoadCommand.limit], arguments[LoadCommand.testLimit])
        let dataset: Dataset
        let directory: String
        let title: String
        do {
            switch arguments[LoadCommand.dataset] {
            case .model:
                try session.loadModel(session.resolveForReading(arguments[LoadCommand.modelFile].text), arguments, output)
                return
            case .idx:
                directory = session.resolveForReading(arguments[LoadCommand.folder].text)
                dataset = try Dataset.loadIDXFolder(directory, limit: limit, testLimit: testLimit)
                title = tr("the IDX files")
            case .named(let info):
                let folder: String?
                do { folder = try arguments[LoadCommand.directory].map { try session.writableFolder($0.text) } } catch let problem as ValueProblem {
                    throw arguments.error(problem.message, at: LoadCommand.directory)
                }
                let store = DataStore(explicitDirectory: folder,
                                      environment: session.environment, workingDirectory: session.workingDirectory)
                // Progress arrives on the download's thread while this one waits for it to finish.
                nonisolated(unsafe) let sink = output
                directory = try store.fetch(info) { progress in
                    sink.progress(Progress(label: tr("Downloading \(progress.file)"), done: progress.received,
                                             total: progress.expected ?? progress.received, detail: "\(progress.received / 1024) KiB",
                                             secondsLeft: nil))
                }
                output.progress(nil)
                dataset = try Dataset.load(info, from: directory, limit: limit, testLimit: testLimit)
                title = trText(info.title)
            }
        } catch let error as IDXFile.Error {
            throw arguments.error(tr(error: error))
        } catch let error as DataStore.Error {
            throw arguments.error(tr(error: error))
        }
        session.data = LoadedData(dataset: dataset)
        let shape = dataset.train.sampleShape
        let shown = DataStore(environment: session.environment, workingDirectory: session.workingDirectory).display(directory)
        output.emit(.text(tr("Loaded \(title) from \(shown)")))
        output.emit(.fields([
            Field(tr("training"), tr("\(count(dataset.train.count)) images of \(shape.dropFirst().map(String.init).joined(separator: "×"))")),
            Field(tr("test"), tr("\(count(dataset.test.count)) images")),
            Field(tr("classes"), "\(dataset.classNames.count): " + dataset.classNames.joined(separator: dataset.classNames.allSatisfy { $0.count == 1 } ? " " : ", ")),
            Field(tr("pixels"), tr("0 to 255")),
        ]))
        if let expected = session.state.modelPreprocessing, let step = expected.normalization {
            output.emit(.note(tr("The loaded model was trained on \(expected.sentence): run normalize \(step) before evaluating it.")))
        }
    }

    static let normalize = Command(spec: CommandSpec(
        "normalize", group: .data,
        summary: "scale pixels to [0, 1], or standardize them to mean 0 and standard deviation 1",
        usage: "normalize [scale|standardize]",
        example: "normalize scale",
        positionals: [NormalizeCommand.method]
    )) { session, arguments, output in
        var data = try session.requireData(arguments)
        if let done = data.normalization {
            throw arguments.error(tr("the pixels are already normalized (\(done.name)) — load the data again to start over"))
        }
        data.normalization = arguments[NormalizeCommand.method]
        switch arguments[NormalizeCommand.method] {
        case .standardize:
            let (dataset, mean, std) = data.dataset.standardized()
            data.standardization = (mean, std)
            data.dataset = dataset
            data.validation = data.validation?.transformingInputs { ($0 - mean) / std }
            output.emit(.text(trFormat("Standardized: (pixel − %.2f) / %.2f, the training images' mean and standard deviation.", mean, std)))
        case .scale:
            data.dataset = data.dataset.scaled()
            data.validation = data.validation?.transformingInputs { $0 / 255 }
            output.emit(.text(tr("Scaled: every pixel divided by 255, so 0 (black) to 1 (white).")))
        }
        session.data = data
    }

    static let oneHot = Command(spec: CommandSpec(
        "one-hot", group: .data,
        summary: "give the loss one-hot vectors instead of class numbers (categorical targets)",
        usage: "one-hot",
        example: "one-hot"
    )) { session, arguments, output in
        var data = try session.requireData(arguments)
        guard !data.dataset.train.oneHot else { throw arguments.error(tr("the labels are already one-hot vectors")) }
        data.dataset = data.dataset.withOneHotTargets()
        data.validation?.oneHot = true
        session.data = data
        let classes = data.dataset.classNames.count
        let label = data.dataset.train.labels.first ?? 0
        let vector = (0..<classes).map { $0 == label ? "1" : "0" }.joined(separator: " ")
        output.emit(.text(tr("Labels are now one-hot vectors of \(classes) values: \(data.dataset.classNames[label]) → [\(vector)].")))
    }

    static let split = Command(spec: CommandSpec(
        "split", group: .data,
        summary: "hold out part of the training set to validate on",
        usage: "split validation=0.15 [method=random|last]",
        example: "split validation=0.15",
        options: [SplitCommand.validation, SplitCommand.method]
    )) { session, arguments, output in
        var data = try session.requireData(arguments)
        if let split = data.split {
            throw arguments.error(tr("the training set is already split (\(split.description)) — load the data again to split differently"))
        }
        let (fraction, method) = (arguments[SplitCommand.validation], arguments[SplitCommand.method])
        let whole = data.dataset.train.count
        let (train, validation) = data.dataset.train.split(validationFraction: fraction, method: method, random: session.random)
        guard train.count > 0, validation.count > 0 else {
            throw arguments.error(tr("validation=\(format(fraction)) of \(whole) images leaves one side empty"), at: SplitCommand.validation)
        }
        let split = SplitRecord(method: method, seed: session.seed, validationCount: validation.count)
        data.dataset.train = train
        data.validation = validation
        data.split = split
        session.data = data
        output.emit(.text(tr("Held out \(count(validation.count)) of \(count(whole)) training images for validation (\(split.description)); \(count(train.count)) left to train on.")))
    }

}

private enum AugmentCommand {
    enum Off: String, Choice { case off }
    static let off = Argument<Off?>("off", "off, to stop augmenting")
    static let rotate = Argument<Double>("rotate", .within(0...180), default: 0, "the largest rotation either way, in degrees")
    static let shift = Argument<Double>("shift", .within(0...100), default: 0, "the largest shift either way, in pixels")
}

/// A dataset `load` knows by name, or `idx` for the IDX files in a folder.
enum DatasetName: Choice {
    case named(DatasetInfo)
    case idx
    /// Not a dataset: `load model FILE` reads a model file.
    case model

    static var allCases: [DatasetName] { DatasetInfo.catalog.map { .named($0) } + [.idx, .model] }
    static var aliases: [String: DatasetName] { ["fmnist": .named(.fashionMNIST)] }
    var name: String {
        switch self {
        case .named(let info): info.name
        case .idx: "idx"
        case .model: "model"
        }
    }
    static func == (a: DatasetName, b: DatasetName) -> Bool { a.name == b.name }
}

private enum LoadCommand {
    static let dataset = Argument<DatasetName>(required: "dataset", "a dataset: mnist, fashion-mnist or idx DIR; or model FILE")
    static let folder = Argument<FilePath>(required: "folder", "the folder that holds the IDX files", only: ["idx"],
                                           problem: "'load idx' needs the folder that holds the IDX files")
    static let modelFile = Argument<FilePath>(required: "file", "the model file", only: ["model"],
                                              missing: "'load model' needs the file, e.g. load model mnist-mlp.safetensors")
    static let limit = Argument<Int?>("limit", .atLeast(1), "keep only the first N training images", only: ["mnist", "fashion-mnist", "idx"])
    static let testLimit = Argument<Int?>("test-limit", .atLeast(1), "keep only the first N test images", only: ["mnist", "fashion-mnist", "idx"])
    static let directory = Argument<FilePath?>("dir", "look in this folder first (downloads go there too)", only: ["mnist", "fashion-mnist"])
}

private enum NormalizeCommand {
    static let method = Argument<Normalization>("method", default: .scale, "how: scale or standardize")
}

private enum SplitCommand {
    static let validation = Argument<Double>("validation", .fraction, default: 0.15, "the fraction held out")
    static let method = Argument<SplitMethod>("method", default: .random,
                                              "random (seeded, as PyTorch's random_split) or the last images (as Keras's validation_split)")
}
