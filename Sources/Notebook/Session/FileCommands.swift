import Core
import Foundation

extension Session {
    static let fileCommands: [Command] = [save, export]

    static let save = Command(spec: CommandSpec(
        "save", group: .files,
        summary: "save the model to a .safetensors file, to load it later (or in PyTorch, NumPy)",
        usage: "save model FILE.safetensors [include=optimizer] [force=true]",
        example: "save model mnist-mlp.safetensors",
        positionals: [SaveCommand.what, SaveCommand.file],
        options: [SaveCommand.include, SaveCommand.force]
    )) { session, arguments, output in
        let model = try session.requireModel(arguments)
        guard let file = arguments[SaveCommand.file]?.text else {
            throw arguments.error(tr("say where: save model \(session.suggestedModelName()).safetensors"))
        }
        guard file.lowercased().hasSuffix(".safetensors") else {
            throw arguments.error(tr("a model file ends in .safetensors, e.g. \((file as NSString).deletingPathExtension).safetensors"), at: SaveCommand.file)
        }
        let path: String
        do { path = try session.writablePath(file) } catch let problem as ValueProblem {
            throw arguments.error(problem.message, at: SaveCommand.file)
        }
        if FileManager.default.fileExists(atPath: path) {
            if !arguments[SaveCommand.force], (try? SafeTensors.read(path)) == nil {
                throw arguments.error(tr("\(file) exists and is not a safetensors file: choose another name, or add force=true to replace it"),
                                      at: SaveCommand.file)
            }
        }
        let withOptimizer = arguments[SaveCommand.include] == .optimizer
        if withOptimizer && session.compiled == nil {
            throw arguments.error(tr("the model is not compiled, so there is no optimizer state to save: compile and train first, or leave out include=optimizer"),
                                  at: SaveCommand.include)
        }
        let contents = ModelFile.encode(session, model: model, includeOptimizer: withOptimizer)
        do {
            try AtomicFile.write(contents.encoded(), to: path)
        } catch {
            throw arguments.error(tr(error: error), at: SaveCommand.file)
        }
        session.state.savedHistoryCount = session.history.count
        output.emit(.text(tr("Saved the model to \(file): \(count(model.parameterCount)) parameters in \(count(model.parameters.count)) tensors")
                          + (withOptimizer ? tr(", with the optimizer's state and the random streams: training can go on exactly from here.") : ".")))
    }

    static let export = Command(spec: CommandSpec(
        "export", group: .files,
        summary: "write the session so far as a notebook, Markdown, a web page or a Jupyter notebook",
        usage: "export FILE.nb|FILE.md|FILE.html|FILE.ipynb [title=TEXT]",
        example: "export my-study.html",
        positionals: [ExportCommand.file],
        options: [ExportCommand.title]
    )) { session, arguments, output in
        let path = arguments[ExportCommand.file].text
        guard let format = ExportFormat(path: path) else {
            throw arguments.error(tr("export writes .nb, .md, .html or .ipynb files, got '\(path)'"), at: ExportCommand.file)
        }
        guard !session.state.log.isEmpty else { throw arguments.error(tr("nothing to export yet — the session has run no commands")) }
        let transcript = Transcript(title: arguments[ExportCommand.title] ?? tr("A Caderno session"),
                                    origin: tr("Exported \(NotebookRunner.today()) by Caderno \(cadernoVersion) · seed \(session.seed)"),
                                    parts: session.state.log.map { .cell($0) })
        let files = Exporter.files(transcript, as: format, path: session.resolve(path))
        for file in files {   // every file checked before any is written
            do { _ = try session.writablePath(file.path) } catch let problem as ValueProblem {
                throw arguments.error(problem.message, at: ExportCommand.file)
            }
        }
        for file in files {
            do {
                try AtomicFile.write(Data(file.text.utf8), to: file.path)
            } catch {
                throw arguments.error(tr(error: error), at: ExportCommand.file)
            }
        }
        let commands = session.state.log.count
        output.emit(.note(tr("Wrote \(path): \(commands) command\(commands == 1 ? "" : "s") and what \(commands == 1 ? "it" : "they") showed")
                          + (files.count > 1 ? tr(", with \(files.count - 1) picture\(files.count == 2 ? "" : "s") beside it.") : ".")))
    }
}

private enum SaveCommand {
    enum What: String, Choice { case model }
    enum Include: String, Choice { case weights, optimizer }
    static let what = Argument<What>(required: "what", "what to save: model")
    static let file = Argument<FilePath?>("file", "the .safetensors file to write")
    static let include = Argument<Include>("include", default: .weights, "optimizer: also its state, to continue training exactly")
    static let force = Argument<Bool>("force", default: false, "replace a file that is not a safetensors file")
}

