import Core
import Foundation
import Testing
@testable import Notebook

@Suite struct SessionTests {
    @Test func aWholeStudyFromLoadToHistory() throws {
        let h = try SessionHarness()
        let loaded = try h.run("load idx .")
        #expect(loaded.contains("training  90 images of 6×6"))
        #expect(loaded.contains("classes   3: 0 1 2"))
        #expect(try h.run("normalize").contains("divided by 255"))
        #expect(try h.run("split validation=0.2").contains("Held out 18 of 90 training images for validation (random, seed 42); 72 left"))
        // build prints what summary prints: PyTorch's nn.Sequential, its ReLU a layer of its own.
        let built = try h.run("build mlp 36-16-3")
        #expect(built.contains("dense (Dense)              (None, 16)         592") && built.contains("re_lu (ReLU)"), "\(built)")
        #expect(renderSummary(h.session.model!.summary()) == built)
        #expect(try h.run("summary").contains("Total params: 643 (2.51 KB)"))
        #expect(try h.run("compile optimizer=sgd lr=0.1 momentum=0.5").contains("SGD (lr 0.1, momentum 0.5) · loss nll"))
        let trained = try h.run("train epochs=4 batch=8")
        let epochLines = trained.split(separator: "\n").filter { $0.hasPrefix("Epoch ") }
        #expect(epochLines.count == 4)
        #expect(epochLines[0].hasPrefix("Epoch 1/4 · ") && epochLines[0].contains("val_accuracy"))
        #expect(trained.contains("4 epochs in "))
        let evaluated = try h.run("evaluate")
        #expect(evaluated.hasPrefix("test  loss "))
        #expect(evaluated.contains("accuracy 100.00% (30 images)"))
        #expect(try h.run("evaluate on=validation").contains("(18 images)"))
        let history = try h.run("history")
        #expect(history.split(separator: "\n").count == 2 + 4)
        #expect(try h.run("history commands").split(separator: "\n").first == "load idx .")
        #expect(h.session.transcript.count == 9)
    }

