import Core
import Foundation
import TestSupport
import Testing
@testable import Notebook

@Suite struct ModelFileTests {
    static let cnn = ["load idx .", "normalize", "split validation=0.2", "build input 6x6x1", "add conv2d 4 kernel=3 activation=relu",
                      "add maxpool 2", "add flatten", "add dropout 0.3", "add dense 3 activation=softmax"]

    @Test func savedAndLoadedTheModelIsTheSame() throws {
        let h = try SessionHarness()
        for line in Self.cnn + ["compile optimizer=adam", "train epochs=2 batch=8"] { try h.run(line) }
        let before = try h.run("evaluate")
        #expect(try h.run("save model m.safetensors").hasPrefix("Saved the model to m.safetensors: 91 parameters in 4 tensors."))
        let file = try SafeTensors.read(h.directory.path + "/m.safetensors")
        // PyTorch's names: the convolution's ReLU is a module of its own, so the dense layer is 5.
        #expect(file.tensors.map(\.name) == ["0.weight", "0.bias", "5.weight", "5.bias"])
        #expect(file.metadata["compile"] == "compile optimizer=adam lr=0.001 beta1=0.9 beta2=0.999 epsilon=1e-07 weight-decay=0 loss=crossentropy")
        #expect(file.metadata["preprocessing"] == #"{"mean":null,"normalization":"scale","one_hot":false,"std":null}"#
                || file.metadata["preprocessing"] == #"{"normalization":"scale","one_hot":false}"#)

        let fresh = try SessionHarness(directory: h.directory)
        try fresh.run("load idx .", "normalize", "split validation=0.2")
        let loaded = try fresh.run("load model m.safetensors")
        #expect(loaded.contains("conv2d (Conv2D)") && loaded.contains("trained 2 epochs; compiled: Adam"), "\(loaded)")
        #expect(try fresh.run("evaluate") == before, "exactly the accuracy it had when saved")
        #expect(fresh.session.model!.parameterValues() == h.session.model!.parameterValues())
        #expect(fresh.session.history.map(\.loss) == h.session.history.map(\.loss))
        #expect(try fresh.run("summary") == (try h.run("summary")))
        #expect(try fresh.run("plot loss").contains("Loss per epoch"))
        #expect(try fresh.run("train epochs=1 batch=8").contains("Epoch 1/1"))
    }

    /// `compile precision=bf16` sets every layer's products to bfloat16; a model file keeps it in
    /// its compile line, so the loaded model trains and evaluates as the saved one did; a compile
    /// that fails leaves the precision as it was, and one without the option goes back to float32.
    @Test func precisionTravelsWithTheCompileLine() throws {
        let h = try SessionHarness()
        for line in Self.cnn { try h.run(line) }
        let compiled = try h.run("compile optimizer=adam precision=bf16")
        #expect(compiled.contains("products in bfloat16"), "\(compiled)")
        let model = try #require(h.session.model)
        #expect(model.precision == .bfloat16)
        #expect(model.layers.compactMap { ($0 as? any Multiplying)?.precision } == [.bfloat16, .bfloat16])
        #expect(h.failure("compile optimizer=adam precision=half")?.hasPrefix("precision can't be 'half'") == true)
        #expect(h.failure("compile optimizer=sgd momentum=2 precision=float32") != nil)
        #expect(model.precision == .bfloat16, "a failed compile changes nothing")
        try h.run("train epochs=1 batch=8", "save model m.safetensors")
        #expect(try SafeTensors.read(h.directory.path + "/m.safetensors").metadata["compile"]?.hasSuffix(" loss=crossentropy precision=bfloat16") == true)

        let fresh = try SessionHarness(directory: h.directory)
        try fresh.run("load idx .", "normalize", "split validation=0.2", "load model m.safetensors")
        #expect(fresh.session.model?.precision == .bfloat16)
        #expect(try fresh.run("evaluate") == (try h.run("evaluate")))
        try h.run("compile optimizer=adam")
        #expect(model.precision == .float32)
        #expect(try h.run("evaluate") != (try fresh.run("evaluate")), "float32's products give other digits")
    }

