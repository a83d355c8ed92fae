/// How a convolution treats the border.
public enum Padding: String, Sendable, CaseIterable {
    /// No padding: the output shrinks by kernel − 1.
    case valid
    /// Zeros around the input so the output keeps its size (stride 1); for an even kernel the
    /// extra row and column go at the bottom and right, as in TensorFlow/Keras.
    case same
}

/// A 2-D convolution, stride 1: y[n, f] = b[f] + Σ_c x[n, c] ⋆ W[f, c]. Weights are stored
/// [filters, channels, k, k] as PyTorch's `Conv2d`.
///
/// Computed as one matrix product for the whole batch: the input's k×k patches are unrolled into
/// columns (im2col, [C·k·k, N·Ho·Wo]), multiplied by W seen as [F, C·k·k], and the result
/// ([F, N·Ho·Wo]) is copied back to N×F×Ho×Wo in contiguous blocks.
///
///     Conv2D(1 => 32, 3×3)  # 320 parameters
public final class Conv2D: Layer {
    public let inputChannels: Int
    public let filters: Int
    public let kernelSize: Int
    public let padding: Padding
    public let weight: Parameter   // [F, C, k, k]
    public let bias: Parameter     // [F]
    private var columns = Tensor.empty   // [C·k·k, N·Ho·Wo], kept for dW
    private var geometry = Geometry(batch: 0, channels: 0, height: 0, width: 0, kernel: 1, padding: .valid)

    public init(_ inputChannels: Int, _ filters: Int, kernelSize: Int, padding: Padding = .valid,
                initializer: Initializer = .glorotUniform, random: RandomSource) {
        precondition(inputChannels > 0 && filters > 0 && kernelSize > 0, "Conv2D needs positive sizes")
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelSize = kernelSize
        self.padding = padding
        let area = kernelSize * kernelSize
        weight = Parameter(name: "weight",
                           value: initializer.weights(shape: [filters, inputChannels, kernelSize, kernelSize],
                                                      fans: (inputChannels * area, filters * area), random: random),
                           decays: true)
        bias = Parameter(name: "bias", value: initializer.biases(count: filters, fanIn: inputChannels * area, random: random),
                         decays: false)
    }

    public var kind: String { "Conv2D" }
    public var parameters: [Parameter] { [weight, bias] }
    public var description: String {
        "Conv2D(\(inputChannels) => \(filters), \(kernelSize)×\(kernelSize)\(padding == .same ? ", same" : ""))"
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3 else {
            throw ShapeError("\(description) takes images (height×width×channels), got \(formatShape(inputShape)) — build input 28x28x1 first")
        }
        guard inputShape[0] == inputChannels else {
            throw ShapeError("\(description) expects \(inputChannels) channel\(inputChannels == 1 ? "" : "s"), got \(inputShape[0]) (input \(inputShape[1])×\(inputShape[2])×\(inputShape[0]))")
        }
        let g = Geometry(batch: 1, channels: inputShape[0], height: inputShape[1], width: inputShape[2], kernel: kernelSize, padding: padding)
        guard g.outputHeight > 0, g.outputWidth > 0 else {
            throw ShapeError("\(description) needs images of at least \(kernelSize)×\(kernelSize), got \(inputShape[1])×\(inputShape[2])")
        }
        return [filters, g.outputHeight, g.outputWidth]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inputChannels, "\(description) got \(x.shape)")
        geometry = Geometry(batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                            kernel: kernelSize, padding: padding)
        let g = geometry
        let patch = inputChannels * kernelSize * kernelSize
        columns = Tensor(uninitializedShape: [patch, g.columns])
        x.scalars.withUnsafeBufferPointer { x in
            columns.scalars.withUnsafeMutableBufferPointer { cols in im2col(x.baseAddress!, cols.baseAddress!, g) }
        }
        // product[F, N·Ho·Wo] = W[F, C·k·k] · columns[C·k·k, N·Ho·Wo] + b
        var product = Tensor(uninitializedShape: [filters, g.columns])
        product.scalars.withUnsafeMutableBufferPointer { p in
            bias.value.scalars.withUnsafeBufferPointer { b in
                for f in 0..<filters { (p.baseAddress! + f * g.columns).update(repeating: b[f], count: g.columns) }
            }
            weight.value.scalars.withUnsafeBufferPointer { w in
                columns.scalars.withUnsafeBufferPointer { cols in
                    BLAS.gemm(w.baseAddress!, cols.baseAddress!, p.baseAddress!, m: filters, n: g.columns, k: patch, beta: 1)
                }
            }
        }
        return swapLeadingAxes(product, outer: filters, inner: g.batch, block: g.outputArea,
                               shape: [g.batch, filters, g.outputHeight, g.outputWidth])
    }

    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        let g = geometry
        let patch = inputChannels * kernelSize * kernelSize
        // dy [N, F, Ho·Wo] → [F, N·Ho·Wo], the layout of the forward product
        let gradient = swapLeadingAxes(dy, outer: g.batch, inner: filters, block: g.outputArea, shape: [filters, g.columns])
        gradient.scalars.withUnsafeBufferPointer { d in
            bias.gradient.scalars.withUnsafeMutableBufferPointer { db in
                for f in 0..<filters {
                    var sum: Float = 0
                    let row = d.baseAddress! + f * g.columns
                    for i in 0..<g.columns { sum += row[i] }
                    db[f] += sum
                }
            }
            weight.gradient.scalars.withUnsafeMutableBufferPointer { dw in
                columns.scalars.withUnsafeBufferPointer { cols in
                    // dW[F, C·k·k] += d[F, N·Ho·Wo] · columnsᵀ
                    BLAS.gemm(d.baseAddress!, cols.baseAddress!, transposeB: true, dw.baseAddress!,
                              m: filters, n: patch, k: g.columns, beta: 1)
                }
            }
        }
        guard needsInputGradient else { return .empty }
        // dcolumns[C·k·k, N·Ho·Wo] = Wᵀ · d, then folded back onto the pixels they came from
        var dColumns = Tensor(uninitializedShape: [patch, g.columns])
        var dx = Tensor(zeros: [g.batch, g.channels, g.height, g.width])
        gradient.scalars.withUnsafeBufferPointer { d in
            weight.value.scalars.withUnsafeBufferPointer { w in
                dColumns.scalars.withUnsafeMutableBufferPointer { dc in
                    BLAS.gemm(w.baseAddress!, transposeA: true, d.baseAddress!, dc.baseAddress!,
                              m: patch, n: g.columns, k: filters)
                }
            }
        }
        dColumns.scalars.withUnsafeBufferPointer { dc in
            dx.scalars.withUnsafeMutableBufferPointer { dx in col2im(dc.baseAddress!, dx.baseAddress!, g) }
        }
        return dx
    }
}

