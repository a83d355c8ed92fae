import Core

extension Session {
    static let modelCommands: [Command] = [build, add, summary, compile]

    static let build = Command(spec: CommandSpec(
        "build", group: .model,
        summary: "start a model: a whole MLP from its sizes, or an input shape to add layers to",
        usage: "build mlp 784-128-64-10 [activation=relu] [dropout=0.1] [init=he] [output=log-softmax]  ·  build input 28x28x1",
        example: "build mlp 784-128-64-10",
        positionals: [BuildCommand.kind, BuildCommand.sizes, BuildCommand.shape],
        options: [BuildCommand.activation, BuildCommand.dropout, BuildCommand.initializer, BuildCommand.output]
    )) { session, arguments, output in
        let discarded = session.discardedModelNote
        if arguments[BuildCommand.kind] == .input {
            let shape = arguments[BuildCommand.shape].shape
            if let data = session.data, let problem = inputProblem(shape, data: Array(data.dataset.train.inputs.shape.dropFirst())) {
                throw arguments.error(problem, at: BuildCommand.shape)
            }
            do {
                try Memory.require(Memory.product(shape + [MemoryLayout<Float>.size]), for: Message(verbatim: tr("one sample of \(kerasShape(shape))")))
            } catch let shortage as Memory.Shortage {
                throw arguments.error(tr(error: shortage), at: BuildCommand.shape)
            }
            session.modelChanged(try Sequential(inputShape: shape))
            output.emit(.text(tr("Input: \(kerasShape(shape)). Add layers with 'add', e.g. add flatten, add dense 128 activation=relu.")))
            if let discarded { output.emit(.note(discarded)) }
            return
        }
        let sizes = arguments[BuildCommand.sizes].sizes
        if let data = session.data {
            let features = data.dataset.train.inputs.featuresPerSample, classes = data.dataset.classNames.count
            if sizes[0] != features {
                throw arguments.error(tr("the data has \(features) values per image, so the first size must be \(features), not \(sizes[0])"), at: BuildCommand.sizes)
            }
            if sizes[sizes.count - 1] != classes {
                throw arguments.error(tr("the data has \(classes) classes, so the last size must be \(classes), not \(sizes[sizes.count - 1])"), at: BuildCommand.sizes)
            }
        }
        // Dense layers with the activation (and dropout) after each hidden one, then the output layer.
        var layers: [LayerConfiguration] = []
        for (index, units) in sizes.dropFirst().enumerated() {
            layers.append(LayerConfiguration(kind: "dense", size: .number(Double(units)),
                                             options: ["init": .text(arguments[BuildCommand.initializer].name)]))
            guard index < sizes.count - 2 else { break }
            layers.append(LayerConfiguration(kind: arguments[BuildCommand.activation].name))
            if arguments[BuildCommand.dropout] > 0 { layers.append(LayerConfiguration(kind: "dropout", size: .number(arguments[BuildCommand.dropout]))) }
        }
        if arguments[BuildCommand.output] != .none { layers.append(LayerConfiguration(kind: arguments[BuildCommand.output].name)) }
        let model: Sequential
        do {
            model = try Session.model(from: ModelConfiguration(input: [sizes[0]], layers: layers), random: session.random)
        } catch let error as CommandError {
            throw arguments.error(error.message, at: BuildCommand.sizes)   // its line is the table's 'add', not the one typed
        }
        session.modelChanged(model)
        output.emit(.table(summaryTable(model.summary())))
        if let discarded { output.emit(.note(discarded)) }
    }

    static let add = Command(spec: CommandSpec(
        "add", group: .model,
        summary: "add a layer to the model started with 'build input'",
        usage: (layerKinds.compactMap(\.usage) + ["add " + layerKinds.filter { $0.usage == nil }.map(\.name).joined(separator: "|")])
            .joined(separator: "  ·  "),
        example: "add conv2d 32 kernel=3 activation=relu",
        positionals: [AddCommand.layer] + layerKinds.compactMap { kind in kind.size?.restricted(to: [kind.name]) },
        options: AddCommand.options
    )) { session, arguments, output in
        let model = try session.requireModel(arguments)
        let ending = ModelEnding(model)
        guard ending == .logits else {
            throw arguments.error(tr("the model already ends with \(ending.rawValue), its output: a layer after it would learn from probabilities. Start again with 'build input', or build mlp … output=none to add your own last layers"),
                                  at: AddCommand.layer)
        }
        let layers = try makeLayers(arguments, after: model.outputShape, random: session.random)
        let grown = try Sequential(inputShape: model.inputShape, layers: model.layers + layers)
        session.modelChanged(grown)
        let rows = Array(grown.summary().rows.suffix(layers.count))
        // `dense (Dense, softmax)`, `conv2d (Conv2D, relu)`: the activation a layer was given, fused or attached.
        output.emit(.text(zip(rows, layers).filter { $0.0.attachedTo == nil }.map { row, layer in
            let activation = ((layer as? Conv2D)?.activation?.rawValue ?? rows.first { $0.attachedTo == row.name }?.kind.lowercased())
                .map { ", \($0)" } ?? ""
            return "\(row.name) (\(row.kind)\(activation)) → \(kerasShape(row.outputShape))" + (row.parameterCount > 0 ? tr(" · \(count(row.parameterCount)) parameters") : "")
        }.joined(separator: "\n")))
    }

