import Core

extension Session {
    static let modelCommands: [Command] = [build, add, summary, compile]

    static let activationNames = Activation.allCases.map(\.rawValue)
    static let layerKinds = ["dense", "conv2d", "maxpool", "dropout", "flatten"] + activationNames + ["softmax", "log-softmax"]

    static let build = Command(spec: CommandSpec(
        "build", group: .model,
        summary: "start a model: a whole MLP from its sizes, or an input shape to add layers to",
        usage: "build mlp 784-128-64-10 [activation=relu] [dropout=0.1] [init=he] [output=log-softmax]  ·  build input 28x28x1",
        example: "build mlp 784-128-64-10",
        positionals: [ArgumentSpec("kind", .choice(["mlp", "input"]), "what to build: mlp SIZES or input SHAPE"),
                      ArgumentSpec("sizes", .text, "the layer sizes (784-128-64-10) or the input shape (28x28x1)")],
        required: 2,
        options: [ArgumentSpec("activation", .choice(activationNames), default: "relu", "after each hidden layer", only: ["mlp"]),
                  ArgumentSpec("dropout", .number(.rate), default: "0", "dropout after each hidden layer", only: ["mlp"]),
                  ArgumentSpec("init", .choice(Initializer.allCases.map(\.rawValue)), default: "pytorch", "how weights start", only: ["mlp"]),
                  ArgumentSpec("output", .choice(OutputActivation.allCases.map(\.rawValue)), default: "log-softmax",
                               "the last layer: log-softmax (for nll), softmax (for crossentropy) or none (logits)", only: ["mlp"])]
    )) { session, arguments, output in
        let written = arguments.line.positionals[1]
        if arguments.text("kind") == "input" {
            let shape: [Int]
            switch written.value {
            case .sizes(let sizes, "x") where sizes.count == 3 && !sizes.contains(0): shape = [sizes[2], sizes[0], sizes[1]]   // H×W×C → C×H×W
            case .number(let n) where n >= 1 && n == n.rounded(): shape = [Int(n)]
            default: throw arguments.error("an input shape is height×width×channels, like 28x28x1, or a number of features, like 784", positional: 1)
            }
            session.modelChanged(try Sequential(inputShape: shape))
            output.emit(.text("Input: \(kerasShape(shape)). Add layers with 'add', e.g. add flatten, add dense 128 activation=relu."))
            return
        }
        guard case .sizes(let sizes, "-") = written.value, !sizes.contains(0) else {
            throw arguments.error("an MLP is built from layer sizes joined by '-', like 784-128-64-10", positional: 1)
        }
        if let data = session.data {
            let features = data.dataset.train.inputs.featuresPerSample, classes = data.dataset.classNames.count
            if sizes[0] != features {
                throw arguments.error("the data has \(features) values per image, so the first size must be \(features), not \(sizes[0])", positional: 1)
            }
            if sizes.last! != classes {
                throw arguments.error("the data has \(classes) classes, so the last size must be \(classes), not \(sizes.last!)", positional: 1)
            }
        }
        let model = try Sequential.mlp(
            sizes, activation: Activation(rawValue: arguments.text("activation") ?? "relu")!,
            dropout: Float(arguments.number("dropout") ?? 0),
            initializer: Initializer(rawValue: arguments.text("init") ?? "pytorch")!,
            output: OutputActivation(rawValue: arguments.text("output") ?? "log-softmax")!,
            random: session.random)
        session.modelChanged(model)
        output.emit(.text(describeLayers(model)))
    }

