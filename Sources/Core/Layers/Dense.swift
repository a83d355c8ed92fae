/// y = x·Wᵀ + b, with W stored [out, in] as PyTorch's `Linear` does (so saved weights load there).
///
///     Dense(784 => 128)  # 100,480 parameters
public final class Dense: Layer, Multiplying {
    public let inputSize: Int
    public let outputSize: Int
    public let weight: Parameter   // [out, in]
    public let bias: Parameter     // [out]
    public let initializer: Initializer
    private var input = Tensor.empty   // [N, in], kept for dW
    public var precision = Precision.float32

    public init(_ inputSize: Int, _ outputSize: Int, initializer: Initializer = .pytorch, random: RandomSource) {
        precondition(inputSize > 0 && outputSize > 0, "Dense needs positive sizes")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.initializer = initializer
        let fans = (fanIn: inputSize, fanOut: outputSize)
        weight = Parameter(name: "weight",
                           value: initializer.weights(shape: [outputSize, inputSize], fans: fans, random: random),
                           decays: true)
        bias = Parameter(name: "bias", value: initializer.biases(count: outputSize, fanIn: inputSize, random: random),
                         decays: false)
    }

    public var kind: String { "Dense" }
    public var parameters: [Parameter] { [weight, bias] }
    public var description: String { "Dense(\(inputSize) => \(outputSize))" }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape == [inputSize] else {
            throw inputShape.count > 1
                ? ShapeError("Dense(\(inputSize) => \(outputSize)) expects \(inputSize) features per sample, got \(formatShape(inputShape)) (add a flatten layer first)")
                : ShapeError("Dense(\(inputSize) => \(outputSize)) expects \(inputSize) features per sample, got \(formatShape(inputShape))")
        }
        return [outputSize]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let n = x.batchSize
        precondition(x.featuresPerSample == inputSize, "Dense(\(inputSize) => \(outputSize)) got \(x.shape)")
        input = x
        var y = Tensor(uninitializedShape: [n, outputSize])
        y.scalars.withUnsafeMutableBufferPointer { y in
            bias.value.scalars.withUnsafeBufferPointer { b in
                for row in 0..<n { (y.baseAddress! + row * outputSize).update(from: b.baseAddress!, count: outputSize) }
            }
            x.scalars.withUnsafeBufferPointer { x in
                weight.value.scalars.withUnsafeBufferPointer { w in
                    // y[N,out] += x[N,in] · Wᵀ[in,out]
                    BLAS.gemm(x.baseAddress!, w.baseAddress!, transposeB: true, y.baseAddress!,
                              m: n, n: outputSize, k: inputSize, beta: 1, precision: precision)
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        let n = dy.batchSize
        dy.scalars.withUnsafeBufferPointer { dy in
            input.scalars.withUnsafeBufferPointer { x in
                weight.gradient.scalars.withUnsafeMutableBufferPointer { dw in
                    // dW[out,in] += dyᵀ[out,N] · x[N,in]
                    BLAS.gemm(dy.baseAddress!, transposeA: true, x.baseAddress!, dw.baseAddress!,
                              m: outputSize, n: inputSize, k: n, beta: 1, precision: precision)
                }
            }
            bias.gradient.scalars.withUnsafeMutableBufferPointer { db in
                // db[out] += Σ_rows dy[N,out]
                for row in 0..<n {
                    let offset = row * outputSize
                    for j in 0..<outputSize { db[j] += dy[offset + j] }
                }
            }
        }
        guard needsInputGradient else { return .empty }
        var dx = Tensor(uninitializedShape: input.shape)
        dy.scalars.withUnsafeBufferPointer { dy in
            weight.value.scalars.withUnsafeBufferPointer { w in
                dx.scalars.withUnsafeMutableBufferPointer { dx in
                    // dx[N,in] = dy[N,out] · W[out,in]
                    BLAS.gemm(dy.baseAddress!, w.baseAddress!, dx.baseAddress!, m: n, n: inputSize, k: outputSize, precision: precision)
                }
            }
        }
        return dx
    }
}
