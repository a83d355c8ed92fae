@testable import Core
import Foundation
import Testing
@testable import Notebook

/// A command that fails leaves the session exactly as it was — data, model and weights, the
/// optimizer and its buffers, history, transcript, and the position of the random source — however
/// far it got before failing. Each case runs a set-up, then a failing command, and compares the
/// session with a twin that ran the set-up alone: before anything else, and after both go on to
/// draw random numbers and train.
@Suite struct AllOrNothingTests {
    /// Everything a command can change, as values to compare.
    struct Fingerprint: Equatable {
        let seed: UInt64
        let random: RandomSource.Position
        let train: LabeledData?
        let test: LabeledData?
        let validation: LabeledData?
        let normalization: String?
        let split: String?
        let layers: [String]
        let weights: [Tensor]
        let layerStreams: [RandomSource.Position]
        let compiled: String?
        let optimizerSteps: Int?
        let optimizerSlots: [[[Float]]]
        let augmentation: Augmentation?
        let history: [EpochRecord]
        let transcript: [String]

        init(_ session: Session) {
            let state = session.state
            seed = state.seed
            random = state.random.position
            (train, test) = (state.data?.dataset.train, state.data?.dataset.test)
            validation = state.data?.validation
            normalization = state.data?.normalization?.name
            split = state.data?.split?.description
            layers = state.model?.layers.map(\.description) ?? []
            weights = state.model?.parameterValues() ?? []
            layerStreams = state.model?.layers.compactMap(\.randomSource).map(\.position) ?? []
            compiled = state.compiled?.description
            let optimizer = state.compiled?.optimizer.state
            optimizerSteps = optimizer?.steps
            // In parameter order, so two sessions' buffers compare.
            optimizerSlots = state.model?.parameters.compactMap { optimizer?.slots[ObjectIdentifier($0)] } ?? []
            augmentation = state.augmentation
            history = state.history.map { EpochRecord(epoch: $0.epoch, loss: $0.loss, accuracy: $0.accuracy,
                                                      validationLoss: $0.validationLoss, validationAccuracy: $0.validationAccuracy, seconds: 0) }
            transcript = session.transcript
        }
    }

    static let mlpSetUp = ["load idx .", "normalize", "build mlp 36-8-3 dropout=0.2", "compile optimizer=sgd lr=0.1 momentum=0.9",
                           "train epochs=1 batch=16"]
    static let cnnSetUp = ["load idx .", "normalize", "split validation=0.2", "build input 6x6x1", "add conv2d 2 kernel=3 activation=relu",
                           "add flatten", "add dropout 0.3", "add dense 3 activation=softmax", "compile optimizer=adam",
                           "train epochs=1 batch=16"]

    /// (set-up, the failing command, what its error says).
    static let cases: [([String], String, String)] = [
        // Fail after drawing weights: the convolution is built, then does not fit a 6×6 input.
        (["load idx .", "build input 6x6x1"], "add conv2d 32 kernel=30", "needs images of at least 30×30"),
        (["load idx .", "normalize", "build input 6x6x1", "add conv2d 2 kernel=3"], "add conv2d 4 kernel=5 activation=softmax",
         "needs images of at least 5×5"),
        // Fail after drawing the permutation.
        (["load idx ."], "split validation=0.9999999", "leaves one side empty"),
        // Fail after training steps: divergence, with dropout's stream and the shuffle drawn, the weights moved.
        (mlpSetUp + ["compile optimizer=sgd lr=1e30"], "train epochs=3 batch=8", "training diverged"),
        (cnnSetUp + ["compile optimizer=sgd lr=1e30 momentum=0.9"], "train epochs=2 batch=8", "training diverged"),
        // The loss was finite, but the one step of the run left the weights infinite.
        (["load idx .", "build mlp 36-3", "compile optimizer=sgd lr=3e38"], "train epochs=1 batch=90",
         "a weight became infinite or NaN at epoch 1, batch 1"),
        // Fail after validation= held out part of this run's data, then diverging.
        (["load idx .", "normalize", "build mlp 36-8-3", "compile lr=1e30"], "train validation=0.3 epochs=2 batch=8", "training diverged"),
        // Fail before drawing anything, at every step.
        (cnnSetUp, "split validation=0.5 method=last", "already split"),
        (mlpSetUp, "show samples n=5 on=validation", "there is no validation set"),
        (mlpSetUp, "roc to=roc.png", "to= takes an .svg file name"),
        (mlpSetUp, "build mlp 36-16-10", "the last size must be 3"),
        (mlpSetUp, "compile loss=crossentropy", "takes softmax outputs"),
        (mlpSetUp, "compile optimizer=adam momentum=0.5", "momentum is an SGD setting"),
        (mlpSetUp, "normalize standardize", "already normalized"),
        (mlpSetUp, "load idx no-such-folder", ""),
        (mlpSetUp, "seed -1", "must be ≥ 0"),
        (mlpSetUp, "augment rotate=200", "rotate must be ≤ 180"),
        (mlpSetUp, "predict 999", "the test set has 30 images"),
        (cnnSetUp, "add conv2d 4", "already ends with softmax"),
        (cnnSetUp + ["build input 6x6x1", "add flatten"], "add maxpool 2", "takes images"),
        (cnnSetUp, "train early-stop=0", "must be ≥ 1"),
    ]

