import Core
import Foundation
import Testing
@testable import Notebook

/// One table of layer kinds: `add`, `build mlp`, help, completion and model descriptions all read it.
@Suite struct LayerTableTests {
    @Test func addHelpAndCompletionListEveryKind() throws {
        let names = Session.layerKinds.map(\.name)
        #expect(names == ["dense", "conv2d", "maxpool", "dropout", "leaky-relu", "flatten", "relu", "sigmoid", "tanh", "softmax", "log-softmax"])
        let add = Session.add.spec
        #expect(add.positionals[0].completion.words == names)
        #expect(Completer().complete("add ").candidates == names.sorted())
        #expect(Completer().complete("add conv2d 8 ").candidates == ["activation=", "init=", "kernel=", "padding="])
        #expect(Completer().complete("add maxpool 2 ").candidates == ["stride="])
        // Each option once, for exactly the kinds that take it.
        #expect(add.options.map(\.name) == ["activation", "init", "kernel", "padding", "stride"])
        #expect(add.options.map(\.only) == [["dense", "conv2d"], ["dense", "conv2d"], ["conv2d"], ["conv2d"], ["maxpool"]])
        for kind in Session.layerKinds { #expect(add.usage.contains(kind.name)) }
    }

    /// Every kind describes itself, and the description builds the same layer again.
    @Test func aModelIsWrittenDownAndRebuiltIdentically() throws {
        let h = try SessionHarness()
        try h.run("seed 7", "build input 6x6x1", "add conv2d 4 kernel=3 padding=same activation=relu init=he",
                  "add conv2d 2 kernel=2 activation=tanh", "add maxpool 2 stride=1", "add flatten", "add dropout 0.25",
                  "add dense 5 activation=sigmoid init=pytorch", "add LeakyReLU 0.2", "add dense 3", "add log-softmax")
        let model = try #require(h.session.model)
        let configuration = Session.configuration(of: model)
        // dense's activation=sigmoid is written back as it was given: one layer, as Keras's Dense(…, activation=).
        #expect(configuration.layers.map(\.kind) == ["conv2d", "conv2d", "maxpool", "flatten", "dropout", "dense", "leaky-relu", "dense", "log-softmax"])
        #expect(configuration.layers[5].commandLine == "add dense 5 activation=sigmoid init=pytorch")
        #expect(configuration.layers[6].commandLine == "add leaky-relu 0.2")
        #expect(configuration.layers[0].commandLine == "add conv2d 4 activation=relu init=he kernel=3 padding=same")
        #expect(configuration.layers[4].commandLine == "add dropout 0.25")

        let json = try JSONEncoder().encode(configuration)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(#""kernel":3"#) && text.contains(#""padding":"same""#))
        let decoded = try JSONDecoder().decode(ModelConfiguration.self, from: json)
        #expect(decoded == configuration)

        // Built afresh from the description with the same seed: the same layers and the same weights.
        let rebuilt = try Session.model(from: decoded, random: RandomSource(seed: 7))
        #expect(rebuilt.layers.map(\.description) == model.layers.map(\.description))
        #expect(rebuilt.parameterValues() == model.parameterValues())
        #expect(Session.configuration(of: rebuilt) == configuration)
        #expect(rebuilt.summary() == model.summary(), "the attached sigmoid stays attached")
        let other = try Session.model(from: decoded, random: RandomSource(seed: 8))
        #expect(other.parameterValues() != model.parameterValues())
    }

    @Test func aDescriptionThatDoesNotFitFailsClearly() throws {
        let bad = ModelConfiguration(input: [1, 6, 6], layers: [LayerConfiguration(kind: "dense", size: .number(4))])
        #expect(throws: CommandError.self) { try Session.model(from: bad, random: RandomSource(seed: 1)) }
        let unknown = ModelConfiguration(input: [4], layers: [LayerConfiguration(kind: "lstm")])
        #expect { try Session.model(from: unknown, random: RandomSource(seed: 1)) } throws: { error in
            (error as? CommandError)?.message.hasPrefix("'layer' can't be 'lstm'") == true
        }
    }

    /// `build mlp` goes through the table and draws exactly what the library's own MLP draws, so
    /// every notebook's numbers stay as they were.
    @Test(arguments: [("build mlp 36-16-8-3", Initializer.pytorch, Float(0), OutputActivation.logSoftmax, Activation.relu),
                      ("build mlp 36-16-3 dropout=0.1 init=he_normal output=Softmax activation=tanh", .heNormal, 0.1, .softmax, .tanh)])
    func buildMLPMatchesTheLibrary(_ line: String, _ initializer: Initializer, _ dropout: Float, _ output: OutputActivation,
                                   _ activation: Activation) throws {
        let h = try SessionHarness()
        try h.run(line)
        let sizes = line.split(separator: " ")[2].split(separator: "-").map { Int($0)! }
        let library = try Sequential.mlp(sizes, activation: activation, dropout: dropout, initializer: initializer, output: output,
                                         random: RandomSource(seed: 42))
        #expect(h.session.model!.layers.map(\.description) == library.layers.map(\.description))
        #expect(h.session.model!.parameterValues() == library.parameterValues())
    }
}

extension Completion {
    var words: [String]? {
        if case .words(let words) = self { return words }
        return nil
    }
}
