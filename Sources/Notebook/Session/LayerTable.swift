import Core

/// A layer written down: its kind as `add` names it, its size and its options, canonically — what
/// `add` would be told to build it again. A model file stores one per layer.
public struct LayerConfiguration: Codable, Equatable, Sendable {
    public var kind: String
    public var size: Setting?
    public var options: [String: Setting]

    public init(kind: String, size: Setting? = nil, options: [String: Setting] = [:]) {
        (self.kind, self.size, self.options) = (kind, size, options)
    }

    /// `add conv2d 32 activation=relu init=glorot kernel=3 padding=valid`
    public var commandLine: String {
        (["add", kind] + (size.map { [$0.text] } ?? []) + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.text)" })
            .joined(separator: " ")
    }
}

/// One setting's value, a JSON number or string.
public enum Setting: Codable, Equatable, Sendable {
    case number(Double)
    case text(String)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let x): try container.encode(x)
        case .text(let s): try container.encode(s)
        }
    }

    var text: String {
        switch self {
        case .number(let x): format(x)
        case .text(let s): s
        }
    }
}

/// A model written down: one sample's shape (C×H×W, or features) and its layers in order.
public struct ModelConfiguration: Codable, Equatable, Sendable {
    public var input: [Int]
    public var layers: [LayerConfiguration]
}

/// One kind of layer: the name `add` takes, its size and options (typed, each default written
/// once), how to build it after a given output shape, and how a built one describes itself.
/// Adding a layer kind to Caderno is its Core class and one entry in `Session.layerKinds`.
struct LayerKind: Sendable {
    let name: String
    /// Other names for it, as Keras and PyTorch write them.
    let aliases: [String]
    /// How help shows it; nil for kinds that take nothing (listed together).
    let usage: String?
    let size: ArgumentSpec?
    let options: [ArgumentSpec]
    let build: @Sendable (LayerContext) throws -> [any Layer]
    /// The configuration of `layer` if it is of this kind, else nil.
    let describe: @Sendable (any Layer) -> LayerConfiguration?

    init(_ name: String, aliases: [String] = [], usage: String? = nil, size: (any ArgumentDeclaration)? = nil,
         options: [any ArgumentDeclaration] = [], build: @escaping @Sendable (LayerContext) throws -> [any Layer],
         describe: @escaping @Sendable (any Layer) -> LayerConfiguration?) {
        self.name = name
        self.aliases = aliases
        self.usage = usage
        self.size = size?.spec
        self.options = options.map(\.spec)
        self.build = build
        self.describe = describe
    }

    /// A kind with nothing to set: an activation, flatten.
    init(_ name: String, aliases: [String] = [], usage: String? = nil, _ make: @escaping @Sendable () -> any Layer,
         is matches: @escaping @Sendable (any Layer) -> Bool) {
        self.init(name, aliases: aliases, usage: usage, build: { _ in [make()] }) { layer in
            matches(layer) ? LayerConfiguration(kind: name) : nil
        }
    }
}

/// What a layer kind's builder gets: the arguments as `add` validated them, the shape the new
/// layer follows, and the session's random source.
struct LayerContext {
    let arguments: Arguments
    let inputShape: [Int]
    let random: RandomSource

    subscript<Value>(_ argument: Argument<Value>) -> Value { arguments[argument] }

    /// An error pointing at the layer's name in the line.
    func error(_ message: String) -> CommandError { arguments.error(message, at: AddCommand.layer) }

    /// Refuses a layer whose weights the machine cannot hold — with their gradients and Adam's two
    /// moments, four floats each — before anything is allocated (a failed allocation stops the process).
    func requireMemory(parameters factors: [Int], plus bias: Int) throws {
        let parameters = Memory.product(factors)
        let (total, overflow) = parameters.addingReportingOverflow(bias)
        do {
            try Memory.require(overflow ? .max : Memory.product([total, 4, MemoryLayout<Float>.size]),
                               for: Message(verbatim: tr("a layer of \(overflow || parameters == .max ? "over 10¹⁸" : count(total)) parameters")))
        } catch let shortage as Memory.Shortage {
            throw error(tr(error: shortage))
        }
    }
}

/// Options several layer kinds share.
private enum Shared {
    static let activation = Argument<LayerActivation>("activation", default: .none, "an activation layer right after it")
    static let initializer = Argument<Initializer>("init", default: .glorotUniform, "how weights start (Keras: glorot)")
}

private enum DenseOptions {
    static let units = Argument<Int>(required: "size", .atLeast(1), "the number of units",
                                     problem: "'add dense' needs a whole number of units, like: add dense 128")
}

