@testable import Core
import Testing

/// Central finite differences in Double around Float computations: for a scalar objective
/// L(x) = Σ y(x) ⊙ r with a fixed random r, the analytic gradient is backward(r).
enum GradientCheck {
    static let step: Float = 1e-2

    /// Numeric ∂L/∂x for every element of `x`, where `objective` evaluates L at a perturbed copy.
    static func numeric(_ x: Tensor, _ objective: (Tensor) -> Double) -> [Double] {
        (0..<x.count).map { i in
            var plus = x, minus = x
            plus.scalars[i] += step
            minus.scalars[i] -= step
            return (objective(plus) - objective(minus)) / Double(2 * step)
        }
    }

    /// Largest |a − n| / max(1, |a|, |n|) over the elements.
    static func maxRelativeError(_ analytic: [Float], _ numeric: [Double]) -> Double {
        zip(analytic, numeric).map { a, n in abs(Double(a) - n) / max(1, abs(Double(a)), abs(n)) }.max() ?? 0
    }

    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.scalars, b.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    static func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        let random = RandomSource(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in random.nextGaussian() * scale })
    }

    /// Checks the input gradient of `make()`'s layer (a fresh layer per evaluation, so stateful
    /// layers such as dropout draw the same mask) on input `x`.
    static func checkInputGradient(_ make: () -> any Layer, _ x: Tensor, tolerance: Double = 2e-3,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        let layer = make()
        let y = layer.forward(x, training: true)
        let r = randomTensor(y.shape, seed: 99)
        let analytic = layer.backward(r)
        let numeric = numeric(x) { dot(make().forward($0, training: true), r) }
        #expect(analytic.shape == x.shape, sourceLocation: sourceLocation)
        #expect(maxRelativeError(analytic.scalars, numeric) < tolerance, sourceLocation: sourceLocation)
    }

    /// Checks a layer with parameters: the gradient of L = Σ layer(x) ⊙ r with respect to the
    /// input and to every parameter, each against finite differences.
    static func checkLayerGradients(_ layer: any Layer, _ x: Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
        let y = layer.forward(x, training: true)
        let r = randomTensor(y.shape, seed: 3)
        for parameter in layer.parameters { parameter.zeroGradient() }
        let dx = layer.backward(r)
        let numericInput = numeric(x) { dot(layer.forward($0, training: true), r) }
        #expect(maxRelativeError(dx.scalars, numericInput) < 2e-3, "input", sourceLocation: sourceLocation)
        for parameter in layer.parameters {
            let original = parameter.value
            let numeric = numeric(original) { perturbed in
                parameter.value = perturbed
                defer { parameter.value = original }
                return dot(layer.forward(x, training: true), r)
            }
            #expect(maxRelativeError(parameter.gradient.scalars, numeric) < 2e-3, "\(parameter.name)", sourceLocation: sourceLocation)
        }
    }
}

@Suite("Layer gradients against finite differences")
struct LayerGradientTests {
    let x = GradientCheck.randomTensor([4, 5], seed: 1)

    @Test func denseInputWeightAndBias() {
        GradientCheck.checkLayerGradients(Dense(5, 3, initializer: .glorotUniform, random: RandomSource(seed: 2)), x)
    }

    @Test func denseAccumulatesGradientsAndCanSkipInputGradient() {
        let layer = Dense(5, 3, random: RandomSource(seed: 2))
        let r = GradientCheck.randomTensor([4, 3], seed: 3)
        _ = layer.forward(x, training: true)
        _ = layer.backward(r)
        let once = layer.weight.gradient
        let skipped = layer.backward(r, needsInputGradient: false)
        #expect(skipped.count == 0)
        #expect(zip(layer.weight.gradient.scalars, once.scalars).allSatisfy { abs($0 - 2 * $1) < 1e-5 })
    }

    @Test func reluAwayFromTheKink() {
        // Keep inputs off 0, where ReLU has no derivative and differences straddle the kink.
        let away = Tensor(shape: x.shape, scalars: x.scalars.map { $0 + ($0 >= 0 ? 0.1 : -0.1) })
        GradientCheck.checkInputGradient({ ReLU() }, away)
    }