    static let add = Command(spec: CommandSpec(
        "add", group: .model,
        summary: "add a layer to the model started with 'build input'",
        usage: "add dense N [activation=relu]  ·  add conv2d N kernel=3 [padding=same] [activation=relu]  ·  add maxpool 2  ·  add dropout RATE  ·  add flatten  ·  add relu|sigmoid|tanh|softmax|log-softmax",
        example: "add conv2d 32 kernel=3 activation=relu",
        positionals: [ArgumentSpec("layer", .choice(layerKinds), "a layer: \(layerKinds.joined(separator: ", "))"),
                      ArgumentSpec("size", .number(.any), "the layer's size or rate")],
        required: 1,
        options: [ArgumentSpec("activation", .choice(activationNames + ["softmax", "log-softmax", "none"]), default: "none",
                               "an activation layer right after it", only: ["dense", "conv2d"]),
                  ArgumentSpec("init", .choice(Initializer.allCases.map(\.rawValue)), default: "glorot", "how weights start (Keras: glorot)",
                               only: ["dense", "conv2d"]),
                  ArgumentSpec("kernel", .integer(min: 1, max: 99), default: "3", "the filters' height and width", only: ["conv2d"]),
                  ArgumentSpec("padding", .choice(Padding.allCases.map(\.rawValue)), default: "valid",
                               "valid (shrinks by kernel − 1) or same (keeps the size)", only: ["conv2d"]),
                  ArgumentSpec("stride", .integer(min: 1), default: "the pool size", "how far the window moves", only: ["maxpool"])]
    )) { session, arguments, output in
        let model = try session.requireModel(arguments)
        let kind = arguments.text("layer")!
        let size = arguments.number("size")
        var layers: [any Layer] = []
        switch kind {
        case "dense":
            guard let units = size, units >= 1, units == units.rounded() else {
                throw arguments.error("'add dense' needs a whole number of units, like: add dense 128", positional: size == nil ? 0 : 1)
            }
            guard model.outputShape.count == 1 else {
                throw arguments.error("dense layers take flat vectors, but the model outputs \(kerasShape(model.outputShape)) — add flatten first", positional: 0)
            }
            let initializer = Initializer(rawValue: arguments.text("init") ?? "glorot")!
            layers.append(Dense(model.outputShape[0], Int(units), initializer: initializer, random: session.random))
            if let activation = arguments.text("activation"), activation != "none" { layers.append(activationLayer(activation)) }
        case "conv2d":
            guard let count = size, count >= 1, count == count.rounded() else {
                throw arguments.error("'add conv2d' needs a whole number of filters, like: add conv2d 32 kernel=3", positional: size == nil ? 0 : 1)
            }
            guard model.outputShape.count == 3 else {
                throw arguments.error("conv2d takes images, but the model outputs \(kerasShape(model.outputShape)) — start with: build input 28x28x1", positional: 0)
            }
            // ReLU, sigmoid and tanh run inside the convolution, as in Keras (and faster); softmax stays a layer.
            let name = arguments.text("activation") ?? "none"
            let fused = Activation(rawValue: name)
            layers.append(Conv2D(model.outputShape[0], Int(count), kernelSize: arguments.integer("kernel") ?? 3,
                                 padding: Padding(rawValue: arguments.text("padding") ?? "valid")!, activation: fused,
                                 initializer: Initializer(rawValue: arguments.text("init") ?? "glorot")!, random: session.random))
            if fused == nil && name != "none" { layers.append(activationLayer(name)) }
        case "maxpool":
            let pool = size ?? 2
            guard pool >= 1, pool == pool.rounded() else {
                throw arguments.error("'add maxpool' takes a whole pool size, like: add maxpool 2", positional: 1)
            }
            layers.append(MaxPool2D(Int(pool), stride: arguments.integer("stride")))
        case "dropout":
            guard let rate = size, rate >= 0, rate < 1 else {
                throw arguments.error("'add dropout' needs a rate from 0 up to (not including) 1, like: add dropout 0.5", positional: size == nil ? 0 : 1)
            }
            layers.append(Dropout(Float(rate), random: session.random.fork()))
        case "flatten":
            layers.append(Flatten())
        default:
            layers.append(activationLayer(kind))
        }
        if size != nil && !["dense", "conv2d", "maxpool", "dropout"].contains(kind) {
            throw arguments.error("'add \(kind)' takes no size", positional: 1)
        }
        // Check every new layer first: a layer that does not fit leaves the model as it was.
        var shape = model.outputShape
        for layer in layers {
            do { shape = try layer.outputShape(for: shape) } catch let error as ShapeError {
                throw arguments.error(error.description, positional: 0)
            }
        }
        let grown = try Sequential(inputShape: model.inputShape, layers: model.layers + layers)
        session.modelChanged(grown)
        let rows = grown.summary().rows.suffix(layers.count)
        output.emit(.text(rows.map { row in
            "\(row.name) (\(row.kind)) → \(kerasShape(row.outputShape))" + (row.parameterCount > 0 ? " · \(count(row.parameterCount)) parameters" : "")
        }.joined(separator: "\n")))
    }

    static let summary = Command(spec: CommandSpec(
        "summary", group: .model,
        summary: "the model as a table: each layer, its output shape and parameters, the totals",
        usage: "summary", example: "summary"
    )) { session, arguments, output in
        output.emit(.table(summaryTable(try session.requireModel(arguments).summary())))
    }

    static let lossNames = ["nll", "crossentropy", "categorical-crossentropy", "sparse-categorical-crossentropy", "softmax-crossentropy"]