/// Sizes of one convolution over a batch.
struct Geometry {
    let batch, channels, height, width, kernel: Int
    let padTop, padLeft: Int
    let outputHeight, outputWidth: Int

    init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int, padding: Padding) {
        (self.batch, self.channels, self.height, self.width, self.kernel) = (batch, channels, height, width, kernel)
        let total = padding == .same ? kernel - 1 : 0
        padTop = total / 2
        padLeft = total / 2
        outputHeight = height + total - kernel + 1
        outputWidth = width + total - kernel + 1
    }

    var outputArea: Int { outputHeight * outputWidth }
    var columns: Int { batch * outputArea }
}

/// columns[(c·k + i)·k + j][n·Ho·Wo + oh·Wo + ow] = x[n, c, oh + i − padTop, ow + j − padLeft], 0 outside.
/// Each output row `oh` reads one contiguous run of an input row, so the inner loop is a copy.
func im2col(_ x: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>, _ g: Geometry) {
    forEachRun(g) { column, source, count in
        if let source {
            (columns + column).update(from: x + source, count: count)
        } else {
            (columns + column).update(repeating: 0, count: count)
        }
    }
}

/// The adjoint of im2col: every column entry is added back onto the input pixel it came from.
func col2im(_ columns: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: Geometry) {
    forEachRun(g) { column, source, count in
        guard let source else { return }
        let (from, to) = (columns + column, dx + source)
        for i in 0..<count { to[i] += from[i] }
    }
}

/// Walks the column matrix in runs along `ow`: for each (c, i, j, n, oh), the stretch whose input
/// pixels lie inside the image (`source`: the input offset of its first pixel) and the stretches
/// of padding around it (`source` nil). `column` is the offset of the run in the column matrix.
@inline(__always)
private func forEachRun(_ g: Geometry, _ body: (_ column: Int, _ source: Int?, _ count: Int) -> Void) {
    var row = 0
    for c in 0..<g.channels {
        for i in 0..<g.kernel {
            for j in 0..<g.kernel {
                // Output columns ow whose input column ow + j − padLeft falls inside 0..<width.
                let first = min(max(0, g.padLeft - j), g.outputWidth)
                let last = max(first, min(g.outputWidth, g.width + g.padLeft - j))
                for n in 0..<g.batch {
                    let image = (n * g.channels + c) * g.height * g.width
                    for oh in 0..<g.outputHeight {
                        let column = row * g.columns + n * g.outputArea + oh * g.outputWidth
                        let ih = oh + i - g.padTop
                        guard ih >= 0 && ih < g.height else {
                            body(column, nil, g.outputWidth)
                            continue
                        }
                        if first > 0 { body(column, nil, first) }
                        if last > first { body(column + first, image + ih * g.width + first + j - g.padLeft, last - first) }
                        if last < g.outputWidth { body(column + last, nil, g.outputWidth - last) }
                    }
                }
                row += 1
            }
        }
    }
}

/// [outer, inner, block] → [inner, outer, block]: swaps the two leading axes, copying whole blocks.
func swapLeadingAxes(_ x: Tensor, outer: Int, inner: Int, block: Int, shape: [Int]) -> Tensor {
    var y = Tensor(uninitializedShape: shape)
    x.scalars.withUnsafeBufferPointer { x in
        y.scalars.withUnsafeMutableBufferPointer { y in
            for o in 0..<outer {
                for i in 0..<inner {
                    (y.baseAddress! + (i * outer + o) * block).update(from: x.baseAddress! + (o * inner + i) * block, count: block)
                }
            }
        }
    }
    return y
}
