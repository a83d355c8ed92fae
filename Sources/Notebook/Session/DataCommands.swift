import Core
import Foundation

extension Session {
    static let dataCommands: [Command] = [load, normalize, oneHot, split, augment]

    static let augment = Command(spec: CommandSpec(
        "augment", group: .data,
        summary: "rotate and shift training images at random, afresh every batch (or: augment off)",
        usage: "augment rotate=DEGREES shift=PIXELS  ·  augment off",
        example: "augment rotate=15 shift=2",
        positionals: [ArgumentSpec("off", .choice(["off"]), "off, to stop augmenting")],
        options: [ArgumentSpec("rotate", .number(.nonNegative), default: "0", "the largest rotation either way, in degrees"),
                  ArgumentSpec("shift", .number(.nonNegative), default: "0", "the largest shift either way, in pixels")]
    )) { session, arguments, output in
        if arguments.text("off") != nil {
            guard arguments.line.options.isEmpty else { throw arguments.error("'augment off' takes no options", positional: 0) }
            session.augmentation = nil
            output.emit(.text("Augmentation off: training images are used as they are."))
            return
        }
        let rotation = arguments.number("rotate") ?? 0, shift = arguments.number("shift") ?? 0
        guard rotation <= 180 else { throw arguments.error("rotate must be ≤ 180 degrees, got \(format(rotation))", at: "rotate") }
        guard rotation > 0 || shift > 0 else {
            throw arguments.error("say how much: augment rotate=15 shift=2 (or augment off)")
        }
        session.augmentation = Augmentation(rotation: Float(rotation), shift: Float(shift))
        output.emit(.text("Each training batch will be rotated by up to ±\(format(rotation))° and shifted by up to ±\(format(shift)) pixels, at random (test and validation images stay as they are)."))
    }

    static let load = Command(spec: CommandSpec(
        "load", group: .data,
        summary: "load a dataset: MNIST, Fashion-MNIST, or the IDX files in a folder",
        usage: "load mnist|fashion-mnist [limit=N] [test-limit=N] [dir=DIR]  ·  load idx DIR",
        example: "load mnist limit=10000",
        positionals: [ArgumentSpec("dataset", .choice(["mnist", "fashion-mnist", "idx"]), "a dataset: mnist, fashion-mnist or idx DIR"),
                      ArgumentSpec("folder", .path, "the folder that holds the IDX files")],
        required: 1,
        options: [ArgumentSpec("limit", .integer(min: 1), "keep only the first N training images"),
                  ArgumentSpec("test-limit", .integer(min: 1), "keep only the first N test images"),
                  ArgumentSpec("dir", .path, "look in this folder first (downloads go there too)", only: ["mnist", "fashion-mnist"])]
    )) { session, arguments, output in
        let name = arguments.text("dataset")!
        let limit = arguments.integer("limit"), testLimit = arguments.integer("test-limit")
        let dataset: Dataset
        let directory: String
        do {
            if name == "idx" {
                guard let folder = arguments.text("folder") else { throw arguments.error("'load idx' needs the folder that holds the IDX files", positional: 0) }
                directory = session.resolve(folder)
                dataset = try Dataset.loadIDXFolder(directory, limit: limit, testLimit: testLimit)
            } else {
                if arguments.text("folder") != nil {
                    throw arguments.error("'load \(name)' takes no folder; use dir=\(arguments.text("folder")!)", positional: 1)
                }
                let info = DatasetInfo.named(name)!
                let store = DataStore(explicitDirectory: arguments.text("dir").map(session.resolve),
                                      environment: session.environment, workingDirectory: session.workingDirectory)
                // Progress arrives on the download's thread while this one waits for it to finish.
                nonisolated(unsafe) let sink = output
                directory = try store.fetch(info) { progress in
                    sink.progress(Progress(label: "Downloading \(progress.file)", done: progress.received,
                                             total: progress.expected ?? progress.received, detail: "\(progress.received / 1024) KiB",
                                             secondsLeft: nil))
                }
                output.progress(nil)
                dataset = try Dataset.load(info, from: directory, limit: limit, testLimit: testLimit)
            }
        } catch let error as IDXFile.Error {
            throw arguments.error(error.description)
        } catch let error as DataStore.Error {
            throw arguments.error(error.description)
        }
        session.data = LoadedData(dataset: dataset)
        let shape = dataset.train.sampleShape
        output.emit(.text("Loaded \(name == "idx" ? "the IDX files" : DatasetInfo.named(name)!.title) from \(directory)"))
        output.emit(.fields([
            Field("training", "\(count(dataset.train.count)) images of \(shape.dropFirst().map(String.init).joined(separator: "×"))"),
            Field("test", "\(count(dataset.test.count)) images"),
            Field("classes", "\(dataset.classNames.count): " + dataset.classNames.joined(separator: dataset.classNames.allSatisfy { $0.count == 1 } ? " " : ", ")),
            Field("pixels", "0 to 255"),
        ]))
    }

