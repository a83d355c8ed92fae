@testable import Core
import Foundation
import Testing
@testable import Notebook

/// `sweep`: every run is the training the user would get by compiling that value and training,
/// the session itself is left alone (unless asked to keep the best), and Ctrl-C keeps finished rows.
@Suite struct SweepTests {
    static let setUp = ["load idx .", "normalize", "build mlp 36-8-3 dropout=0.2", "compile optimizer=sgd lr=0.1 momentum=0.9"]

    /// The fingerprint without the transcript (which records the sweep itself).
    func state(_ session: Session) -> AllOrNothingTests.Fingerprint { AllOrNothingTests.Fingerprint(session) }

    @Test func eachRunIsWhatCompilingAndTrainingThatValueGives() throws {
        let sweeper = try SessionHarness()
        try sweeper.run(Self.setUp + ["sweep lr=0.01,0.5 epochs=3 batch=16 validation=0.2 parallel=false"])
        let runs = sweeper.session.state.runs
        #expect(runs.map(\.label) == ["lr=0.01", "lr=0.5"])
        for (run, lr) in zip(runs, ["0.01", "0.5"]) {
            let twin = try SessionHarness()
            try twin.run(Self.setUp + ["compile optimizer=sgd lr=\(lr) momentum=0.9", "train epochs=3 batch=16 validation=0.2"])
            #expect(run.history.map(\.loss) == twin.session.history.map(\.loss), "\(run.label)")
            #expect(run.history.map(\.validationAccuracy) == twin.session.history.map(\.validationAccuracy), "\(run.label)")
            let test = try twin.run("evaluate")
            #expect(test.contains(percent(run.testAccuracy!)), "\(run.label): \(test)")
        }
    }

    /// Side by side, each run computes on one core; in turn, on every core. The numbers are the
    /// same to the bit, as every product is one chain per entry however it is split (layers wide
    /// enough that the products of a batch of 32 are split: 32·256·256 multiply-adds).
    @Test func runsAtOnceAreExactlyRunsInTurn() throws {
        let setUp = ["load idx .", "normalize", "build mlp 36-256-256-3 dropout=0.2", "compile optimizer=adam"]
        let (together, inTurn) = (try SessionHarness(), try SessionHarness())
        try together.run(setUp + ["sweep lr=0.001,0.01 epochs=2 batch=32 validation=0.2 parallel=true"])
        try inTurn.run(setUp + ["sweep lr=0.001,0.01 epochs=2 batch=32 validation=0.2 parallel=false"])
        #expect(together.session.state.runs.count == 2)
        for (a, b) in zip(together.session.state.runs, inTurn.session.state.runs) {
            #expect(a.label == b.label)
            #expect(a.history.map(\.loss) == b.history.map(\.loss), "\(a.label)")
            #expect(a.history.map(\.validationLoss) == b.history.map(\.validationLoss), "\(a.label)")
        }
    }

    @Test func theSessionIsLeftAsItWasUnlessKeepBest() throws {
        let (subject, twin) = (try SessionHarness(), try SessionHarness())
        try subject.run(Self.setUp)
        try twin.run(Self.setUp)
        let said = try subject.run("sweep dropout=0,0.5 epochs=2 batch=16 validation=0.2")
        #expect(said.contains("2 runs in"))
        var before = state(twin.session), after = state(subject.session)
        #expect(after.weights == before.weights && after.random == before.random && after.layers == before.layers)
        #expect(after.history == before.history && after.optimizerSteps == before.optimizerSteps)

        // keep=best: the model, its compile settings, history and random position become the best run's.
        try subject.run("sweep lr=0.001,0.1 epochs=2 batch=16 validation=0.2 keep=best")
        try twin.run("train epochs=2 batch=16 validation=0.2")   // lr=0.1 is the compiled value, and the better one here
        (before, after) = (state(twin.session), state(subject.session))
        #expect(after.weights == before.weights)
        #expect(after.random == before.random)
        #expect(after.history.map(\.loss) == before.history.map(\.loss))
        #expect(after.compiled == before.compiled)
        #expect(subject.session.state.runs.count == 4)
    }

    @Test func aDivergingRunIsARowNotAFailure() throws {
        let h = try SessionHarness()
        let said = try h.run(Self.setUp + ["sweep lr=0.1,1e30 epochs=2 batch=8 parallel=false"])
        #expect(said.contains("lr=1e+30 · diverged in epoch 1"), "\(said)")
        #expect(said.contains("diverged (epoch 1)"))
        #expect(h.session.state.runs.last?.testAccuracy == nil)
    }

    @Test func ctrlCKeepsTheFinishedRows() throws {
        let h = try SessionHarness()
        try h.run(Self.setUp)
        // The first run is one epoch; Ctrl-C comes as soon as it is reported, long before the 5,000-epoch one ends.
        let sink = RecordingSink()
        h.session.interruptRequested = { sink.blocks.contains { if case .text(let t) = $0 { t.hasPrefix("epochs=1 ") } else { false } } }
        try h.session.execute("sweep epochs=1,5000 batch=16 parallel=false", output: sink)
        let runs = h.session.state.runs
        #expect(runs.map(\.label) == ["epochs=1"])
        #expect(sink.blocks.contains { if case .note(let t) = $0 { t.hasPrefix("Interrupted: kept the 1 finished run of 2") } else { false } })
    }