private enum ConvOptions {
    static let filters = Argument<Int>(required: "size", .atLeast(1), "the number of filters",
                                       problem: "'add conv2d' needs a whole number of filters, like: add conv2d 32 kernel=3")
    static let kernel = Argument<Int>("kernel", .within(1...99), default: 3, "the filters' height and width")
    static let padding = Argument<Padding>("padding", default: .valid, "valid (shrinks by kernel − 1) or same (keeps the size)")
}

private enum PoolOptions {
    static let pool = Argument<Int>("size", .atLeast(1), default: 2, "the pool size",
                                    problem: "'add maxpool' takes a whole pool size, like: add maxpool 2")
    static let stride = Argument<Int?>("stride", .atLeast(1), default: "the pool size", "how far the window moves")
}

private enum DropoutOptions {
    static let rate = Argument<Double>(required: "size", .rate, "the fraction dropped",
                                       problem: "'add dropout' needs a rate from 0 up to (not including) 1, like: add dropout 0.5")
}

private enum LeakyOptions {
    static let slope = Argument<Double>("size", .nonNegative, default: 0.01, "the slope below zero")
}

extension Session {
    static let layerKinds: [LayerKind] = [
        LayerKind("dense", aliases: ["Linear"], usage: "add dense N [activation=relu]", size: DenseOptions.units,
                  options: [Shared.activation, Shared.initializer]) { context in
            guard context.inputShape.count == 1 else {
                throw context.error(tr("dense layers take flat vectors, but the model outputs \(kerasShape(context.inputShape)) — add flatten first"))
            }
            try context.requireMemory(parameters: [context.inputShape[0], context[DenseOptions.units]], plus: context[DenseOptions.units])
            return [Dense(context.inputShape[0], context[DenseOptions.units], initializer: context[Shared.initializer],
                          random: context.random)] + context[Shared.activation].layers
        } describe: { layer in
            (layer as? Dense).map { LayerConfiguration(kind: "dense", size: .number(Double($0.outputSize)),
                                                       options: ["init": .text($0.initializer.name)]) }
        },

        LayerKind("conv2d", aliases: ["Conv2d"], usage: "add conv2d N kernel=3 [padding=same] [activation=relu]",
                  size: ConvOptions.filters, options: [Shared.activation, Shared.initializer, ConvOptions.kernel, ConvOptions.padding]) { context in
            guard context.inputShape.count == 3 else {
                throw context.error(tr("conv2d takes images, but the model outputs \(kerasShape(context.inputShape)) — start with: build input 28x28x1"))
            }
            // ReLU, sigmoid and tanh run inside the convolution, as in Keras (and faster); softmax stays a layer.
            let activation = context[Shared.activation]
            let (filters, kernel) = (context[ConvOptions.filters], context[ConvOptions.kernel])
            try context.requireMemory(parameters: [kernel, kernel, context.inputShape[0], filters], plus: filters)
            let convolution = Conv2D(context.inputShape[0], context[ConvOptions.filters], kernelSize: context[ConvOptions.kernel],
                                     padding: context[ConvOptions.padding], activation: activation.fused,
                                     initializer: context[Shared.initializer], random: context.random)
            return [convolution] + (activation.fused == nil ? activation.layers : [])
        } describe: { layer in
            (layer as? Conv2D).map { conv in
                LayerConfiguration(kind: "conv2d", size: .number(Double(conv.filters)), options: [
                    "kernel": .number(Double(conv.kernelSize)), "padding": .text(conv.padding.name),
                    "activation": .text(conv.activation?.name ?? LayerActivation.none.name), "init": .text(conv.initializer.name)])
            }
        },

        LayerKind("maxpool", aliases: ["MaxPooling2D", "MaxPool2d"], usage: "add maxpool 2", size: PoolOptions.pool,
                  options: [PoolOptions.stride]) { context in
            [MaxPool2D(context[PoolOptions.pool], stride: context[PoolOptions.stride])]
        } describe: { layer in
            (layer as? MaxPool2D).map { pool in
                LayerConfiguration(kind: "maxpool", size: .number(Double(pool.poolSize)),
                                   options: pool.stride == pool.poolSize ? [:] : ["stride": .number(Double(pool.stride))])
            }
        },

        LayerKind("dropout", usage: "add dropout RATE", size: DropoutOptions.rate) { context in
            [Dropout(Float(context[DropoutOptions.rate]), random: context.random.fork())]
        } describe: { layer in
            // The Float's shortest spelling (0.1, not 0.10000000149), which converts back to the same Float.
            (layer as? Dropout).map { LayerConfiguration(kind: "dropout", size: .number(Double("\($0.rate)") ?? Double($0.rate))) }
        },

        LayerKind("leaky-relu", aliases: ["LeakyReLU"], usage: "add leaky-relu 0.01", size: LeakyOptions.slope) { context in
            [LeakyReLU(slope: Float(context[LeakyOptions.slope]))]
        } describe: { layer in
            (layer as? LeakyReLU).map { LayerConfiguration(kind: "leaky-relu", size: .number(Double("\($0.slope)") ?? 0)) }
        },

        LayerKind("flatten", usage: "add flatten", { Flatten() }, is: { $0 is Flatten }),
        LayerKind("relu", { ReLU() }, is: { $0 is ReLU }),
        LayerKind("sigmoid", { Sigmoid() }, is: { $0 is Sigmoid }),
        LayerKind("tanh", { Tanh() }, is: { $0 is Tanh }),
        LayerKind("softmax", { Softmax() }, is: { $0 is Softmax }),
        LayerKind("log-softmax", { LogSoftmax() }, is: { $0 is LogSoftmax }),
    ]