    @Test func trainingTwiceContinuesTheHistory() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build mlp 36-8-3", "compile lr=0.1", "train epochs=2 batch=16", "train epochs=1 batch=16")
        #expect(h.session.history.map(\.epoch) == [1, 2, 3])
    }

    @Test(arguments: [
        ("train epochs=1", "no data yet — try: load mnist"),
        ("normalize", "no data yet — try: load mnist"),
        ("split validation=0.1", "no data yet — try: load mnist"),
        ("one-hot", "no data yet — try: load mnist"),
        ("summary", "no model yet — try: build mlp 784-128-64-10"),
        ("add dense 10", "no model yet — try: build mlp 784-128-64-10"),
        ("compile", "no model yet — try: build mlp 784-128-64-10"),
    ])
    func commandsRefuseToRunOutOfOrder(_ line: String, _ message: String) throws {
        let h = try SessionHarness()
        #expect(h.failure(line) == message)
    }

    @Test func trainAndEvaluateNeedEveryStepBefore() throws {
        let h = try SessionHarness()
        try h.run("load idx .")
        #expect(h.failure("train") == "no model yet — try: build mlp 784-128-64-10")
        try h.run("build mlp 36-8-3")
        #expect(h.failure("train") == "the model is not compiled yet — try: compile optimizer=sgd lr=0.01")
        #expect(h.failure("evaluate") == "the model is not compiled yet — try: compile optimizer=sgd lr=0.01")
        try h.run("compile")
        #expect(h.failure("evaluate on=validation") == "there is no validation set — split first, e.g. split validation=0.15")
    }

    @Test func aFailedCommandChangesNothing() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "split validation=0.2", "one-hot")
        let data = try #require(h.session.data)
        #expect(h.failure("normalize standardize") == "the pixels are already normalized (scale) — load the data again to start over")
        #expect(h.failure("split validation=0.5")?.hasPrefix("the training set is already split (random, seed 42)") == true)
        #expect(h.failure("one-hot") == "the labels are already one-hot vectors")
        #expect(h.failure("build mlp 784-16-3") == "the data has 36 values per image, so the first size must be 36, not 784")
        #expect(h.failure("build mlp 36-16-10") == "the data has 3 classes, so the last size must be 3, not 10")
        #expect(h.session.model == nil)
        #expect(h.session.data?.dataset == data.dataset && h.session.data?.validation == data.validation)

        try h.run("build input 6x6x1")
        #expect(h.failure("add dense 8") == "dense layers take flat vectors, but the model outputs (None, 6, 6, 1) — add flatten first")
        try h.run("add flatten", "add dense 8 activation=relu", "add dense 3 activation=log-softmax")
        let layers = h.session.model!.layers.count
        #expect(h.failure("add dropout 1.5") == "'add dropout' needs a rate from 0 up to (not including) 1, like: add dropout 0.5")
        #expect(h.failure("add relu 3") == "'add relu' takes no size")
        #expect(h.session.model!.layers.count == layers)

        #expect(h.failure("compile loss=crossentropy") == "loss=crossentropy takes softmax outputs but the model ends with log-softmax: end the model with softmax, or choose loss=nll")
        #expect(h.failure("compile optimizer=adam momentum=0.9") == "momentum is an SGD setting; Adam keeps its own moments (beta1, beta2)")
        #expect(h.failure("compile beta1=0.8") == "beta1 is an Adam setting — add optimizer=adam")
        #expect(h.session.compiled == nil)
    }

    @Test func divergenceLeavesTheModelAsItWas() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "build mlp 36-8-3", "compile lr=1e12")   // pixels left at 0…255, on purpose
        let before = h.session.model!.parameterValues()
        let message = try #require(h.failure("train epochs=3 batch=8"))
        #expect(message.hasPrefix("training diverged: loss became "))
        #expect(message.hasSuffix("The model is back where it was before this 'train'"))
        #expect(h.session.model!.parameterValues() == before)
        #expect(h.session.history.isEmpty)
    }

    @Test func categoricalLossesWantOneHotAndSparseOnesDoNot() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build mlp 36-8-3 output=softmax", "compile optimizer=adam loss=categorical-crossentropy")
        #expect(h.failure("train")?.hasPrefix("loss=categorical-crossentropy takes one-hot labels") == true)
        try h.run("one-hot", "train epochs=1 batch=16")
        try h.run("compile optimizer=adam loss=sparse-categorical-crossentropy")
        #expect(h.failure("train")?.hasPrefix("loss=sparse-categorical-crossentropy takes class numbers") == true)
    }

    @Test func kerasStyleModelLayerByLayer() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "one-hot")
        #expect(try h.run("build input 6x6x1") == "Input: (None, 6, 6, 1). Add layers with 'add', e.g. add flatten, add dense 128 activation=relu.")
        #expect(try h.run("add flatten") == "flatten (Flatten) → (None, 36)")
        #expect(try h.run("add dense 16 activation=relu") == "dense (Dense, relu) → (None, 16) · 592 parameters")
        try h.run("add dropout 0.2")
        #expect(try h.run("add dense 3 activation=softmax") == "dense_1 (Dense, softmax) → (None, 3) · 51 parameters")
        // One row a layer with its activation, as Keras's summary (and as conv2d's fused one always was).
        let summary = try h.run("summary")
        #expect(summary.contains("dense (Dense)       (None, 16)") && !summary.contains("ReLU") && !summary.contains("Softmax"), "\(summary)")
        let separate = try SessionHarness()
        try separate.run("build input 36", "add dense 4", "add relu")
        #expect(try separate.run("summary").contains("re_lu (ReLU)"), "a ReLU added on its own is a layer of its own")
        #expect(try h.run("compile optimizer=adam lr=0.01").contains("Adam (lr 0.01, beta1 0.9, beta2 0.999) · loss crossentropy"))
        try h.run("train epochs=6 batch=16 validation=0.2")
        #expect(try h.run("evaluate").contains("accuracy 100.00%"))
    }

    @Test func sameSeedSameNumbersThroughTheSession() throws {
        func losses(seed: Int) throws -> [Double] {
            let h = try SessionHarness()
            try h.run("seed \(seed)", "load idx .", "normalize", "split validation=0.2", "build mlp 36-8-3 dropout=0.1",
                      "compile lr=0.05 momentum=0.5", "train epochs=2 batch=8")
            return h.session.history.flatMap { [$0.loss, $0.validationLoss!] }
        }
        #expect(try losses(seed: 7) == losses(seed: 7))
        #expect(try losses(seed: 7) != losses(seed: 8))
    }

    @Test func earlyStoppingAndSplitConflicts() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "split validation=0.2", "build mlp 36-8-3", "compile lr=1e-30")   // steps too small to change a Float: the loss cannot improve
        #expect(h.failure("train validation=0.1")?.hasPrefix("the data is already split (random, seed 42)") == true)
        let output = try h.run("train epochs=50 batch=8 early-stop=1")
        #expect(output.contains("Stopped early after epoch 2: the validation loss has not improved for 1 epoch."))
        #expect(h.session.history.count == 2)
    }

    @Test func loadErrorsNameTheFile() throws {
        let h = try SessionHarness()
        #expect(h.failure("load idx missing")?.contains("has no train-images-idx3-ubyte (nor .gz)") == true)
        h.directory.write("bad/train-images-idx3-ubyte", Data([0, 0, 8, 3, 0, 0]))
        for name in ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            h.directory.write("bad/" + name, Data(try Data(contentsOf: URL(fileURLWithPath: h.directory.path + "/" + name))))
        }
        let message = try #require(h.failure("load idx bad"))
        #expect(message == h.directory.path + "/bad/train-images-idx3-ubyte: the header is cut short: 3 dimension sizes need 16 bytes, the file has 6")
        #expect(h.session.data == nil)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["CADERNO_DATA"] != nil, "needs CADERNO_DATA"))
    func loadsRealMNISTThroughTheStore() throws {
        let session = Session()
        let sink = RecordingSink()
        try session.execute("load mnist limit=500 test-limit=100", output: sink)
        let text = sink.blocks.map(TerminalRenderer().render).joined(separator: "\n")
        #expect(text.contains("training  500 images of 28×28"))
        #expect(text.contains("test      100 images"))
    }

    @Test func helpListsGroupsAndExplainsOne() throws {
        let h = try SessionHarness()
        let all = try h.run("help")
        #expect(all.hasPrefix("Data\n  load "))
        for group in ["Model", "Training", "Evaluation", "Session"] { #expect(all.contains("\n" + group + "\n")) }
        let train = try h.run("help train")
        #expect(train.contains("usage:   train [epochs=N] [batch=N]"))
        #expect(train.contains("epochs       N            1         passes over the training set"))
        #expect(h.failure("help trian") == "no command 'trian' (did you mean 'train'?)")
        #expect(h.session.transcript.isEmpty, "help is not part of the work")
    }

    @Test func seedAndQuit() throws {
        let h = try SessionHarness()
        #expect(try h.run("seed 7") == "Seed 7: weights, shuffling, splits and dropout all draw from it from now on.")
        #expect(h.session.seed == 7)
        try h.run("quit")
        #expect(h.session.wantsToQuit)
    }
}

