@testable import Core
import Testing

/// `compile precision=bfloat16`: every product of a Dense or Conv2D layer, forward and backward,
/// multiplies its inputs rounded to bfloat16 and sums in single precision; nothing else changes.
@Suite struct PrecisionTests {
    /// Values bfloat16 holds exactly (8 significant bits), so rounding them changes nothing.
    static func representable(_ shape: [Int], seed: UInt64) -> Tensor {
        let random = RandomSource(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(random.nextIndex(below: 255) - 127) / 64 })
    }

    static func bitsDiffering(_ a: Tensor, _ b: Tensor) -> Int {
        zip(a.scalars, b.scalars).filter { $0.bitPattern != $1.bitPattern }.count
    }

    static func layers() -> [(name: String, make: () -> any Layer & Multiplying, input: [Int])] {
        [("dense", { Dense(50, 20, random: RandomSource(seed: 1)) }, [6, 50]),
         ("conv", { Conv2D(3, 16, kernelSize: 3, activation: .relu, random: RandomSource(seed: 1)) }, [4, 3, 9, 9]),
         ("conv, one product per image", { Conv2D(1, 8, kernelSize: 3, padding: .same, random: RandomSource(seed: 1)) }, [3, 1, 12, 12]),
         // 16 channels in and out at 8×8: float32 takes Winograd outside training.
         ("conv, Winograd's size", { Conv2D(16, 16, kernelSize: 3, random: RandomSource(seed: 1)) }, [2, 16, 10, 10])]
    }

    /// Forward, weight gradient and input gradient of one layer in `precision`.
    static func step(_ layer: any Layer & Multiplying, _ precision: Precision, x: Tensor, dy: (Tensor) -> Tensor,
                     training: Bool = true) -> [Tensor] {
        layer.precision = precision
        for parameter in layer.parameters { parameter.zeroGradient() }
        let y = layer.forward(x, training: training)
        guard training else { return [y] }
        let dx = layer.backward(dy(y), needsInputGradient: true)
        return [y, dx] + layer.parameters.map(\.gradient)
    }

    /// On inputs that bfloat16 holds exactly, the bfloat16 products are the float32 ones bit for
    /// bit: the same chains, and no rounding of anything but the products' inputs (the bias, the
    /// activation and the sums stay single precision).
    @Test(arguments: 0..<4) func onRepresentableInputsNothingChanges(_ index: Int) {
        let (name, make, shape) = Self.layers()[index]
        let layer = make()
        for parameter in layer.parameters { parameter.value = Self.representable(parameter.value.shape, seed: 3) }
        let x = Self.representable(shape, seed: 4)
        let dy = { (y: Tensor) in Self.representable(y.shape, seed: 5) }
        let single = Self.step(layer, .float32, x: x, dy: dy), half = Self.step(layer, .bfloat16, x: x, dy: dy)
        for (a, b) in zip(single, half) { #expect(Self.bitsDiffering(a, b) == 0, "\(name)") }
    }

    /// On other inputs the products' results differ (the layer really rounds), by what 8 bits of
    /// mantissa allow: each input within 2⁻⁸ of itself, so a sum within about 2⁻⁷ of Σ|a·b|. The
    /// bias gradient (a sum of dy, no product) differs only through the activation's derivative.
    @Test(arguments: 0..<4) func otherwiseTheyDifferByBfloat16sRounding(_ index: Int) {
        let (name, make, shape) = Self.layers()[index]
        let layer = make()
        let x = GradientCheck.randomTensor(shape, seed: 4)
        let dy = { (y: Tensor) in GradientCheck.randomTensor(y.shape, seed: 5) }
        for training in [true, false] {
            let single = Self.step(layer, .float32, x: x, dy: dy, training: training)
            let half = Self.step(layer, .bfloat16, x: x, dy: dy, training: training)
            // y, dx and dW; the bias gradient last.
            for (a, b) in zip(single.prefix(3), half.prefix(3)) {
                #expect(Self.bitsDiffering(a, b) > 0, "\(name)")
                let scale = a.scalars.map(abs).max()!
                let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()!
                #expect(worst < 0.05 * scale, "\(name): \(worst) against \(scale)")
            }
        }
    }

    @Test func winogradIsSingleOnly() {
        let layer = Conv2D(16, 16, kernelSize: 3, random: RandomSource(seed: 1))
        let g = Geometry(batch: 2, channels: 16, height: 10, width: 10, kernel: 3, padding: .valid)
        #expect(layer.usesWinograd(g, training: false))
        layer.precision = .bfloat16
        #expect(!layer.usesWinograd(g, training: false))
    }

    /// The model's precision reaches every layer with products, those added later too, and a
    /// snapshot puts it back.
    @Test func theModelsPrecisionReachesItsLayers() throws {
        let random = RandomSource(seed: 2)
        let model = try Sequential(inputShape: [1, 8, 8], layers: [Conv2D(1, 4, kernelSize: 3, random: random), Flatten()])
        let before = model.snapshot()
        model.precision = .bfloat16
        try model.add(Dense(144, 10, random: random))
        let precisions = model.layers.compactMap { ($0 as? any Multiplying)?.precision }
        #expect(precisions == [.bfloat16, .bfloat16])
        model.restore(before)
        #expect(model.precision == .float32)
        #expect((model.layers[0] as! Conv2D).precision == .float32)
        #expect(model.layers.count == 2)
    }
}