    static let summary = Command(spec: CommandSpec(
        "summary", group: .model,
        summary: "the model as a table: each layer, its output shape and parameters, the totals",
        usage: "summary", example: "summary"
    )) { session, arguments, output in
        output.emit(.table(summaryTable(try session.requireModel(arguments).summary())))
    }

    static let compile = Command(spec: CommandSpec(
        "compile", group: .model,
        summary: "choose how the model learns: the optimizer, its learning rate, the loss",
        usage: "compile [optimizer=sgd|adam] [lr=X] [momentum=X] [nesterov=true] [weight-decay=X] [loss=nll|crossentropy|…] [precision=float32|bfloat16]",
        example: "compile optimizer=sgd lr=0.01 momentum=0.5 loss=nll",
        options: [CompileCommand.optimizer, CompileCommand.learningRate, CompileCommand.momentum, CompileCommand.nesterov,
                  CompileCommand.weightDecay, CompileCommand.beta1, CompileCommand.beta2, CompileCommand.epsilon, CompileCommand.loss,
                  CompileCommand.precision]
    )) { session, arguments, output in
        let model = try session.requireModel(arguments)
        session.compiled = try compiled(arguments, for: model)
        model.precision = session.compiled!.precision
        output.emit(.text(tr("Compiled: ") + session.compiled!.description + "."))
    }

    /// What a validated `compile` line makes for `model`: its optimizer (fresh) and loss.
    static func compiled(_ arguments: Arguments, for model: Sequential) throws -> Compiled {
        typealias C = CompileCommand
        let ending = ModelEnding(model)
        let lossName = arguments[C.loss] ?? LossName(following: ending)
        guard ending == lossName.needs else {
            throw arguments.error(tr("loss=\(lossName.name) takes \(lossName.needs.rawValue) outputs but the model ends with \(ending.rawValue): \(lossName.needs.howToEnd), or choose loss=\(LossName(following: ending).name)"),
                                  at: arguments.has(C.loss) ? C.loss : nil)
        }
        let chosen = arguments[C.optimizer]
        let learningRate = arguments[C.learningRate] ?? chosen.defaultLearningRate
        let decay = arguments[C.weightDecay]
        let optimizer: any Optimizer
        var settings = ["lr \(format(learningRate))"]
        switch chosen {
        case .adam:
            for sgdOnly in [C.momentum.spec, C.nesterov.spec] where arguments.has(sgdOnly) {
                throw arguments.error(tr("\(sgdOnly.name) is an SGD setting; Adam keeps its own moments (beta1, beta2)"), at: sgdOnly)
            }
            optimizer = Adam(learningRate: Float(learningRate), beta1: Float(arguments[C.beta1]), beta2: Float(arguments[C.beta2]),
                             epsilon: Float(arguments[C.epsilon]), weightDecay: Float(decay))
            settings += ["beta1 \(format(arguments[C.beta1]))", "beta2 \(format(arguments[C.beta2]))"]
        case .sgd:
            for adamOnly in [C.beta1.spec, C.beta2.spec, C.epsilon.spec] where arguments.has(adamOnly) {
                throw arguments.error(tr("\(adamOnly.name) is an Adam setting — add optimizer=adam"), at: adamOnly)
            }
            let (momentum, nesterov) = (arguments[C.momentum], arguments[C.nesterov])
            if nesterov && momentum == 0 { throw arguments.error(tr("Nesterov momentum needs momentum > 0"), at: C.nesterov) }
            optimizer = SGD(learningRate: Float(learningRate), momentum: Float(momentum), nesterov: nesterov, weightDecay: Float(decay))
            settings += (momentum > 0 ? ["momentum \(format(momentum))"] : []) + (nesterov ? ["Nesterov"] : [])
        }
        if decay > 0 { settings.append(tr("weight decay \(format(decay))")) }
        let precision = arguments[C.precision]
        var description = "\(optimizer.name) (\(settings.joined(separator: ", "))) · loss \(lossName.name): \(lossName.explanation)"
        if precision == .bfloat16 {
            description += Precision.bfloat16IsNative
                ? tr(" · products in bfloat16 (inputs rounded to 8 bits of mantissa, sums in float32)")
                : tr(" · products in bfloat16, emulated: this CPU has no AVX512-BF16, so the same numbers come more slowly")
        }
        let own = chosen == .adam ? ["beta1=\(format(arguments[C.beta1]))", "beta2=\(format(arguments[C.beta2]))", "epsilon=\(format(arguments[C.epsilon]))"]
            : ["momentum=\(format(arguments[C.momentum]))", "nesterov=\(arguments[C.nesterov])"]
        let line = (["compile", "optimizer=\(chosen.name)", "lr=\(format(learningRate))"] + own
            + ["weight-decay=\(format(decay))", "loss=\(lossName.name)"]
            + (precision == .float32 ? [] : ["precision=\(precision.name)"])).joined(separator: " ")
        return Compiled(lossName: lossName, optimizer: optimizer, description: description, line: line, precision: precision)
    }
}