    @Test func ctrlCBeforeAnyRunFinishesKeepsNothingAndIsNoError() throws {
        let h = try SessionHarness()
        try h.run(Self.setUp)
        let before = state(h.session)
        h.session.interruptRequested = { true }
        let said = try h.run("sweep lr=0.01,0.1 epochs=5000 batch=16")
        #expect(said == "Interrupted before the first run finished: nothing to keep. The model is as it was.")
        #expect(h.session.state.runs.isEmpty)
        let after = state(h.session)
        #expect(after.weights == before.weights && after.random == before.random && after.history == before.history)
    }

    @Test(arguments: [
        ("sweep lr=0.1", "give one setting two or more values"),
        ("sweep lr=0.01,0.1 batch=8,16", "one setting at a time: lr and batch"),
        ("sweep lr=0,0.1", "lr must be > 0, got 0"),
        ("sweep beta1=0.8,0.9", "beta1 is an Adam setting"),
        ("sweep lr=0.01,0.1 validation=1.5", "validation must be between 0 and 1"),
        ("sweep batch=16,0", "batch must be ≥ 1, got 0"),
    ])
    func badSweepsFailBeforeTraining(_ line: String, _ message: String) throws {
        let h = try SessionHarness()
        try h.run(Self.setUp)
        let before = state(h.session)
        let error = try #require(h.failure(line))
        #expect(error.contains(message), "\(error)")
        #expect(state(h.session) == before)
        #expect(h.session.state.runs.isEmpty)
    }

    @Test func theCurvesGoToAnSVGFileWithValidationDashed() throws {
        let h = try SessionHarness()
        try h.run(Self.setUp)
        let said = try h.run("sweep lr=0.01,0.1 epochs=2 batch=16 validation=0.2 to=runs.svg")
        #expect(said.contains("Wrote runs.svg."))
        let svg = try String(contentsOfFile: h.directory.path + "/runs.svg", encoding: .utf8)
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 4)
        #expect(svg.components(separatedBy: "stroke-dasharray=\"6 4\" points").count - 1 == 2, "the two validation curves")
    }

    @Test func dropoutNeedsADropoutLayer() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build mlp 36-8-3", "compile")
        #expect(h.failure("sweep dropout=0,0.5")?.contains("no dropout layer") == true)
    }

    @Test func plotLossOnOneSetDrawsThatCurveAlone() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build mlp 36-8-3", "compile", "train epochs=3 validation=0.2")
        func series(_ line: String) throws -> [String] {
            let sink = RecordingSink()
            try h.session.execute(line, output: sink)
            guard case .chart(let chart) = sink.blocks.last else { return [] }
            return chart.series.map(\.name)
        }
        #expect(try series("plot loss") == ["loss", "val_loss"])
        #expect(try series("plot loss on=train") == ["loss"])
        #expect(try series("plot accuracy on=validation") == ["val_accuracy"])
        #expect(h.failure("plot loss on=test")?.contains("the test set is kept for the end") == true)
        try h.run("train epochs=1")
        #expect(h.failure("plot loss on=validation") == nil, "earlier epochs had validation")
    }

    @Test func plotRunsAllOverlaysEveryRun() throws {
        let h = try SessionHarness()
        try h.run(Self.setUp)
        #expect(h.failure("plot loss runs=all")?.contains("no sweep yet") == true)
        let sink = RecordingSink()
        try h.session.execute("sweep lr=0.01,0.1,0.5 epochs=2 batch=16 validation=0.2", output: sink)
        try h.session.execute("plot accuracy runs=all", output: sink)
        guard case .chart(let chart) = sink.blocks.last else { Issue.record("no chart"); return }
        #expect(chart.series.map(\.name) == ["lr=0.01 accuracy", "lr=0.01 val_accuracy", "lr=0.1 accuracy", "lr=0.1 val_accuracy",
                                             "lr=0.5 accuracy", "lr=0.5 val_accuracy"])
        #expect(chart.series.map(\.colour) == [0, 0, 1, 1, 2, 2])
        #expect(chart.series.map(\.dashed) == [false, true, false, true, false, true])
        #expect(chart.series[5].points.count == 2)
    }
}

/// `show weights|filters|activations` and `trace` draw what is in the model, and change nothing.
@Suite struct InsideTests {
    static let cnn = ["load idx .", "normalize", "build input 6x6x1", "add conv2d 2 kernel=3 activation=relu", "add maxpool 2",
                      "add flatten", "add dropout 0.3", "add dense 3 activation=softmax", "compile optimizer=adam", "train epochs=2 batch=16"]

    func grid(_ h: SessionHarness, _ line: String) throws -> ImageGrid {
        let sink = RecordingSink()
        try h.session.execute(line, output: sink)
        guard case .images(let grid) = sink.blocks.last else { throw CommandError("no picture from '\(line)'") }
        return grid
    }

