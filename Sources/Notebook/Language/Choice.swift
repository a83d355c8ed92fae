import Core

/// An argument that takes one of a fixed set of words: an activation, a loss, a plot. Each case has
/// one canonical name — what help, summaries and errors show — and may have other spellings that
/// people bring from Keras and PyTorch (`sparse_categorical_crossentropy`, `NLLLoss`, `he_normal`).
/// Matching ignores case and `-`, `_` or spaces between words, so `he_normal`, `HeNormal` and
/// `he-normal` are one spelling.
public protocol Choice: ArgumentValue, CaseIterable, Equatable where AllCases == [Self] {
    /// The canonical name.
    var name: String { get }
    /// Other spellings, written as their users write them; matched the same loose way.
    static var aliases: [String: Self] { get }
}

extension Choice {
    public static var aliases: [String: Self] { [:] }

    /// The case `text` names, canonically or by an alias; nil when it names none.
    public static func named(_ text: String) -> Self? {
        let key = spellingKey(text)
        return allCases.first { spellingKey($0.name) == key }
            ?? aliases.first { spellingKey($0.key) == key }?.value
    }

    public static func parse(_ argument: CommandArgument) throws -> Self {
        if let value = named(argument.text) { return value }
        let names = allCases.map(\.name)
        // Suggest among the canonical names and the aliases, compared the same loose way, but always
        // show a canonical name: `CrossEntropyLos` is one letter from `CrossEntropyLoss`.
        let keys = (names + aliases.keys.sorted()).map(spellingKey)
        let hint = suggestion(for: spellingKey(argument.text), among: keys).flatMap(named).map { tr("did you mean '\($0.name)'? ") } ?? ""
        throw ValueProblem(tr("can't be '\(argument.text)': \(hint)choose \(names.joined(separator: ", "))"))
    }

    public static var placeholder: String { allCases.map(\.name).joined(separator: "|") }
    public static var completion: Completion { .words(allCases.map(\.name)) }
    public var shown: String { name }
}

extension Choice where Self: RawRepresentable, RawValue == String {
    public var name: String { rawValue }
}

/// Lower case, without '-', '_', spaces or a trailing '_' (PyTorch's in-place `kaiming_uniform_`).
func spellingKey(_ text: String) -> String {
    String(text.lowercased().filter { $0 != "-" && $0 != "_" && $0 != " " })
}

// MARK: - The library's own enumerations, as arguments

extension Activation: Choice {
    public static var aliases: [String: Activation] { ["ReLU": .relu, "Sigmoid": .sigmoid, "Tanh": .tanh] }
}

extension Initializer: Choice {
    public static var aliases: [String: Initializer] {
        ["he_normal": .heNormal, "HeNormal": .heNormal, "kaiming_normal": .heNormal, "kaiming": .heNormal,
         "he_uniform": .heUniform, "HeUniform": .heUniform, "kaiming_uniform": .heUniform,
         "glorot_uniform": .glorotUniform, "GlorotUniform": .glorotUniform, "xavier_uniform": .glorotUniform, "xavier": .glorotUniform,
         "default": .pytorch, "torch": .pytorch]
    }
}

extension Padding: Choice {}

extension Precision: Choice {
    public static var aliases: [String: Precision] {
        ["fp32": .float32, "f32": .float32, "float": .float32, "single": .float32,
         "bf16": .bfloat16, "mixed_bfloat16": .bfloat16, "mixed_bf16": .bfloat16]
    }
}

extension OutputActivation: Choice {
    public static var aliases: [String: OutputActivation] {
        ["LogSoftmax": .logSoftmax, "Softmax": .softmax, "linear": .none, "logits": .none, "identity": .none]
    }
}

extension SplitMethod: Choice {
    public var name: String {
        switch self {
        case .random: "random"
        case .last: "last"
        }
    }
    public static var allCases: [SplitMethod] { [.random, .last] }
}

// MARK: - The command language's own