private enum BuildCommand {
    enum Kind: String, Choice { case mlp, input }

    static let kind = Argument<Kind>(required: "kind", "what to build: mlp SIZES or input SHAPE")
    static let sizes = Argument<LayerSizes>(required: "sizes", "the layer sizes, like 784-128-64-10", only: ["mlp"],
                                            problem: "an MLP is built from layer sizes joined by '-', like 784-128-64-10")
    static let shape = Argument<InputShape>(required: "shape", "the input shape, like 28x28x1", only: ["input"],
                                            problem: "an input shape is height×width×channels, like 28x28x1, or a number of features, like 784")
    static let activation = Argument<Activation>("activation", default: .relu, "after each hidden layer", only: ["mlp"])
    static let dropout = Argument<Double>("dropout", .rate, default: 0, "dropout after each hidden layer", only: ["mlp"])
    static let initializer = Argument<Initializer>("init", default: .pytorch, "how weights start", only: ["mlp"])
    static let output = Argument<OutputActivation>("output", default: .logSoftmax,
                                                   "the last layer: log-softmax (for nll), softmax (for crossentropy) or none (logits)", only: ["mlp"])
}

enum AddCommand {
    static let layer = Argument<LayerKindName>(required: "layer", "a layer: \(Session.layerKinds.map(\.name).joined(separator: ", "))")

    /// Every layer kind's options, each once, for the kinds that take it.
    static var options: [ArgumentSpec] {
        var seen: [ArgumentSpec] = []
        for kind in Session.layerKinds {
            for option in kind.options where !seen.contains(where: { $0.name == option.name }) { seen.append(option) }
        }
        return seen.map { option in
            option.restricted(to: Session.layerKinds.filter { $0.options.contains { $0.name == option.name } }.map(\.name))
        }
    }
}

private enum CompileCommand {
    static let optimizer = Argument<OptimizerName>("optimizer", default: .sgd, "the update rule")
    static let learningRate = Argument<Double?>("lr", .positive,
        default: OptimizerName.allCases.map { "\(format($0.defaultLearningRate)) for \($0.name)" }.joined(separator: ", "),
        "the learning rate")
    static let momentum = Argument<Double>("momentum", .rate, default: 0, "SGD's momentum")
    static let nesterov = Argument<Bool>("nesterov", default: false, "Nesterov momentum (SGD)")
    static let weightDecay = Argument<Double>("weight-decay", .nonNegative, default: 0, "L2 penalty on the weights (not the biases)")
    static let beta1 = Argument<Double>("beta1", .rate, default: 0.9, "Adam's first-moment decay")
    static let beta2 = Argument<Double>("beta2", .rate, default: 0.999, "Adam's second-moment decay")
    static let epsilon = Argument<Double>("epsilon", .positive, default: 1e-7, "Adam's ε (Keras's default)")
    static let loss = Argument<LossName?>("loss", default: "follows the last layer", "what training minimises")
    static let precision = Argument<Precision>("precision", default: .float32,
        "what the layers' matrix products multiply: float32, or inputs rounded to bfloat16 (faster with AVX512-BF16)")
}

extension ModelEnding {
    var howToEnd: String {
        switch self {
        case .logSoftmax: tr("end the model with log-softmax")
        case .softmax: tr("end the model with softmax")
        case .logits: tr("end the model without softmax")
        }
    }
}

/// What is wrong with building for `shape` when the data's samples are `data` (C×H×W), or nil.
/// A different number of features is allowed only as a flat vector of the same count.
func inputProblem(_ shape: [Int], data: [Int]) -> String? {
    if shape == data || (shape.count == 1 && shape[0] == data.reduce(1, *)) { return nil }
    let typed = InputShape(shape: data).shown
    return tr("the data's images are \(typed.replacingOccurrences(of: "x", with: "×")) (height×width×channels): build input \(typed)")
}
