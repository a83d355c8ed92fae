import CLanes

/// The largest value of each pool×pool window (stride = pool unless given), per channel.
/// Windows that do not fit at the right or bottom edge are dropped, as in Keras ('valid').
public final class MaxPool2D: Layer {
    public let poolSize: Int
    public let stride: Int
    private var winners: [Int32] = []   // for each output element, the input index of its maximum
    private var inputShape: [Int] = []

    public init(_ poolSize: Int, stride: Int? = nil) {
        precondition(poolSize > 0 && (stride ?? 1) > 0, "MaxPool2D needs positive sizes")
        self.poolSize = poolSize
        self.stride = stride ?? poolSize
    }

    public var kind: String { "MaxPooling2D" }
    public var description: String { "MaxPool2D(\(poolSize)×\(poolSize)\(stride != poolSize ? ", stride \(stride)" : ""))" }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3 else {
            throw ShapeError("\(description) takes images (height×width×channels), got \(formatShape(inputShape))")
        }
        guard inputShape[1] >= poolSize, inputShape[2] >= poolSize else {
            throw ShapeError("\(description) needs images of at least \(poolSize)×\(poolSize), got \(inputShape[1])×\(inputShape[2])")
        }
        return [inputShape[0], (inputShape[1] - poolSize) / stride + 1, (inputShape[2] - poolSize) / stride + 1]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        let (planes, height, width) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let (outHeight, outWidth) = ((height - poolSize) / stride + 1, (width - poolSize) / stride + 1)
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], outHeight, outWidth])
        if training && winners.count != y.count { winners = [Int32](repeating: 0, count: y.count) }
        let (pool, stride) = (poolSize, self.stride)
        x.scalars.withUnsafeBufferPointer { x in
            y.scalars.withUnsafeMutableBufferPointer { y in
                winners.withUnsafeMutableBufferPointer { winners in
                    let (x, y, winners) = (x.baseAddress!, y.baseAddress!, winners.baseAddress)
                    parallelFor(planes) { range in
                        for plane in range {
                            let base = plane * height * width
                            var out = plane * outHeight * outWidth
                            for oh in 0..<outHeight {
                                let top = base + oh * stride * width
                                if pool == 2 && stride == 2 {
                                    // The common case, sixteen windows at a time (CLanes), with the
                                    // rule below: the first maximum wins ties.
                                    caderno_max_pool_2x2_row(x, top, width, outWidth, y + out, training ? winners! + out : nil)
                                    out += outWidth
                                    continue
                                }
                                for ow in 0..<outWidth {
                                    let corner = top + ow * stride
                                    var best = corner
                                    for i in 0..<pool {
                                        let row = corner + i * width
                                        for j in 0..<pool where x[row + j] > x[best] { best = row + j }
                                    }
                                    y[out] = x[best]
                                    if training { winners![out] = Int32(best) }   // only backward needs them
                                    out += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    // dx[winner] = dy, 0 elsewhere
    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        let (height, width) = (inputShape[2], inputShape[3])
        let (outHeight, outWidth) = (dy.shape[2], dy.shape[3])
        // 2×2 windows with stride 2 that tile the image (even sizes: the usual case) cover every
        // pixel once: each is written whole, its winner and three zeros, with no zeroing pass over
        // the whole gradient first. Otherwise the gradient is zeroed and scattered to the winners
        // (for 11×11 → 5×5 that was faster than zeroing and writing the windows whole).
        let tiles = poolSize == 2 && stride == 2 && outHeight * 2 == height && outWidth * 2 == width
        var dx = tiles ? Tensor(uninitializedShape: inputShape) : Tensor(zeros: inputShape)
        dy.scalars.withUnsafeBufferPointer { dy in
            dx.scalars.withUnsafeMutableBufferPointer { dx in
                winners.withUnsafeBufferPointer { winners in
                    guard tiles else {
                        for i in 0..<dy.count { dx[Int(winners[i])] += dy[i] }
                        return
                    }
                    let (dx, dy, winners) = (dx.baseAddress!, dy.baseAddress!, winners.baseAddress!)
                    parallelFor(inputShape[0] * inputShape[1]) { planes in
                        for plane in planes {
                            for oh in 0..<outHeight {
                                let out = (plane * outHeight + oh) * outWidth
                                caderno_max_pool_2x2_backward_row(dy + out, winners + out, (plane * height + 2 * oh) * width,
                                                                  width, outWidth, dx)
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
