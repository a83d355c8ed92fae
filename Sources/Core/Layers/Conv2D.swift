/// How a convolution treats the border.
public enum Padding: String, Sendable, CaseIterable {
    /// No padding: the output shrinks by kernel − 1.
    case valid
    /// Zeros around the input so the output keeps its size (stride 1); for an even kernel the
    /// extra row and column go at the bottom and right, as in TensorFlow/Keras.
    case same
}

/// A 2-D convolution, stride 1: y[n, f] = act(b[f] + Σ_c x[n, c] ⋆ W[f, c]). Weights are stored
/// [filters, channels, k, k] as PyTorch's `Conv2d`. The activation, if any, belongs to the layer as
/// in Keras: it is applied while the result is copied into place, which saves a full pass over the
/// largest tensors of a CNN (and its derivative likewise on the way back).
///
/// Computed as matrix products: the input's k×k patches are unrolled into columns (im2col,
/// [C·k·k, N·Ho·Wo]), multiplied by W seen as [F, C·k·k], and the result ([F, N·Ho·Wo]) is copied
/// back to N×F×Ho×Wo in contiguous blocks, a few images at a time so that each step reads what
/// the one before wrote while it is in cache. Outside training, 3×3 layers of many channels take
/// Winograd's F(2×2, 3×3) instead (`usesWinograd`, Winograd.swift).
///
///     Conv2D(1 => 32, 3×3)  # 320 parameters
public final class Conv2D: Layer, Multiplying {
    public let inputChannels: Int
    public let filters: Int
    public let kernelSize: Int
    public let padding: Padding
    public let activation: Activation?
    public let weight: Parameter   // [F, C, k, k]
    public let bias: Parameter     // [F]
    public let initializer: Initializer
    // Scratch kept from batch to batch (they are megabytes: allocating them afresh costs page
    // faults every time). Only this layer references them, so writing them never copies.
    private var columns: [Float] = []       // [C·k·k, N·Ho·Wo], the unrolled patches, kept for dW
    private var product: [Float] = []       // [F, a chunk's Ho·Wo columns], one per thread
    private var gradient: [Float] = []      // [F, N·Ho·Wo]
    private var dColumns: [Float] = []      // [C·k·k, a chunk's Ho·Wo columns], one per thread
    private var output = Tensor.empty       // y, for the activation's derivative
    private var transformed: [Float] = []   // Winograd's U
    private var winogradScratch: [Float] = []
    private var geometry = Geometry(batch: 0, channels: 0, height: 0, width: 0, kernel: 1, padding: .valid)
    /// How the products are formed; tests compare the two ways on one layer.
    var algorithm = Algorithm.automatic
    /// Every product of the layer, forward and backward, rounds its inputs so (Precision).
    public var precision = Precision.float32

    enum Algorithm {
        /// Outside training, Winograd for 3×3 kernels between layers of many channels whose
        /// outputs are at least 6×6; im2col otherwise.
        case automatic, im2col, winograd
    }

    /// Winograd's F(2×2, 3×3) predicts, evaluates and validates; training stays with im2col's
    /// product. Winograd adds in another order, so its numbers differ in the last bits: kept out
    /// of training, the weights a seed gives — and every notebook's recorded training — stay
    /// what they were. Measured on MNIST's layers (`caderno bench cnn --profile`, inference ms):
    /// Keras CNN 32 ⇒ 64 at 11×11, 4.96 → 3.2; step-by-step 32 ⇒ 64 at 14×14, 4.0 → 2.2, and
    /// 64 ⇒ 128 at 7×7, 3.45 → 2.9; but 128 ⇒ 128 at 3×3, 1.56 → 3.7 (four tiles cover nine
    /// outputs), and a first layer (one channel in, a product of depth 9) gains nothing.
    /// In bfloat16 the layer keeps im2col's products, the ones it trains with: Winograd's
    /// transformed values rounded to 8 bits would lose more than the products do.
    func usesWinograd(_ g: Geometry, training: Bool) -> Bool {
        guard kernelSize == 3, precision == .float32 else { return false }
        switch algorithm {
        case .automatic:
            return !training && min(inputChannels, filters) >= 16 && min(g.outputHeight, g.outputWidth) >= 6
        case .im2col: return false
        case .winograd: return !training
        }
    }