    /// Looking at the data draws from a stream of its own: the weights and training that follow are the same.
    @Test func lookingAtSamplesChangesNothingThatFollows() throws {
        let (looker, twin) = (try SessionHarness(), try SessionHarness())
        try looker.run("load idx .", "show samples n=4", "normalize", "build mlp 36-5-3", "compile", "train epochs=1")
        try twin.run("load idx .", "normalize", "build mlp 36-5-3", "compile", "train epochs=1")
        #expect(looker.session.model!.parameterValues() == twin.session.model!.parameterValues())
        #expect(looker.session.state.random.position == twin.session.state.random.position)
    }

    @Test func weightsAreEachNeuronsRowAsAnImage() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build mlp 36-5-3", "compile", "train epochs=1")
        let picture = try grid(h, "show weights n=2")
        let dense = h.session.model!.layers[0] as! Dense
        #expect(picture.signed && picture.images.count == 2 && picture.images[0].width == 6)
        let row = Array(dense.weight.value.scalars[36..<72]), largest = row.map(abs).max()!
        #expect(picture.images[1].pixels == row.map { $0 / largest })
        // The output layer's neurons are the classes; a layer after another has no picture.
        #expect(h.failure("show weights layer=2")?.contains("not the image's pixels") == true)
        #expect(h.failure("show weights layer=3")?.contains("no dense layer '3' — the model's are dense, dense_1") == true)
    }

    @Test func filtersAndActionsFollowTheLayerNamed() throws {
        let h = try SessionHarness()
        try h.run(Self.cnn)
        let conv = h.session.model!.layers[0] as! Conv2D
        let filters = try grid(h, "show filters layer=conv1")
        #expect(filters.images.count == 2 && filters.images[0].width == 3)
        let first = Array(conv.weight.value.scalars[0..<9]), largest = first.map(abs).max()!
        #expect(filters.images[0].pixels == first.map { $0 / largest })
        #expect(try grid(h, "show filters layer=conv2d").images == filters.images)
        #expect(h.failure("show filters channel=2")?.contains("takes 1 channel") == true)

        // After the pooling layer: two 2×2 maps, the forward pass's own numbers scaled to their largest.
        let maps = try grid(h, "show activations 4 layer=pool1")
        let image = h.session.state.data!.dataset.test.inputs.gatherRows([4])
        let pooled = h.session.model!.forward(image, training: false, layerCount: 2).scalars
        #expect(maps.images.map(\.width) == [2, 2])
        let largest0 = pooled[0..<4].max()!
        #expect(maps.images[0].pixels == pooled[0..<4].map { largest0 > 0 ? $0 / largest0 : 0 })
        #expect(h.failure("show activations 4 layer=conv9")?.contains("no layer 'conv9'") == true)
        #expect(h.failure("show activations 99")?.contains("the test set has 30 images") == true)
    }

    @Test func traceReportsTheBackwardPassAndChangesNothing() throws {
        let (h, twin) = (try SessionHarness(), try SessionHarness())
        try h.run(Self.cnn)
        try twin.run(Self.cnn)
        let said = try h.run("trace batch=8")
        #expect(said.contains("The softmax runs inside the loss"))
        #expect(said.contains("conv2d") && said.contains("‖∂L/∂W‖"))
        // The loss it reports is the loss the model gives those images (dropout aside: none drawn in inference).
        var before = AllOrNothingTests.Fingerprint(twin.session), after = AllOrNothingTests.Fingerprint(h.session)
        #expect(after.weights == before.weights && after.layerStreams == before.layerStreams && after.random == before.random)
        try h.run("train epochs=1 batch=8")
        try twin.run("train epochs=1 batch=8")
        (before, after) = (AllOrNothingTests.Fingerprint(twin.session), AllOrNothingTests.Fingerprint(h.session))
        #expect(after.weights == before.weights)
    }

    /// The gradient norms are the real ones: for a one-layer model, ‖∂L/∂W‖ matches finite differences.
    @Test func traceGradientMatchesFiniteDifferences() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build mlp 36-3 output=log-softmax", "compile")
        let sink = RecordingSink()
        try h.session.execute("trace batch=4", output: sink)
        let bars = try #require(sink.blocks.compactMap { if case .bars(let b) = $0 { b } else { nil } }.first)
        let model = h.session.model!
        let data = h.session.state.data!.dataset.train
        let inputs = data.inputs.gatherRows(0..<4), targets = data.targets(0..<4)
        let weight = (model.layers[0] as! Dense).weight
        var squares = 0.0
        for i in 0..<weight.value.count {
            let original = weight.value.scalars[i]
            func loss(_ x: Float) -> Double {
                weight.value.scalars[i] = x
                return Double(NLLLoss().lossAndGradient(model.forward(inputs, training: true), targets).loss)
            }
            let g = (loss(original + 1e-2) - loss(original - 1e-2)) / 2e-2
            weight.value.scalars[i] = original
            squares += g * g
        }
        #expect(abs(bars.values[0] - squares.squareRoot()) < 0.01 * squares.squareRoot(), "\(bars.values[0]) vs \(squares.squareRoot())")
    }
}