    @Test func leakyReLUAwayFromTheKink() {
        let away = Tensor(shape: x.shape, scalars: x.scalars.map { $0 + ($0 >= 0 ? 0.1 : -0.1) })
        GradientCheck.checkInputGradient({ LeakyReLU(slope: 0.2) }, away)
        #expect(LeakyReLU(slope: 0.2).forward(Tensor(shape: [1, 2], scalars: [-1, 3]), training: true).scalars == [-0.2, 3])
    }

    @Test func sigmoid() { GradientCheck.checkInputGradient({ Sigmoid() }, x) }
    @Test func tanh() { GradientCheck.checkInputGradient({ Tanh() }, x) }
    @Test func softmax() { GradientCheck.checkInputGradient({ Softmax() }, x) }
    @Test func logSoftmax() { GradientCheck.checkInputGradient({ LogSoftmax() }, x) }

    @Test func dropoutWithItsMask() {
        GradientCheck.checkInputGradient({ Dropout(0.3, random: RandomSource(seed: 5)) }, x)
    }

    @Test func dropoutIsInvertedAndOffAtInference() {
        let layer = Dropout(0.25, random: RandomSource(seed: 5))
        let ones = Tensor(repeating: 1, shape: [100, 100])
        #expect(layer.forward(ones, training: false) == ones)
        let dropped = layer.forward(ones, training: true).scalars
        #expect(Set(dropped) == [0, 1 / 0.75])
        let kept = Double(dropped.filter { $0 > 0 }.count) / Double(dropped.count)
        #expect(abs(kept - 0.75) < 0.02)
    }

    @Test func softmaxRowsSumToOneAndSurviveLargeLogits() {
        let logits = Tensor(shape: [2, 3], scalars: [1000, 1001, 1002, -1000, 0, 1000])
        let p = Softmax().forward(logits, training: false)
        #expect(p.scalars.allSatisfy { $0.isFinite })
        #expect(abs(p.scalars[0..<3].reduce(0, +) - 1) < 1e-6)
        let logp = LogSoftmax().forward(logits, training: false)
        #expect(abs(logp.scalars[2] - (-0.40760596)) < 1e-4)   // log(1 / (1 + e⁻¹ + e⁻²)), at Float's ulp near 1000
        #expect(logp.scalars[3] == -2000)
    }
}

@Suite("Loss gradients against finite differences")
struct LossGradientTests {
    let labels = [2, 0, 1, 2]
    var oneHot: Tensor { LabeledData.oneHotRows(labels, classCount: 3) }

    func check(_ loss: any Loss, _ output: Tensor, _ targets: Targets, sourceLocation: SourceLocation = #_sourceLocation) {
        let (value, gradient) = loss.lossAndGradient(output, targets)
        let numeric = GradientCheck.numeric(output) { Double(loss.lossAndGradient($0, targets).loss) }
        #expect(GradientCheck.maxRelativeError(gradient.scalars, numeric) < 2e-3, sourceLocation: sourceLocation)
        // The summed loss used in evaluation agrees with the batch mean.
        #expect(abs(loss.totalLoss(output, targets) / Double(output.batchSize) - Double(value)) < 1e-5,
                sourceLocation: sourceLocation)
    }

    @Test func nll() {
        let logp = LogSoftmax().forward(GradientCheck.randomTensor([4, 3], seed: 7), training: false)
        check(NLLLoss(), logp, .classes(labels))
        check(NLLLoss(), logp, .oneHot(oneHot))
    }

    @Test func softmaxCrossEntropy() {
        let logits = GradientCheck.randomTensor([4, 3], seed: 8, scale: 2)
        check(SoftmaxCrossEntropy(), logits, .classes(labels))
        check(SoftmaxCrossEntropy(), logits, .oneHot(oneHot))
    }

    @Test func crossEntropyOnProbabilities() {
        let p = Softmax().forward(GradientCheck.randomTensor([4, 3], seed: 9), training: false)
        check(CrossEntropy(), p, .classes(labels))
        check(CrossEntropy(), p, .oneHot(oneHot))
    }

    @Test func handComputedValues() {
        // Uniform logits over 3 classes: the loss is log 3 whatever the label.
        let uniform = Tensor(zeros: [2, 3])
        #expect(abs(SoftmaxCrossEntropy().lossAndGradient(uniform, .classes([0, 2])).loss - 1.0986123) < 1e-6)
        // NLL picks −logp of the true class: mean(0.5, 2.0).
        let logp = Tensor(shape: [2, 2], scalars: [-0.5, -1, -3, -2])
        #expect(NLLLoss().lossAndGradient(logp, .classes([0, 1])).loss == 1.25)
        // Keras clips probabilities to [1e-7, 1 − 1e-7]: a zero probability costs −log(1e-7).
        let p = Tensor(shape: [1, 2], scalars: [0, 1])
        #expect(abs(CrossEntropy().lossAndGradient(p, .classes([0])).loss - 16.118095) < 1e-4)
    }

    @Test func softmaxThenCrossEntropyTrainsThroughTheFusedLoss() throws {
        let random = RandomSource(seed: 4)
        let model = try Sequential(inputShape: [5], layers: [Dense(5, 3, random: random), Softmax()])
        let fused = model.trainingPath(for: CrossEntropy())
        #expect(fused.layerCount == 1)
        #expect(fused.loss is SoftmaxCrossEntropy)
        let plainPath = model.trainingPath(for: NLLLoss())
        #expect(plainPath.layerCount == 2 && plainPath.loss is NLLLoss)

        // Same loss either way, and the fused gradient equals the chain through Softmax.
        let x = GradientCheck.randomTensor([4, 5], seed: 5)
        let logits = model.forward(x, training: true, layerCount: 1)
        let probabilities = model.forward(x, training: true)
        let plain = CrossEntropy().lossAndGradient(probabilities, .classes(labels))
        let chained = model.layers[1].backward(plain.gradient)
        let direct = SoftmaxCrossEntropy().lossAndGradient(logits, .classes(labels))
        #expect(abs(plain.loss - direct.loss) < 1e-5)
        #expect(GradientCheck.maxRelativeError(direct.gradient.scalars, chained.scalars.map(Double.init)) < 1e-4)
    }
}