    public init(_ inputChannels: Int, _ filters: Int, kernelSize: Int, padding: Padding = .valid,
                activation: Activation? = nil, initializer: Initializer = .glorotUniform, random: RandomSource) {
        precondition(inputChannels > 0 && filters > 0 && kernelSize > 0, "Conv2D needs positive sizes")
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelSize = kernelSize
        self.padding = padding
        self.activation = activation
        self.initializer = initializer
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
        "Conv2D(\(inputChannels) => \(filters), \(kernelSize)×\(kernelSize)\(padding == .same ? ", same" : "")\(activation.map { ", \($0.rawValue)" } ?? ""))"
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
        var y = Tensor(uninitializedShape: [g.batch, filters, g.outputHeight, g.outputWidth])
        if usesWinograd(g, training: training) {
            winograd(x, into: &y, g)
            output = .empty
            return y
        }
        // The columns of the whole batch are kept for dW, but each chunk of them is multiplied
        // as soon as it is written, while it is still in cache (Columns.swift).
        reserveScratch(&columns, g.patch * g.columns)
        if g.outputArea >= 4 * filters {
            // Large maps, few filters (a first layer): one product per image, written straight into
            // N×F×Ho×Wo, bias and activation applied while the block is still in cache.
            productPerImage(x, into: &y, g)
        } else {
            productForBatch(x, into: &y, g)
        }
        output = activation == nil ? .empty : y
        return y
    }

    /// y = act(x ⋆ W + b) by Winograd's F(2×2, 3×3).
    private func winograd(_ x: Tensor, into y: inout Tensor, _ g: Geometry) {
        Winograd.transformFilter(weight.value, into: &transformed)
        let plan = Winograd(inputs: inputChannels, outputs: filters, height: g.height, width: g.width, pad: g.padTop,
                            strideImage: inputChannels * g.height * g.width, strideChannel: g.height * g.width,
                            outputHeight: g.outputHeight, outputWidth: g.outputWidth)
        x.scalars.withUnsafeBufferPointer { x in
            transformed.withUnsafeBufferPointer { u in
                bias.value.scalars.withUnsafeBufferPointer { b in
                    y.scalars.withUnsafeMutableBufferPointer { y in
                        plan.convolve(x.baseAddress!, images: g.batch, filter: u.baseAddress!, bias: b.baseAddress!,
                                      activation: activation, into: y.baseAddress!, scratch: &winogradScratch)
                    }
                }
            }
        }
    }