@Suite struct ConvolutionSessionTests {
    @Test func aSmallCNNLayerByLayerWithAugmentation() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build input 6x6x1")
        #expect(try h.run("add conv2d 4 kernel=3 padding=same activation=relu") == "conv2d (Conv2D, relu) → (None, 6, 6, 4) · 40 parameters")
        #expect(try h.run("add maxpool 2") == "max_pooling2d (MaxPooling2D) → (None, 3, 3, 4)")
        #expect(h.failure("add conv2d 4 kernel=5") == "Conv2D(4 => 4, 5×5) needs images of at least 5×5, got 3×3")
        #expect(h.failure("add dense 3") == "dense layers take flat vectors, but the model outputs (None, 3, 3, 4) — add flatten first")
        try h.run("add flatten")
        #expect(h.failure("add conv2d 2") == "conv2d takes images, but the model outputs (None, 36) — start with: build input 28x28x1")
        try h.run("add dense 3 activation=softmax", "compile optimizer=adam lr=0.01 loss=sparse-categorical-crossentropy")
        #expect(try h.run("augment rotate=10 shift=1").hasPrefix("Each training batch will be rotated by up to ±10° and shifted by up to ±1 pixels"))
        #expect(h.failure("augment rotate=200") == "rotate must be ≤ 180, got 200")
        #expect(h.failure("augment") == "say how much: augment rotate=15 shift=2 (or augment off)")
        try h.run("train epochs=8 batch=16")
        #expect(try h.run("evaluate").contains("accuracy 100.00%"))
        #expect(try h.run("augment off") == "Augmentation off: training images are used as they are.")
        #expect(h.session.state.augmentation == nil)
    }
}
