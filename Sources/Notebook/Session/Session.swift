import Core
import Foundation

/// The state a person builds up, one command at a time: data and its preprocessing, a model,
/// how it is compiled, its training history. A command either succeeds or leaves all of it —
/// the random source's position included — exactly as it was (see `execute`).
public final class Session {
    /// The data as prepared so far.
    struct LoadedData {
        var dataset: Dataset             // its `train` is what remains after a split
        var validation: LabeledData?
        var split: SplitRecord?
        var normalization: Normalization?
        /// What `normalize standardize` subtracted and divided by.
        var standardization: (mean: Float, std: Float)?
    }

    /// How the training set was split, for messages.
    struct SplitRecord {
        let method: SplitMethod
        let seed: UInt64
        let validationCount: Int

        var description: String {
            method == .random ? tr("random, seed \(seed)") : tr("the last \(count(validationCount))")
        }
    }

    /// An optimizer and a loss, ready to train the current model.
    struct Compiled {
        var lossName: LossName
        var optimizer: any Optimizer
        var description: String
        /// The `compile` line that makes it again, every setting spelled out: what a model file keeps.
        var line: String
        /// What the model's products multiply; `compile` (and a sweep's recompiled copy) sets it on the model.
        var precision: Precision
        var loss: any Loss { lossName.loss }
    }

    /// Everything a command can change. Commands change it only when they succeed.
    struct State {
        var seed: UInt64 = 42
        var random = RandomSource(seed: 42)
        var data: LoadedData? {
            didSet { predictionCache = [:] }
        }
        var model: Sequential?
        /// How the data must be prepared for a model loaded from a file.
        var modelPreprocessing: ModelFile.Preprocessing?
        var compiled: Compiled?
        var augmentation: Augmentation?
        var history: [EpochRecord] = []
        /// How many times `show samples` has drawn since the seed was set: its own stream's position.
        var samplesShown = 0
        /// Every sweep's runs, for `plot loss runs=all`.
        var runs: [SweepRun] = []
        /// Predictions per split for the current model and data; emptied whenever either changes.
        var predictionCache: [SplitName: Predictions] = [:]
        /// The commands that succeeded, in order, with what each produced: what `export` writes.
        /// Commands that change nothing and show nothing of the work (help, history) are left out.
        var log: [RunRecord.Cell] = []
        var wantsToQuit = false
        /// The history's length when the model was last saved: a `build` after more training
        /// discards work, and says so.
        var savedHistoryCount: Int?
        /// Set by `clear`; the REPL clears a terminal and resets it.
        var wantsClearScreen = false
    }

    var state = State()

    /// Where `load` looks for datasets, and downloads them (a `DataStore`'s environment).
    public var environment: [String: String]
    public var workingDirectory: String
    /// Polled after every training batch: true stops training (Ctrl-C in the REPL).
    public var interruptRequested: () -> Bool = { false }
    /// Notebook parameters, substituted for `${name}`.
    public var parameters: [String: String] = [:]
    /// The folder of the notebook being replayed (relative paths start there), or nil at the REPL.
    public var notebookDirectory: String?
    /// `caderno run --output-dir`: where a notebook's relative writes go.
    public var outputDirectory: String?
    /// Where commands may write (see `WritePolicy`).
    public var writePolicy: WritePolicy = .anywhere

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// Runs one line. Throws a `CommandError` pointing into the line when it is wrong or cannot
    /// run now; the session is then exactly as it was before the line.
    public func execute(_ line: String, output: OutputSink) throws {
        guard let parsed = try Parser.parse(line, parameters: parameters) else { return }
        guard let command = Self.command(named: parsed.name) else {
            let hint = suggestion(for: parsed.name, among: Self.commands.map(\.spec.name)).map { tr(" (did you mean '\($0)'?)") }
                ?? tr(" — type 'help' for the list")
            throw CommandError(tr("unknown command '\(parsed.name)'\(hint)"), source: parsed.source, range: parsed.nameRange)
        }
        let arguments = try command.spec.validate(parsed)
        try checkPictureFile(arguments)
        let checkpoint = Checkpoint(self)
        let produced = RecordingSink(forwardingTo: output)
        do {
            try command.run(self, arguments, produced)
        } catch {
            checkpoint.restore(self)
            throw error
        }
        if command.spec.group.isTheWork || command.spec.name == "seed" {
            state.log.append(RunRecord.Cell(options: [:], commands: [parsed.source], outputs: produced.blocks.map { .block($0) }))
        }
    }