    static func layerKind(named name: String) -> LayerKind? {
        layerKinds.first { $0.name == name }
    }

    /// The layers `configuration` describes, built to follow `shape`; a layer that does not fit
    /// throws, pointing at the kind.
    static func makeLayers(_ arguments: Arguments, after shape: [Int], random: RandomSource) throws -> [any Layer] {
        guard let kind = arguments.subcommand.flatMap(layerKind(named:)) else {
            throw arguments.error(tr("no such layer kind"), at: AddCommand.layer)
        }
        let layers = try kind.build(LayerContext(arguments: arguments, inputShape: shape, random: random))
        var shape = shape
        for layer in layers {
            do { shape = try layer.outputShape(for: shape) } catch let error as ShapeError {
                throw arguments.error(tr(error: error), at: AddCommand.layer)
            }
        }
        return layers
    }

    /// The layers a configuration describes, built through `add`'s own validation.
    static func makeLayers(_ configuration: LayerConfiguration, after shape: [Int], random: RandomSource) throws -> [any Layer] {
        guard let line = try Parser.parse(configuration.commandLine) else { return [] }
        return try makeLayers(try add.spec.validate(line), after: shape, random: random)
    }

    /// How `model` is written down, layer by layer through the table.
    static func configuration(of model: Sequential) -> ModelConfiguration {
        var layers: [LayerConfiguration] = []
        for layer in model.layers {
            // An attached activation goes back where it was written: activation= of its layer.
            if let activation = layer as? any AttachableActivation, activation.attached, !layers.isEmpty,
               let name = LayerActivation(attachedTo: activation) {
                layers[layers.count - 1].options["activation"] = .text(name.name)
                continue
            }
            guard let configuration = layerKinds.lazy.compactMap({ $0.describe(layer) }).first else {
                preconditionFailure("\(layer.kind) has no entry in Session.layerKinds")
            }
            layers.append(configuration)
        }
        return ModelConfiguration(input: model.inputShape, layers: layers)
    }

    /// A new model built from `configuration`, drawing its weights from `random` as `add` would.
    static func model(from configuration: ModelConfiguration, random: RandomSource) throws -> Sequential {
        let model = try Sequential(inputShape: configuration.input)
        for layer in configuration.layers {
            for built in try makeLayers(layer, after: model.outputShape, random: random) { try model.add(built) }
        }
        return model
    }
}

/// The layer kinds, as `add`'s first positional.
struct LayerKindName: Choice {
    let name: String
    static var allCases: [LayerKindName] { Session.layerKinds.map { LayerKindName(name: $0.name) } }
    static var aliases: [String: LayerKindName] {
        Dictionary(Session.layerKinds.flatMap { kind in kind.aliases.map { ($0, LayerKindName(name: kind.name)) } }) { first, _ in first }
    }
}

extension LayerActivation {
    /// The layer this activation adds after a dense layer (none: nothing), attached to it.
    var layers: [any Layer] {
        let layer: (any AttachableActivation)? = switch self {
        case .none: nil
        case .relu: ReLU()
        case .sigmoid: Sigmoid()
        case .tanh: Tanh()
        case .softmax: Softmax()
        case .logSoftmax: LogSoftmax()
        }
        guard let layer else { return [] }
        layer.attached = true
        return [layer]
    }

    /// The `activation=` value an attached activation layer came from.
    init?(attachedTo layer: any AttachableActivation) {
        switch layer {
        case is ReLU: self = .relu
        case is Sigmoid: self = .sigmoid
        case is Tanh: self = .tanh
        case is Softmax: self = .softmax
        case is LogSoftmax: self = .logSoftmax
        default: return nil
        }
    }
}
