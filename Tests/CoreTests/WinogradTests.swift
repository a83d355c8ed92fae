@testable import Core
import Testing

@Suite("Winograd's F(2×2, 3×3) against im2col's product")
struct WinogradTests {
    /// An inference pass of one layer, the weights set by seed 5, by the given algorithm.
    func infer(_ algorithm: Conv2D.Algorithm, channels: Int, filters: Int, padding: Padding, x: Tensor,
               activation: Activation? = .relu) -> Tensor {
        let layer = Conv2D(channels, filters, kernelSize: 3, padding: padding, activation: activation, random: RandomSource(seed: 5))
        layer.bias.value = GradientCheck.randomTensor([filters], seed: 8)
        layer.algorithm = algorithm
        return layer.forward(x, training: false)
    }

    /// Largest |a − b| over the largest |b|: Winograd adds in another order, so equal up to rounding.
    func difference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape)
        let scale = b.scalars.map(abs).max() ?? 1
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    @Test(arguments: [
        (channels: 3, filters: 5, padding: Padding.valid, height: 13, width: 13, batch: 3),  // odd output: tiles hang over
        (channels: 4, filters: 2, padding: .valid, height: 6, width: 9, batch: 2),
        (channels: 2, filters: 3, padding: .same, height: 14, width: 14, batch: 2),         // even output
        (channels: 3, filters: 4, padding: .same, height: 7, width: 5, batch: 4),
        (channels: 2, filters: 2, padding: .same, height: 3, width: 3, batch: 1),           // one tile
        (channels: 1, filters: 1, padding: .same, height: 40, width: 37, batch: 1),         // rows of over 16 tiles
        (channels: 2, filters: 3, padding: .valid, height: 8, width: 8, batch: 40),         // several blocks, the last short
    ])
    func equalsTheProduct(channels: Int, filters: Int, padding: Padding, height: Int, width: Int, batch: Int) {
        let x = GradientCheck.randomTensor([batch, channels, height, width], seed: 4)
        let fast = infer(.winograd, channels: channels, filters: filters, padding: padding, x: x)
        let plain = infer(.im2col, channels: channels, filters: filters, padding: padding, x: x)
        #expect(difference(fast, plain) < 1e-5)
        #expect(fast.scalars.contains { $0 > 0 })  // not all clipped by the ReLU
    }

    @Test func theSameNumbersOnOneThreadOrTwo() {
        let x = GradientCheck.randomTensor([40, 2, 8, 8], seed: 4)
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 1
        let one = infer(.winograd, channels: 2, filters: 3, padding: .valid, x: x, activation: nil)
        BLAS.threads = 2
        let two = infer(.winograd, channels: 2, filters: 3, padding: .valid, x: x, activation: nil)
        #expect(one == two)
    }

    @Test func trainingKeepsTheProduct() {
        // Training's numbers must not move (notebooks record them): the forward pass of a training
        // step is bit for bit im2col's, even where inference takes Winograd.
        let x = GradientCheck.randomTensor([2, 32, 13, 13], seed: 4)
        let automatic = Conv2D(32, 64, kernelSize: 3, activation: .relu, random: RandomSource(seed: 5))
        let plain = Conv2D(32, 64, kernelSize: 3, activation: .relu, random: RandomSource(seed: 5))
        plain.algorithm = .im2col
        #expect(automatic.forward(x, training: true) == plain.forward(x, training: true))
        #expect(automatic.forward(x, training: false) != plain.forward(x, training: false))  // Winograd: other rounding
    }

    @Test func chosenForManyChannelsAndLargeMapsOnly() {
        let random = RandomSource(seed: 1)
        func chosen(_ layer: Conv2D, _ size: Int, training: Bool = false) -> Bool {
            layer.usesWinograd(Geometry(batch: 1, channels: layer.inputChannels, height: size, width: size,
                                        kernel: layer.kernelSize, padding: layer.padding), training: training)
        }
        #expect(chosen(Conv2D(32, 64, kernelSize: 3, random: random), 13))
        #expect(!chosen(Conv2D(32, 64, kernelSize: 3, random: random), 13, training: true))
        #expect(!chosen(Conv2D(1, 32, kernelSize: 3, random: random), 28))     // a first layer
        #expect(!chosen(Conv2D(32, 64, kernelSize: 5, random: random), 13))
        #expect(!chosen(Conv2D(128, 128, kernelSize: 3, padding: .same, random: random), 3))  // a 3×3 map
    }
}