    static let compile = Command(spec: CommandSpec(
        "compile", group: .model,
        summary: "choose how the model learns: the optimizer, its learning rate, the loss",
        usage: "compile [optimizer=sgd|adam] [lr=X] [momentum=X] [nesterov=true] [weight-decay=X] [loss=nll|crossentropy|…]",
        example: "compile optimizer=sgd lr=0.01 momentum=0.5 loss=nll",
        options: [ArgumentSpec("optimizer", .choice(["sgd", "adam"]), default: "sgd", "the update rule"),
                  ArgumentSpec("lr", .number(.positive), default: "0.01 for sgd, 0.001 for adam", "the learning rate"),
                  ArgumentSpec("momentum", .number(.rate), default: "0", "SGD's momentum"),
                  ArgumentSpec("nesterov", .flag, default: "false", "Nesterov momentum (SGD)"),
                  ArgumentSpec("weight-decay", .number(.nonNegative), default: "0", "L2 penalty on the weights (not the biases)"),
                  ArgumentSpec("beta1", .number(.rate), default: "0.9", "Adam's first-moment decay"),
                  ArgumentSpec("beta2", .number(.rate), default: "0.999", "Adam's second-moment decay"),
                  ArgumentSpec("epsilon", .number(.positive), default: "1e-7", "Adam's ε (Keras's default)"),
                  ArgumentSpec("loss", .choice(lossNames), default: "follows the last layer", "what training minimises")]
    )) { session, arguments, output in
        let model = try session.requireModel(arguments)
        let last = model.layers.last
        let lossName = arguments.text("loss") ?? (last is LogSoftmax ? "nll" : last is Softmax ? "crossentropy" : "softmax-crossentropy")
        let (loss, explanation, needs): (any Loss, String, String) = switch lossName {
        case "nll": (NLLLoss(), "negative log-likelihood of the log-probabilities", "log-softmax")
        case "softmax-crossentropy": (SoftmaxCrossEntropy(), "cross-entropy of the softmax of the outputs (logits)", "logits")
        default: (CrossEntropy(), "cross-entropy of the predicted probabilities", "softmax")
        }
        let ending = last is LogSoftmax ? "log-softmax" : last is Softmax ? "softmax" : "logits"
        guard ending == needs else {
            let fix = ["log-softmax": "end the model with log-softmax", "softmax": "end the model with softmax",
                       "logits": "end the model without softmax"][needs]!
            throw arguments.error("loss=\(lossName) takes \(needs) outputs but the model ends with \(ending): \(fix), or choose loss=\(["log-softmax": "nll", "softmax": "crossentropy", "logits": "softmax-crossentropy"][ending]!)", at: arguments.has("loss") ? "loss" : nil)
        }
        let decay = Float(arguments.number("weight-decay") ?? 0)
        let optimizer: any Optimizer
        var settings: [String] = []
        if arguments.text("optimizer") == "adam" {
            for sgdOnly in ["momentum", "nesterov"] where arguments.has(sgdOnly) {
                throw arguments.error("\(sgdOnly) is an SGD setting; Adam keeps its own moments (beta1, beta2)", at: sgdOnly)
            }
            let adam = Adam(learningRate: Float(arguments.number("lr") ?? 0.001), beta1: Float(arguments.number("beta1") ?? 0.9),
                            beta2: Float(arguments.number("beta2") ?? 0.999), epsilon: Float(arguments.number("epsilon") ?? 1e-7),
                            weightDecay: decay)
            optimizer = adam
            settings = ["lr \(format(arguments.number("lr") ?? 0.001))", "beta1 \(format(arguments.number("beta1") ?? 0.9))",
                        "beta2 \(format(arguments.number("beta2") ?? 0.999))"]
        } else {
            for adamOnly in ["beta1", "beta2", "epsilon"] where arguments.has(adamOnly) {
                throw arguments.error("\(adamOnly) is an Adam setting — add optimizer=adam", at: adamOnly)
            }
            let momentum = Float(arguments.number("momentum") ?? 0)
            let nesterov = arguments.flag("nesterov") ?? false
            if nesterov && momentum == 0 { throw arguments.error("Nesterov momentum needs momentum > 0", at: "nesterov") }
            let sgd = SGD(learningRate: Float(arguments.number("lr") ?? 0.01), momentum: momentum, nesterov: nesterov, weightDecay: decay)
            optimizer = sgd
            settings = ["lr \(format(arguments.number("lr") ?? 0.01))"] + (momentum > 0 ? ["momentum \(format(arguments.number("momentum")!))"] : [])
                + (nesterov ? ["Nesterov"] : [])
        }
        if decay > 0 { settings.append("weight decay \(format(arguments.number("weight-decay")!))") }
        let description = "\(optimizer.name) (\(settings.joined(separator: ", "))) · loss \(lossName): \(explanation)"
        session.compiled = Compiled(loss: loss, lossName: lossName, optimizer: optimizer, description: description)
        output.emit(.text("Compiled: " + description + "."))
    }

    static func activationLayer(_ name: String) -> any Layer {
        switch name {
        case "softmax": Softmax()
        case "log-softmax": LogSoftmax()
        default: Activation(rawValue: name)!.makeLayer()
        }
    }

    /// Flux-style, one line a layer: `Dense(784 => 128)    # 100,480 parameters`.
    static func describeLayers(_ model: Sequential) -> String {
        let lines = model.layers.map { layer in (layer.description, layer.parameterCount) }
        let width = lines.map(\.0.count).max() ?? 0
        return (lines.map { text, parameters in
            parameters > 0 ? text.padding(toLength: width + 2, withPad: " ", startingAt: 0) + "# \(count(parameters)) parameters" : text
        } + ["\(count(model.parameterCount)) parameters in all."]).joined(separator: "\n")
    }
}