    /// The session as it was before a command: its state (values, copied on write) and what the
    /// state's objects change in place — the random source's position, the model's weights and
    /// streams, the optimizer's buffers. Taking one costs a few pointer copies; a command that then
    /// trains copies the weights once, when it first writes them.
    struct Checkpoint {
        let state: State
        let random: RandomSource.Position
        let model: Sequential.Snapshot?
        let optimizer: OptimizerState?

        init(_ session: Session) {
            state = session.state
            random = session.state.random.position
            model = session.state.model?.snapshot()
            optimizer = session.state.compiled?.optimizer.state
        }

        func restore(_ session: Session) {
            session.state = state
            state.random.position = random
            if let model { state.model?.restore(model) }
            if let optimizer { state.compiled?.optimizer.state = optimizer }
        }
    }

    // The state's parts by name, for the commands.
    public var seed: UInt64 { state.seed }
    var random: RandomSource { state.random }
    var data: LoadedData? {
        get { state.data }
        set { state.data = newValue }
    }
    var model: Sequential? { state.model }
    var compiled: Compiled? {
        get { state.compiled }
        set { state.compiled = newValue }
    }
    var history: [EpochRecord] { state.history }
    /// The lines of the commands that succeeded, in order.
    public var transcript: [String] { state.log.flatMap(\.commands) }
    public var wantsToQuit: Bool { state.wantsToQuit }

    /// Whether `clear` asked for the screen to be cleared since the last call (which resets it).
    public func takeClearScreen() -> Bool {
        defer { state.wantsClearScreen = false }
        return state.wantsClearScreen
    }

    // MARK: - What commands need before they can run

    func requireData(_ arguments: Arguments) throws -> LoadedData {
        guard let data else { throw arguments.error(tr("no data yet — try: load mnist")) }
        return data
    }

    func requireModel(_ arguments: Arguments) throws -> Sequential {
        guard let model else { throw arguments.error(tr("no model yet — try: build mlp 784-128-64-10")) }
        return model
    }

    func requireCompiled(_ arguments: Arguments) throws -> Compiled {
        _ = try requireModel(arguments)
        guard let compiled else { throw arguments.error(tr("the model is not compiled yet — try: compile optimizer=sgd lr=0.01")) }
        return compiled
    }

    /// The model changed: its optimizer and history belong to the old one.
    func modelChanged(_ model: Sequential) {
        state.model = model
        state.savedHistoryCount = nil
        state.modelPreprocessing = nil
        state.predictionCache = [:]
        state.compiled = nil
        state.history = []
    }
}

extension Session {
    /// What replacing the model now throws away — nil when it is untrained or saved since it trained.
    var discardedModelNote: String? {
        guard state.model != nil, let last = history.last, state.savedHistoryCount != history.count else { return nil }
        let score = last.validationAccuracy.map { ", val_accuracy \(percent($0))" } ?? ", accuracy \(percent(last.accuracy))"
        return tr("The model trained before (\(history.count) epoch\(history.count == 1 ? "" : "s")\(score)) is replaced and its weights are gone. ")
            + tr("To keep a model, save it before building the next: save model \(suggestedModelName()).safetensors")
    }
}

/// A command's spec and what it does.
struct Command: Sendable {
    let spec: CommandSpec
    let run: @Sendable (Session, Arguments, OutputSink) throws -> Void
}

extension Session {
    static let commands: [Command] = dataCommands + modelCommands + trainingCommands + insideCommands + evaluationCommands + fileCommands + sessionCommands

    static func command(named name: String) -> Command? {
        commands.first { $0.spec.name == name || ($0.spec.name == "quit" && name == "exit") }
    }

    public static var specs: [CommandSpec] { commands.map(\.spec) }

    /// Parses `line` and checks it against its command's spec — names, types, ranges — without
    /// running it: the error `execute` would give before doing anything (the fuzzer's target).
    public static func check(_ line: String, parameters: [String: String] = [:]) throws {
        guard let parsed = try Parser.parse(line, parameters: parameters) else { return }
        guard let command = command(named: parsed.name) else { throw CommandError("unknown command", source: parsed.source, range: parsed.nameRange) }
        _ = try command.spec.validate(parsed)
        _ = CommandError("", source: parsed.source, range: parsed.nameRange).description
    }
}

/// 60000 → "60,000" for counts in sentences.
func count(_ n: Int) -> String { groupedThousands(n) }

/// 0.97536 → "97.54%".
func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