extension Session {
    /// `mnist-mlp-784-128-64-10`, `fashion-mnist-cnn`: a name that says what the file holds.
    func suggestedModelName() -> String {
        let dataset = data?.dataset.name ?? "model"
        guard let model, model.layers.allSatisfy({ !($0 is Conv2D) }) else { return dataset + "-cnn" }
        let sizes = [model.inputShape.reduce(1, *)] + model.layers.compactMap { ($0 as? Dense)?.outputSize }
        return dataset + "-mlp-" + sizes.map(String.init).joined(separator: "-")
    }

    /// `load model FILE`: the model rebuilt from its description, its weights, compile settings and
    /// history; with the optimizer's state when the file has it.
    func loadModel(_ path: String, _ arguments: Arguments, _ output: OutputSink) throws {
        let contents: ModelFile.Contents
        do {
            contents = try ModelFile.decode(try SafeTensors.read(path), path: path, random: random)
        } catch let error as SafeTensors.Error {
            throw arguments.error(tr(error: error))
        }
        let model = contents.model
        modelChanged(model)
        if let line = contents.compileLine {
            guard let parsed = try? Parser.parse(line), let compiled = try? Self.compile.spec.validate(parsed) else {
                throw arguments.error(tr("\(path): its compile settings ('\(line)') are not a compile command Caderno knows"))
            }
            try Self.compile.run(self, compiled, RecordingSink())
        }
        state.history = contents.history
        var restored = false
        if let compiled = self.compiled, !contents.buffers.isEmpty {
            var optimizerState = OptimizerState()
            for (parameter, name) in ModelFile.names(model) {
                let buffers = ModelFile.bufferNames(compiled.optimizer).map { contents.buffers["\(name).\($0)"] }
                guard buffers.allSatisfy({ $0?.shape == parameter.value.shape }) else {
                    throw arguments.error(tr("\(path): the optimizer's buffers for '\(name)' are missing or of the wrong shape for \(compiled.optimizer.name)"))
                }
                optimizerState.setBuffers(buffers.compactMap { $0?.scalars }, for: parameter)
            }
            optimizerState.steps = contents.streams?.optimizerSteps ?? 0
            compiled.optimizer.state = optimizerState
            restored = true
        }
        if let streams = contents.streams {
            let sources = model.layers.compactMap(\.randomSource)
            guard let position = RandomSource.Position(values: streams.session), streams.layers.count == sources.count else {
                throw arguments.error(tr("\(path): its random streams do not fit the model"))
            }
            random.position = position
            for (source, values) in zip(sources, streams.layers) {
                guard let position = RandomSource.Position(values: values) else { throw arguments.error(tr("\(path): a layer's random stream is not valid")) }
                source.position = position
            }
        }
        state.modelPreprocessing = contents.preprocessing
        output.emit(.table(summaryTable(model.summary())))
        let trained = history.isEmpty ? tr("not trained yet") : tr("trained \(history.count) epoch\(history.count == 1 ? "" : "s")")
        output.emit(.note(tr("Loaded \((path as NSString).lastPathComponent): \(trained)")
                          + (compiled.map { tr("; compiled: \($0.description)") } ?? "") + (restored ? tr("; the optimizer's state restored, so train goes on exactly.") : ".")))
        if let expected = contents.preprocessing, let data {
            let here = ModelFile.Preprocessing(normalization: data.normalization?.name, mean: data.standardization?.mean,
                                               std: data.standardization?.std, oneHot: data.dataset.train.oneHot)
            if here.normalization != expected.normalization {
                let fix = expected.normalization.map { data.normalization == nil ? tr("run: normalize \($0)") : tr("load the data again, then: normalize \($0)") }
                    ?? tr("load the data again (and do not normalize it)")
                output.emit(.note(tr("The model was trained on \(expected.sentence), but the data here has \(here.sentence): \(fix).")))
            }
            if let classes = contents.classes, classes.count != data.dataset.classNames.count {
                output.emit(.note(tr("The model tells \(classes.count) classes apart; the data here has \(data.dataset.classNames.count).")))
            }
        }
    }
}

private enum ExportCommand {
    static let file = Argument<FilePath>(required: "file", "the file to write: .nb, .md, .html or .ipynb")
    static let title = Argument<String?>("title", default: "A Caderno session", "the document's title")
}