/// What an activation option can add after a layer: a hidden activation, a probability layer, or none.
enum LayerActivation: String, Choice {
    case none, relu, sigmoid, tanh, softmax
    case logSoftmax = "log-softmax"

    static var aliases: [String: LayerActivation] {
        ["linear": .none, "identity": .none, "ReLU": .relu, "Sigmoid": .sigmoid, "Tanh": .tanh,
         "Softmax": .softmax, "LogSoftmax": .logSoftmax]
    }

    /// The hidden activation a convolution can apply inside itself (Keras does the same).
    var fused: Activation? { Activation(rawValue: rawValue) }
}

enum OptimizerName: String, Choice {
    case sgd, adam
    static var aliases: [String: OptimizerName] { ["SGD": .sgd, "gradient_descent": .sgd, "Adam": .adam] }

    /// The learning rate when none is given: PyTorch's usual 0.01 for SGD, Adam's own 0.001.
    var defaultLearningRate: Double {
        switch self {
        case .sgd: 0.01
        case .adam: 0.001
        }
    }
}

/// What a model's last layer emits, which decides the losses that fit it.
enum ModelEnding: String {
    case logSoftmax = "log-softmax", softmax, logits

    init(_ model: Sequential) {
        self = model.layers.last is LogSoftmax ? .logSoftmax : model.layers.last is Softmax ? .softmax : .logits
    }
}

enum LossName: String, Choice {
    case nll
    case crossentropy
    case categoricalCrossentropy = "categorical-crossentropy"
    case sparseCategoricalCrossentropy = "sparse-categorical-crossentropy"
    case softmaxCrossentropy = "softmax-crossentropy"

    static var aliases: [String: LossName] {
        ["NLLLoss": .nll, "nll_loss": .nll, "negative_log_likelihood": .nll,
         "cross_entropy_loss": .softmaxCrossentropy,          // PyTorch's CrossEntropyLoss takes logits
         "softmax_cross_entropy_with_logits": .softmaxCrossentropy]
    }

    /// The loss that fits a model with this ending when none is named.
    init(following ending: ModelEnding) {
        self = switch ending {
        case .logSoftmax: .nll
        case .softmax: .crossentropy
        case .logits: .softmaxCrossentropy
        }
    }

    var loss: any Loss {
        switch self {
        case .nll: NLLLoss()
        case .softmaxCrossentropy: SoftmaxCrossEntropy()
        default: CrossEntropy()
        }
    }

    var explanation: String {
        switch self {
        case .nll: tr("negative log-likelihood of the log-probabilities")
        case .softmaxCrossentropy: tr("cross-entropy of the softmax of the outputs (logits)")
        default: tr("cross-entropy of the predicted probabilities")
        }
    }

    /// The model ending this loss reads.
    var needs: ModelEnding {
        switch self {
        case .nll: .logSoftmax
        case .softmaxCrossentropy: .logits
        default: .softmax
        }
    }

    /// Keras's categorical losses want one-hot targets, the sparse ones class numbers; nil: either.
    var wantsOneHot: Bool? {
        switch self {
        case .categoricalCrossentropy: true
        case .sparseCategoricalCrossentropy: false
        default: nil
        }
    }
}

enum Normalization: String, Choice {
    case scale, standardize
    static var aliases: [String: Normalization] { ["rescale": .scale, "standardise": .standardize, "zscore": .standardize] }
}

/// Which images a command looks at.
enum SplitName: String, Choice {
    case test, validation, train

    /// The split in a sentence, in the current language ("test", "teste"): its name is a command word.
    var spoken: String {
        switch self {
        case .test: tr("test")
        case .validation: tr("validation")
        case .train: tr("train")
        }
    }

    /// "Test image 42", whole, so a language can put the words in its order.
    func imageTitle(_ index: Int) -> String {
        switch self {
        case .test: tr("Test image \(index)")
        case .validation: tr("Validation image \(index)")
        case .train: tr("Train image \(index)")
        }
    }
}