@Suite("Convolution and pooling gradients against finite differences")
struct ConvolutionGradientTests {
    /// Input, weight and bias gradients of one convolution on input [N, C, H, W].
    func check(channels: Int, filters: Int, kernel: Int, padding: Padding, height: Int, width: Int,
               activation: Activation? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let layer = Conv2D(channels, filters, kernelSize: kernel, padding: padding, activation: activation, random: RandomSource(seed: 2))
        let x = GradientCheck.randomTensor([2, channels, height, width], seed: 1)
        let outputShape = try layer.outputShape(for: [channels, height, width])
        #expect(layer.forward(x, training: true).shape == [2] + outputShape, sourceLocation: sourceLocation)
        GradientCheck.checkLayerGradients(layer, x, sourceLocation: sourceLocation)
    }

    @Test func validPadding() throws { try check(channels: 1, filters: 3, kernel: 3, padding: .valid, height: 6, width: 5) }
    @Test func samePaddingSeveralChannels() throws { try check(channels: 2, filters: 3, kernel: 3, padding: .same, height: 5, width: 4) }
    @Test func samePaddingEvenKernel() throws { try check(channels: 2, filters: 2, kernel: 2, padding: .same, height: 3, width: 5) }
    @Test func oddSizesBigKernel() throws { try check(channels: 3, filters: 2, kernel: 5, padding: .valid, height: 7, width: 5) }
    @Test func withSigmoidInside() throws { try check(channels: 2, filters: 2, kernel: 3, padding: .same, height: 4, width: 4, activation: .sigmoid) }
    // Small maps and many filters take the one-product-per-batch path; the others, one per image.
    @Test func batchProductPathWithTanh() throws { try check(channels: 2, filters: 4, kernel: 3, padding: .valid, height: 4, width: 4, activation: .tanh) }
    @Test func withTanhInside() throws { try check(channels: 1, filters: 3, kernel: 2, padding: .valid, height: 5, width: 4, activation: .tanh) }

    @Test func reluInsideEqualsAReLULayerAfter() {
        let x = GradientCheck.randomTensor([3, 2, 6, 5], seed: 1)
        let fused = Conv2D(2, 4, kernelSize: 3, padding: .same, activation: .relu, random: RandomSource(seed: 7))
        let plain = Conv2D(2, 4, kernelSize: 3, padding: .same, random: RandomSource(seed: 7))
        let relu = ReLU()
        let y = fused.forward(x, training: true)
        #expect(y == relu.forward(plain.forward(x, training: true), training: true))
        let r = GradientCheck.randomTensor(y.shape, seed: 2)
        #expect(fused.backward(r) == plain.backward(relu.backward(r)))
        #expect(fused.weight.gradient == plain.weight.gradient)
        #expect(fused.bias.gradient == plain.bias.gradient)
        #expect(fused.description == "Conv2D(2 => 4, 3×3, same, relu)")
    }