    @Test(arguments: cases)
    func aFailedCommandLeavesTheSessionAsItWas(_ setUp: [String], _ failing: String, _ message: String) throws {
        let (subject, twin) = (try SessionHarness(), try SessionHarness())
        for line in setUp {
            try subject.run(line)
            try twin.run(line)
        }
        #expect(Fingerprint(subject.session) == Fingerprint(twin.session), "the set-up itself is deterministic")
        let error = try #require(subject.failure(failing), "'\(failing)' was expected to fail")
        if !message.isEmpty {
            #expect(message.split(separator: "|").contains { error.contains($0) }, "\(error)")
        }
        #expect(Fingerprint(subject.session) == Fingerprint(twin.session), "after '\(failing)': \(error)")

        // And what comes after is the same: the next seeded draws, and training from there.
        for line in ["show samples n=4", "train epochs=1 batch=8"] {
            let (mine, theirs) = (Result { try subject.run(line) }, Result { try twin.run(line) })
            #expect((try? mine.get()).map(withoutTimes) == (try? theirs.get()).map(withoutTimes), "\(line)")
        }
        #expect(Fingerprint(subject.session) == Fingerprint(twin.session))
    }

    func withoutTimes(_ text: String) -> String {
        text.replacing(#/\d+(\.\d+)?s\b|\d+m\d+s/#, with: "T")
    }

    /// A control: the fingerprint notices a command that does change the session, so the cases above can fail.
    @Test func theFingerprintSeesAChange() throws {
        let (subject, twin) = (try SessionHarness(), try SessionHarness())
        for line in Self.mlpSetUp {
            try subject.run(line)
            try twin.run(line)
        }
        _ = subject.session.state.random.next()
        #expect(Fingerprint(subject.session) != Fingerprint(twin.session))
        try subject.run("show samples n=1")
        try twin.run("show samples n=1")
        try twin.run("train epochs=1 batch=16")
        #expect(Fingerprint(subject.session) != Fingerprint(twin.session))
    }

    /// Ctrl-C is not a failure: the steps taken stay (the REPL's promise), and so does the history.
    @Test func anInterruptedTrainKeepsWhatItDid() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build mlp 36-8-3", "compile lr=0.1")
        let before = h.session.model!.parameterValues()
        var batches = 0
        h.session.interruptRequested = { batches += 1; return batches >= 3 }
        #expect(try h.run("train epochs=5 batch=8").contains("Interrupted in epoch 1, after batch 3"))
        #expect(h.session.model!.parameterValues() != before)
        #expect(h.session.transcript.last == "train epochs=5 batch=8")
        // The partial epoch is history too, marked: "No training yet" would be untrue.
        h.session.interruptRequested = { false }
        let history = try h.run("history")
        #expect(history.contains("1*") && history.contains("* interrupted by Ctrl-C"), "\(history)")
        #expect(h.session.history.map(\.interrupted) == [true])
        _ = try h.run("train epochs=1 batch=8")
        #expect(h.session.history.map(\.epoch) == [1, 2] && h.session.history.map(\.interrupted) == [true, false])
    }
}
