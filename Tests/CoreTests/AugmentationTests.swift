@testable import Core
import Testing

@Suite struct AugmentationTests {
    /// A 5×5 image with a single bright pixel at (row, column).
    func dot(_ row: Int, _ column: Int) -> [Float] {
        (0..<25).map { $0 == row * 5 + column ? 1 : 0 }
    }

    func transformed(_ pixels: [Float], angle: Float, dx: Float, dy: Float) -> [Float] {
        var image = pixels
        var scratch = [Float](repeating: 0, count: 25)
        image.withUnsafeMutableBufferPointer {
            Augmentation.transform($0, height: 5, width: 5, angle: angle, dx: dx, dy: dy, scratch: &scratch)
        }
        return image
    }

    @Test func shiftsMovePixelsRightAndDown() {
        #expect(transformed(dot(1, 1), angle: 0, dx: 2, dy: 1) == dot(2, 3))
        #expect(transformed(dot(2, 2), angle: 0, dx: 0, dy: 0) == dot(2, 2))
        // Half a pixel spreads the dot over two neighbours (bilinear).
        let half = transformed(dot(2, 2), angle: 0, dx: 0.5, dy: 0)
        #expect(half[12] == 0.5 && half[13] == 0.5)
        // What leaves the frame is gone; what comes in is background.
        #expect(transformed(dot(2, 4), angle: 0, dx: 1, dy: 0).allSatisfy { $0 == 0 })
    }

    @Test func aQuarterTurnAboutTheCentre() {
        // Counter-clockwise as seen on screen (rows grow downwards): right of centre goes to above it.
        let turned = transformed(dot(2, 4), angle: .pi / 2, dx: 0, dy: 0)
        #expect(abs(turned[0 * 5 + 2] - 1) < 1e-5)
        #expect(abs(turned.reduce(0, +) - 1) < 1e-5)
    }

    @Test func batchesAreAugmentedReproduciblyAndWithinBounds() {
        let batch = Tensor(shape: [4, 1, 5, 5], scalars: (0..<4).flatMap { _ in dot(2, 2) })
        var a = batch, b = batch, c = batch
        let augmentation = Augmentation(rotation: 20, shift: 1)
        augmentation.apply(to: &a, random: RandomSource(seed: 1))
        augmentation.apply(to: &b, random: RandomSource(seed: 1))
        augmentation.apply(to: &c, random: RandomSource(seed: 2))
        #expect(a == b)
        #expect(a != c)
        #expect(a != batch)
        // The centre dot moves at most one pixel: nothing lands on the border.
        for n in 0..<4 {
            let image = Array(a.scalars[(n * 25)..<((n + 1) * 25)])
            #expect(image.enumerated().allSatisfy { index, value in value == 0 || (1...3).contains(index / 5) && (1...3).contains(index % 5) })
        }
        var untouched = batch
        Augmentation().apply(to: &untouched, random: RandomSource(seed: 1))
        #expect(untouched == batch)
    }

    @Test func trainingWithAugmentationIsSeededAndNeedsImages() throws {
        func run() throws -> [Float] {
            let random = RandomSource(seed: 5)
            let model = try Sequential(inputShape: [1, 5, 5], layers: [Flatten(), Dense(25, 2, random: random), LogSoftmax()])
            let trainer = Trainer(model: model, loss: NLLLoss(), optimizer: SGD(learningRate: 0.1), random: random)
            let data = LabeledData(inputs: Tensor(shape: [4, 1, 5, 5], scalars: (0..<4).flatMap { dot($0, $0) }),
                                   labels: [0, 1, 0, 1], classCount: 2)
            _ = try trainer.fit(data, epochs: 2, batchSize: 2, augmentation: Augmentation(rotation: 10, shift: 1))
            return model.parameterValues().flatMap(\.scalars)
        }
        #expect(try run() == run())
        let random = RandomSource(seed: 5)
        let flat = try Sequential(inputShape: [4], layers: [Dense(4, 2, random: random), LogSoftmax()])
        let trainer = Trainer(model: flat, loss: NLLLoss(), optimizer: SGD(learningRate: 0.1), random: random)
        #expect(throws: TrainingError.incompatibleData("augmentation needs images (N×C×H×W), the data is 32×4")) {
            try trainer.fit(TrainingTests.blobs(32, seed: 1), epochs: 1, batchSize: 8, augmentation: Augmentation(rotation: 5))
        }
    }
}