    @Test func convolutionMatchesTheDefinition() {
        // One 3×3 image, one 2×2 kernel of ones, bias 0.5: each output is its window's sum + 0.5.
        let layer = Conv2D(1, 1, kernelSize: 2, random: RandomSource(seed: 1))
        layer.weight.value = Tensor(repeating: 1, shape: [1, 1, 2, 2])
        layer.bias.value = Tensor(shape: [1], scalars: [0.5])
        let x = Tensor(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(layer.forward(x, training: false).scalars == [12.5, 16.5, 24.5, 28.5])
        // 'same' with an even kernel pads at the bottom and right (TensorFlow's rule).
        let same = Conv2D(1, 1, kernelSize: 2, padding: .same, random: RandomSource(seed: 1))
        same.weight.value = Tensor(repeating: 1, shape: [1, 1, 2, 2])
        same.bias.value = Tensor(zeros: [1])
        #expect(same.forward(x, training: false).scalars == [12, 16, 9, 24, 28, 15, 15, 17, 9])
    }

    @Test func maxPoolGradientGoesToEachMaximum() {
        // Distinct values, so no window has a tie and finite differences stay inside one branch.
        let random = RandomSource(seed: 4)
        let values = random.permutation(2 * 3 * 5 * 5).map { Float($0) * 0.1 }
        let x = Tensor(shape: [2, 3, 5, 5], scalars: values)
        GradientCheck.checkInputGradient({ MaxPool2D(2) }, x)   // 5×5: windows leave an edge, scattered
        let even = Tensor(shape: [2, 3, 4, 6], scalars: Array(values.prefix(144)))
        GradientCheck.checkInputGradient({ MaxPool2D(2) }, even)   // 4×6: windows tile the image
        GradientCheck.checkInputGradient({ MaxPool2D(3, stride: 1) }, x)   // overlapping windows
        let pooled = MaxPool2D(2).forward(Tensor(shape: [1, 1, 2, 4], scalars: [1, 5, 2, 0, 3, 4, 8, 7]), training: false)
        #expect(pooled.scalars == [5, 8])
        #expect(pooled.shape == [1, 1, 1, 2])
    }

    @Test func maxPoolTiesGoToTheFirstPixel() {
        // After a ReLU whole windows are zero: the gradient goes to the window's first pixel, row by
        // row, as it always has (the recorded notebooks were trained so).
        let pool = MaxPool2D(2)
        _ = pool.forward(Tensor(shape: [1, 1, 2, 6], scalars: [0, 0, 3, 1, 1, 2, 0, 0, 3, 3, 2, 2]), training: true)
        let dx = pool.backward(Tensor(shape: [1, 1, 1, 3], scalars: [1, 2, 4]))
        #expect(dx.scalars == [1, 0, 2, 0, 0, 4, 0, 0, 0, 0, 0, 0])
    }

    @Test func shapeErrorsNameTheLayerAndBothShapes() throws {
        let model = try Sequential(inputShape: [1, 28, 28])
        try model.add(Conv2D(1, 32, kernelSize: 3, random: RandomSource(seed: 1)))
        #expect(model.outputShape == [32, 26, 26])
        #expect(throws: ShapeError("layer 2 (Conv2D): Conv2D(16 => 8, 3×3) expects 16 channels, got 32 (input 26×26×32)")) {
            try model.add(Conv2D(16, 8, kernelSize: 3, random: RandomSource(seed: 1)))
        }
        #expect(throws: ShapeError("layer 2 (MaxPooling2D): MaxPool2D(30×30) needs images of at least 30×30, got 26×26")) {
            try model.add(MaxPool2D(30))
        }
        #expect(throws: ShapeError.self) { try Sequential(inputShape: [784], layers: [Conv2D(1, 2, kernelSize: 3, random: RandomSource(seed: 1))]) }
    }
}