    static let normalize = Command(spec: CommandSpec(
        "normalize", group: .data,
        summary: "scale pixels to [0, 1], or standardize them to mean 0 and standard deviation 1",
        usage: "normalize [scale|standardize]",
        example: "normalize scale",
        positionals: [ArgumentSpec("method", .choice(["scale", "standardize"]), default: "scale", "how: scale or standardize")]
    )) { session, arguments, output in
        var data = try session.requireData(arguments)
        if let done = data.normalization {
            throw arguments.error("the pixels are already normalized (\(done)) — load the data again to start over")
        }
        if arguments.text("method") == "standardize" {
            let (dataset, mean, std) = data.dataset.standardized()
            data.dataset = dataset
            data.validation = data.validation?.transformingInputs { ($0 - mean) / std }
            data.normalization = "standardize"
            output.emit(.text(String(format: "Standardized: (pixel − %.2f) / %.2f, the training images' mean and standard deviation.", mean, std)))
        } else {
            data.dataset = data.dataset.scaled()
            data.validation = data.validation?.transformingInputs { $0 / 255 }
            data.normalization = "scale"
            output.emit(.text("Scaled: every pixel divided by 255, so 0 (black) to 1 (white)."))
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
        guard !data.dataset.train.oneHot else { throw arguments.error("the labels are already one-hot vectors") }
        data.dataset = data.dataset.withOneHotTargets()
        data.validation?.oneHot = true
        session.data = data
        let classes = data.dataset.classNames.count
        let label = data.dataset.train.labels.first ?? 0
        let vector = (0..<classes).map { $0 == label ? "1" : "0" }.joined(separator: " ")
        output.emit(.text("Labels are now one-hot vectors of \(classes) values: \(data.dataset.classNames[label]) → [\(vector)]."))
    }

    static let split = Command(spec: CommandSpec(
        "split", group: .data,
        summary: "hold out part of the training set to validate on",
        usage: "split validation=0.15 [method=random|last]",
        example: "split validation=0.15",
        options: [ArgumentSpec("validation", .number(.fraction), default: "0.15", "the fraction held out"),
                  ArgumentSpec("method", .choice(["random", "last"]), default: "random",
                               "random (seeded, as PyTorch's random_split) or the last images (as Keras's validation_split)")]
    )) { session, arguments, output in
        var data = try session.requireData(arguments)
        guard data.validation == nil else {
            throw arguments.error("the training set is already split (\(data.splitDescription ?? "")) — load the data again to split differently")
        }
        let fraction = arguments.number("validation") ?? 0.15
        let method: SplitMethod = arguments.text("method") == "last" ? .last : .random
        let whole = data.dataset.train.count
        let (train, validation) = data.dataset.train.split(validationFraction: fraction, method: method, random: session.random)
        guard train.count > 0, validation.count > 0 else {
            throw arguments.error("validation=\(format(fraction)) of \(whole) images leaves one side empty", at: "validation")
        }
        data.dataset.train = train
        data.validation = validation
        data.splitDescription = method == .random ? "random, seed \(session.seed)" : "the last \(count(validation.count))"
        session.data = data
        output.emit(.text("Held out \(count(validation.count)) of \(count(whole)) training images for validation (\(data.splitDescription!)); \(count(train.count)) left to train on."))
    }

    /// A path as typed, relative to the session's working directory.
    func resolve(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        return ((expanded.hasPrefix("/") ? expanded : workingDirectory + "/" + expanded) as NSString).standardizingPath
    }
}