    /// y[n] [F, Ho·Wo] = act(W[F, C·k·k] · columns[:, n's columns] + b), image by image.
    private func productPerImage(_ x: Tensor, into y: inout Tensor, _ g: Geometry) {
        let (filters, area, patch, activation) = (self.filters, g.outputArea, g.patch, self.activation)
        let precision = self.precision
        BLAS.note(BLAS.Shape(m: filters, n: area, k: patch, precision: precision), times: g.batch)
        x.scalars.withUnsafeBufferPointer { x in
            weight.value.scalars.withUnsafeBufferPointer { w in
                bias.value.scalars.withUnsafeBufferPointer { b in
                    columns.withUnsafeMutableBufferPointer { cols in
                        y.scalars.withUnsafeMutableBufferPointer { y in
                            let (x, w, b, cols, y) = (x.baseAddress!, w.baseAddress!, b.baseAddress!, cols.baseAddress!, y.baseAddress!)
                            parallelFor(g.batch) { images in
                                for n in images {
                                    im2col(x, cols + n * area, g, images: n ..< n + 1, rowStride: g.columns)
                                    let out = y + n * filters * area
                                    for f in 0..<filters { (out + f * area).update(repeating: b[f], count: area) }
                                    BLAS.product(w, false, patch, cols + n * area, false, g.columns, out, area,
                                                 m: filters, n: area, k: patch, alpha: 1, beta: 1, precision: precision)
                                    activation?.apply(from: out, to: out, count: filters * area)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// product[F, N·Ho·Wo] = W · columns + b, then copied to N×F×Ho×Wo with the activation, a
    /// chunk of images at a time: unrolled, multiplied and copied while the chunk is in cache.
    private func productForBatch(_ x: Tensor, into y: inout Tensor, _ g: Geometry) {
        let (filters, area, patch, activation) = (self.filters, g.outputArea, g.patch, self.activation)
        let plan = ChunkPlan(g, filters: filters)
        let scratchPerPart = filters * plan.largest * area
        reserveScratch(&product, plan.parts * scratchPerPart)
        let precision = self.precision
        plan.forEachChunk { BLAS.note(BLAS.Shape(m: filters, n: $0.count * area, k: patch, precision: precision)) }
        x.scalars.withUnsafeBufferPointer { x in
            weight.value.scalars.withUnsafeBufferPointer { w in
                bias.value.scalars.withUnsafeBufferPointer { b in
                    columns.withUnsafeMutableBufferPointer { cols in
                        product.withUnsafeMutableBufferPointer { p in
                            y.scalars.withUnsafeMutableBufferPointer { y in
                                let (x, w, b, cols, p, y) = (x.baseAddress!, w.baseAddress!, b.baseAddress!, cols.baseAddress!,
                                                             p.baseAddress!, y.baseAddress!)
                                plan.run { part, images in
                                    let (offset, width, p) = (images.lowerBound * area, images.count * area, p + part * scratchPerPart)
                                    im2col(x, cols + offset, g, images: images, rowStride: g.columns)
                                    for f in 0..<filters { (p + f * width).update(repeating: b[f], count: width) }
                                    BLAS.product(w, false, patch, cols + offset, false, g.columns, p, width,
                                                 m: filters, n: width, k: patch, alpha: 1, beta: 1, precision: precision)
                                    // [F, images, Ho·Wo] → [images, F, Ho·Wo], the activation applied on the way
                                    for (index, n) in images.enumerated() {
                                        for f in 0..<filters {
                                            let from = p + f * width + index * area, to = y + (n * filters + f) * area
                                            if let activation {
                                                activation.apply(from: from, to: to, count: area)
                                            } else {
                                                to.update(from: from, count: area)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        let (g, precision) = (geometry, self.precision)
        let patch = g.patch
        reserveScratch(&gradient, filters * g.columns)
        // dy [N, F, Ho·Wo] → [F, N·Ho·Wo], the layout of the forward product, times act′(y);
        // the bias gradient (the sum of each filter's row) is taken on the way.
        dy.scalars.withUnsafeBufferPointer { dy in
            output.scalars.withUnsafeBufferPointer { y in
                gradient.withUnsafeMutableBufferPointer { d in
                    bias.gradient.scalars.withUnsafeMutableBufferPointer { db in
                        let (area, filters, batch) = (g.outputArea, self.filters, g.batch)
                        let (dy, y, d, db) = (dy.baseAddress!, y.baseAddress, d.baseAddress!, db.baseAddress!)
                        parallelFor(filters) { range in
                            for f in range {
                                for n in 0..<batch {
                                    let offset = (n * filters + f) * area
                                    let (from, to) = (dy + offset, d + (f * batch + n) * area)
                                    if let activation, let y {
                                        activation.backward(gradient: from, output: y + offset, to: to, count: area)
                                    } else {
                                        to.update(from: from, count: area)
                                    }
                                    db[f] += sum(to, count: area)
                                }
                            }
                        }
                    }
                }
            }
        }
        gradient.withUnsafeBufferPointer { d in
            weight.gradient.scalars.withUnsafeMutableBufferPointer { dw in
                columns.withUnsafeBufferPointer { cols in
                    // dW[F, C·k·k] += d[F, N·Ho·Wo] · columnsᵀ
                    BLAS.gemm(d.baseAddress!, cols.baseAddress!, transposeB: true, dw.baseAddress!,
                              m: filters, n: patch, k: g.columns, beta: 1, precision: precision)
                }
            }
        }
        guard needsInputGradient else { return .empty }
        // dcolumns[C·k·k, N·Ho·Wo] = Wᵀ · d, folded back onto the pixels they came from a chunk
        // of images at a time: each chunk's products are folded while they are in cache, in a
        // scratch of each thread's own instead of one the size of the batch's columns.
        let (area, plan) = (g.outputArea, ChunkPlan(g, filters: filters))
        let scratchPerPart = patch * plan.largest * area
        reserveScratch(&dColumns, plan.parts * scratchPerPart)
        plan.forEachChunk { BLAS.note(BLAS.Shape(m: patch, n: $0.count * area, k: self.filters, transposeA: true, precision: precision)) }
        var dx = Tensor(zeros: [g.batch, g.channels, g.height, g.width])
        gradient.withUnsafeBufferPointer { d in
            weight.value.scalars.withUnsafeBufferPointer { w in
                dColumns.withUnsafeMutableBufferPointer { dc in
                    dx.scalars.withUnsafeMutableBufferPointer { dx in
                        let (d, w, dc, dx, k) = (d.baseAddress!, w.baseAddress!, dc.baseAddress!, dx.baseAddress!, self.filters)
                        plan.run { part, images in
                            let (scratch, width) = (dc + part * scratchPerPart, images.count * area)
                            BLAS.product(w, true, patch, d + images.lowerBound * area, false, g.columns, scratch, width,
                                         m: patch, n: width, k: k, alpha: 1, beta: 0, precision: precision)
                            col2im(scratch, dx, g, images: images, rowStride: width)
                        }
                    }
                }
            }
        }
        return dx
    }
}
