import Core
import Foundation
import Testing
@testable import Notebook

/// Model files against the real other side: NumPy and Python's `safetensors` package read what
/// Caderno saves and compute the same predictions; Caderno reads what they write. On real MNIST.
@Suite(.serialized) struct InteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop/numpy_model.py").path

    struct Setup {
        let python: String
        let mnist: String
        let directory: TemporaryDirectory
        let session: Session
    }

    func setUp() throws -> Setup {
        let python = try #require(PythonTools.interpreter(with: "safetensors.numpy"), "no Python with numpy and safetensors: run the tests through 'make test'")
        let data = try #require(ProcessInfo.processInfo.environment["CADERNO_DATA"], "CADERNO_DATA must name the folder with mnist/ (make test sets it)")
        let directory = try TemporaryDirectory()
        let session = Session(environment: ["CADERNO_DATA": data], workingDirectory: directory.path)
        return Setup(python: python, mnist: data + "/mnist", directory: directory, session: session)
    }

    func run(_ session: Session, _ lines: String...) throws {
        for line in lines { try session.execute(line, output: RecordingSink()) }
    }

    /// Caderno's probabilities for the test images, as the evaluation commands compute them.
    func probabilities(_ session: Session) throws -> [Float] {
        let arguments = try Session.evaluate.spec.validate(try #require(try Parser.parse("evaluate")))
        return try session.predictions(.test, arguments).predictions.probabilities.scalars
    }

    func numpy(_ setup: Setup, _ file: String, images: Int) throws -> [Float] {
        let out = setup.directory.path + "/numpy.f32"
        let result = try PythonTools.run(setup.python, "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                                         Self.script, "forward", setup.directory.path + "/" + file, setup.mnist, String(images), out)
        #expect(result.status == 0, "\(result.errors)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    func compare(_ caderno: [Float], _ numpy: [Float], classes: Int = 10) {
        #expect(caderno.count == numpy.count && caderno.count == 1000 * classes)
        func argmax(_ row: ArraySlice<Float>) -> Int { row.indices.max { row[$0] < row[$1] }! - row.startIndex }
        var sameClass = 0, worst: Float = 0
        for row in 0..<min(caderno.count, numpy.count) / classes {
            let range = row * classes ..< (row + 1) * classes
            if argmax(caderno[range]) == argmax(numpy[range]) { sameClass += 1 }
            worst = max(worst, zip(caderno[range], numpy[range]).map { abs($0 - $1) }.max() ?? 0)
        }
        #expect(sameClass == 1000, "the same predicted class for every image")
        #expect(worst < 1e-5, "probabilities within 1e-5 (worst \(worst))")
    }

    @Test func numpyReadsACadernoMLP() throws {
        let setup = try setUp()
        try run(setup.session, "load mnist limit=2000 test-limit=1000", "normalize", "build mlp 784-32-10", "compile lr=0.1",
                "train epochs=1 batch=64", "save model mlp.safetensors")
        compare(try probabilities(setup.session), try numpy(setup, "mlp.safetensors", images: 1000))
    }

    @Test func numpyReadsTheKerasExampleCNN() throws {
        let setup = try setUp()
        try run(setup.session, "load mnist limit=512 test-limit=1000", "normalize", "one-hot", "build input 28x28x1",
                "add conv2d 32 kernel=3 activation=relu", "add maxpool 2", "add conv2d 64 kernel=3 activation=relu", "add maxpool 2",
                "add flatten", "add dropout 0.5", "add dense 10 activation=softmax", "compile optimizer=adam loss=categorical-crossentropy",
                "train epochs=1 batch=128", "save model cnn.safetensors")
        let file = try SafeTensors.read(setup.directory.path + "/cnn.safetensors")
        #expect(file.tensors.map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "8.weight", "8.bias"], "PyTorch's nn.Sequential indices")
        compare(try probabilities(setup.session), try numpy(setup, "cnn.safetensors", images: 1000))
    }

    @Test func cadernoReadsAFileWrittenByPython() throws {
        let setup = try setUp()
        let made = try PythonTools.run(setup.python, "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                                       Self.script, "make", setup.directory.path + "/python.safetensors")
        #expect(made.status == 0, "\(made.errors)")
        try run(setup.session, "load mnist limit=100 test-limit=1000", "normalize", "load model python.safetensors")
        #expect(setup.session.model?.layers.map(\.description) == ["Dense(784 => 16)", "relu", "Dense(16 => 10)", "softmax"])
        compare(try probabilities(setup.session), try numpy(setup, "python.safetensors", images: 1000))
    }
}
