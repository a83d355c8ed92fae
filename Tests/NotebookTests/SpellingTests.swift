import Core
import Testing
@testable import Notebook

/// The names people bring from Keras and PyTorch map to one canonical name each.
@Suite struct SpellingTests {
    @Test(arguments: [
        ("sparse_categorical_crossentropy", "sparse-categorical-crossentropy"), ("SparseCategoricalCrossentropy", "sparse-categorical-crossentropy"),
        ("categorical_crossentropy", "categorical-crossentropy"), ("CategoricalCrossentropy", "categorical-crossentropy"),
        ("NLLLoss", "nll"), ("nll_loss", "nll"), ("NLL", "nll"),
        ("CrossEntropyLoss", "softmax-crossentropy"), ("softmax_cross_entropy_with_logits", "softmax-crossentropy"),
        ("cross_entropy", "crossentropy"), ("CrossEntropy", "crossentropy"),
    ])
    func losses(_ spelling: String, _ canonical: String) {
        #expect(LossName.named(spelling)?.name == canonical)
    }

    @Test(arguments: [("he_normal", "he"), ("HeNormal", "he"), ("kaiming_normal_", "he"), ("kaiming_uniform", "he-uniform"),
                      ("he_uniform", "he-uniform"), ("glorot_uniform", "glorot"), ("GlorotUniform", "glorot"), ("xavier_uniform_", "glorot"),
                      ("PyTorch", "pytorch"), ("default", "pytorch")])
    func initializers(_ spelling: String, _ canonical: String) {
        #expect(Initializer.named(spelling)?.name == canonical)
    }

    @Test func optimizersActivationsAndLayers() {
        #expect(OptimizerName.named("Adam") == .adam && OptimizerName.named("SGD") == .sgd)
        #expect(Activation.named("ReLU") == .relu && Activation.named("TANH") == .tanh)
        #expect(LayerActivation.named("LogSoftmax") == .logSoftmax && LayerActivation.named("log_softmax") == .logSoftmax)
        #expect(LayerActivation.named("linear") == LayerActivation.none)
        #expect(LayerKindName.named("MaxPooling2D")?.name == "maxpool" && LayerKindName.named("Conv2D")?.name == "conv2d")
        #expect(LayerKindName.named("Linear")?.name == "dense")
        #expect(Normalization.named("standardise") == .standardize)
        #expect(LossName.named("binary_crossentropy") == nil && Initializer.named("orthogonal") == nil)
    }

    /// What a command shows is the canonical name, whatever was typed.
    @Test func commandsShowTheCanonicalName() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "build mlp 36-8-3 init=kaiming_uniform activation=Tanh output=LogSoftmax")
        #expect(try h.run("compile optimizer=Adam loss=NLLLoss").contains("Adam (lr 0.001, beta1 0.9, beta2 0.999) · loss nll:"))
        try h.run("build input 6x6x1", "add Conv2D 2 kernel=3 activation=ReLU init=glorot_uniform", "add MaxPooling2D 2", "add Flatten",
                  "add Dense 3 activation=Softmax")
        #expect(h.session.model!.layers.map(\.kind) == ["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Softmax"])
        #expect(try h.run("compile loss=SparseCategoricalCrossentropy").contains("loss sparse-categorical-crossentropy:"))
        #expect(h.session.transcript.last == "compile loss=SparseCategoricalCrossentropy")
    }

    /// A value that matches nothing still gets "did you mean", with a canonical name.
    @Test(arguments: [("compile loss=nlll", "loss can't be 'nlll': did you mean 'nll'? choose nll, crossentropy"),
                      ("compile loss=CrossEntropyLos", "loss can't be 'CrossEntropyLos': did you mean 'softmax-crossentropy'?"),
                      ("compile optimizer=adamw", "optimizer can't be 'adamw': did you mean 'adam'? choose sgd, adam"),
                      ("build mlp 36-3 init=kaiming_normall", "init can't be 'kaiming_normall': did you mean 'he'?"),
                      ("add dens 3", "'layer' can't be 'dens': did you mean 'dense'?"),
                      ("compile loss=hinge", "loss can't be 'hinge': choose nll, crossentropy, categorical-crossentropy")])
    func unknownSpellingsGetASuggestion(_ line: String, _ message: String) throws {
        let h = try SessionHarness()
        try h.run("load idx .", "build input 6x6x1")
        #expect(h.failure(line)?.hasPrefix(message) == true, "\(h.failure(line) ?? "no error")")
    }
}