    @Test func loadedBeforeTheDataIsPreparedItSaysWhatToRun() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build mlp 36-8-3", "compile", "train epochs=1 batch=16", "save model m.safetensors")
        let fresh = try SessionHarness(directory: h.directory)
        try fresh.run("load idx .")
        #expect(try fresh.run("load model m.safetensors")
            .contains("The model was trained on pixels scaled to [0, 1], but the data here has raw pixels, 0 to 255: run: normalize scale."))
        let other = try SessionHarness(directory: h.directory)
        try other.run("load model m.safetensors")
        #expect(try other.run("load idx .").contains("The loaded model was trained on pixels scaled to [0, 1]: run normalize scale before evaluating it."))
    }

    @Test func saveRefusesWhatItShouldNot() throws {
        let h = try SessionHarness()
        #expect(h.failure("save model m.safetensors") == "no model yet — try: build mlp 784-128-64-10")
        try h.run("load idx .", "build mlp 36-8-3")
        #expect(h.failure("save model") == "say where: save model caderno-test-mlp-36-8-3.safetensors"
                || h.failure("save model")?.hasPrefix("say where: save model ") == true)
        #expect(h.failure("save model m.bin") == "a model file ends in .safetensors, e.g. m.safetensors")
        #expect(h.failure("save model m.safetensors include=optimizer")?.hasPrefix("the model is not compiled, so there is no optimizer state to save") == true)
        let notes = h.directory.write("notes.safetensors", Data("my notes".utf8))
        #expect(h.failure("save model notes.safetensors") == "notes.safetensors exists and is not a safetensors file: choose another name, or add force=true to replace it")
        #expect(try String(contentsOfFile: notes, encoding: .utf8) == "my notes")
        try h.run("save model notes.safetensors force=true")
        try h.run("save model notes.safetensors")   // a safetensors file now: replaced without asking
        #expect(try SafeTensors.read(notes).tensors.count == 4)
    }

    @Test func loadRefusesFilesThatContradictThemselves() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "build mlp 36-8-3", "save model good.safetensors")
        let good = try SafeTensors.read(h.directory.path + "/good.safetensors")
        func write(_ name: String, _ change: (inout SafeTensors) -> Void) -> String {
            var file = good
            change(&file)
            h.directory.write(name, file.encoded())
            return name
        }
        let wrongShape = write("shape.safetensors") { $0.tensors[0].value = Tensor(zeros: [8, 35]) }
        #expect(h.failure("load model \(wrongShape)")?.hasSuffix("shape.safetensors, tensor '0.weight': its shape is [8, 35], but the description makes it [8, 36]") == true)
        let missing = write("missing.safetensors") { $0.tensors.removeLast() }
        #expect(h.failure("load model \(missing)")?.hasSuffix("tensor '2.bias': the description needs this tensor, and the file has none") == true)
        let extra = write("extra.safetensors") { $0.tensors.append(("9.weight", Tensor(zeros: [1]))) }
        #expect(h.failure("load model \(extra)")?.hasSuffix("tensor '9.weight': the model description has no place for this tensor") == true)
        let unknown = write("unknown.safetensors") { $0.metadata["model"] = #"{"input":[36],"layers":[{"kind":"lstm","options":{}}]}"# }
        #expect(h.failure("load model \(unknown)")?.contains("its model description does not build: 'layer' can't be 'lstm'") == true)
        let bare = write("bare.safetensors") { $0.metadata = [:] }
        #expect(h.failure("load model \(bare)")?.hasSuffix("it has no model description ('model' in __metadata__): Caderno saves one; this file holds weights alone") == true)
        #expect(h.failure("load model none.safetensors")?.hasSuffix("none.safetensors: no such file") == true)
        #expect(h.session.model?.layers.count == 4, "a failed load leaves the model as it was")
    }
}

extension BinaryTests {
@Suite struct ModelFileProcessTests {
    /// Training 2 epochs gives, bit for bit, the weights of training 1, saving with the optimizer,
    /// loading in a new process and training 1 more — for SGD with momentum and for Adam, dropout included.
    @Test(arguments: ["compile optimizer=sgd lr=0.05 momentum=0.9", "compile optimizer=adam"])
    func trainingContinuesExactlyInANewProcess(_ compile: String) throws {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory)
        let setUp = ModelFileTests.cnn.joined(separator: "\n") + "\n" + compile + "\n"
        var (status, _, errors) = try runPiped([], input: setUp + "train epochs=2 batch=8\nsave model straight.safetensors\n", directory: directory.path)
        #expect(status == 0, "\(errors)")
        (status, _, errors) = try runPiped([], input: setUp + "train epochs=1 batch=8\nsave model half.safetensors include=optimizer\n", directory: directory.path)
        #expect(status == 0, "\(errors)")
        (status, _, errors) = try runPiped([], input: "load idx .\nnormalize\nsplit validation=0.2\nload model half.safetensors\ntrain epochs=1 batch=8\nsave model resumed.safetensors\n",
                                           directory: directory.path)
        #expect(status == 0, "\(errors)")
        let straight = try SafeTensors.read(directory.path + "/straight.safetensors")
        let resumed = try SafeTensors.read(directory.path + "/resumed.safetensors")
        #expect(straight.tensors.map(\.name) == resumed.tensors.map(\.name))
        for (a, b) in zip(straight.tensors, resumed.tensors) { #expect(a.value.scalars == b.value.scalars, "\(a.name)") }
        // A control: without the optimizer's state the same steps land elsewhere.
        (status, _, _) = try runPiped([], input: setUp + "train epochs=1 batch=8\nsave model plain.safetensors\n", directory: directory.path)
        (status, _, errors) = try runPiped([], input: "load idx .\nnormalize\nsplit validation=0.2\nload model plain.safetensors\ntrain epochs=1 batch=8\nsave model other.safetensors\n",
                                           directory: directory.path)
        #expect(status == 0, "\(errors)")
        #expect(try SafeTensors.read(directory.path + "/other.safetensors").tensors[0].value != straight.tensors[0].value)
    }

    /// A save killed at any moment leaves the previous file whole.
    @Test func aKilledSaveLeavesThePreviousFile() throws {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory)
        let path = directory.path + "/m.safetensors"
        _ = try runPiped([], input: "load idx .\nbuild mlp 36-512-512-3\nsave model m.safetensors\n", directory: directory.path)
        let random = RandomSource(seed: 9)
        for round in 0..<12 {
            let saves = (0..<40).map { _ in "save model m.safetensors" }.joined(separator: "\n")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: cadernoBinary)
            process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try launch(process)
            input.fileHandleForWriting.write(Data("load idx .\nseed \(round)\nbuild mlp 36-512-512-3\n\(saves)\n".utf8))
            usleep(useconds_t(50_000 + random.nextIndex(below: 400_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let file = try SafeTensors.read(path)   // whole: the old one or a new one
            #expect(file.tensors.count == 6, "round \(round)")
        }
    }
}
}
