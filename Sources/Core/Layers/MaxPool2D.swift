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
                                for ow in 0..<outWidth {
                                    let corner = top + ow * stride
                                    var best = corner
                                    if pool == 2 {
                                        // The common case, unrolled: the first maximum wins ties, as below.
                                        // Selects, not branches: which of four pixels is largest is a coin
                                        // toss a branch predictor loses half the time.
                                        var largest = x[corner]
                                        func contest(_ candidate: Int) {
                                            let value = x[candidate], wins = value > largest
                                            best = wins ? candidate : best
                                            largest = wins ? value : largest
                                        }
                                        contest(corner + 1)
                                        contest(corner + width)
                                        contest(corner + width + 1)
                                    } else {
                                        for i in 0..<pool {
                                            let row = corner + i * width
                                            for j in 0..<pool where x[row + j] > x[best] { best = row + j }
                                        }
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
        // Windows that tile the image (2×2, stride 2, even sizes: the usual case) cover every input
        // pixel once, so each is written directly — no zeroing pass over the whole gradient first.
        let tiles = stride == poolSize && outHeight * poolSize == height && outWidth * poolSize == width
        var dx = tiles ? Tensor(uninitializedShape: inputShape) : Tensor(zeros: inputShape)
        dy.scalars.withUnsafeBufferPointer { dy in
            dx.scalars.withUnsafeMutableBufferPointer { dx in
                winners.withUnsafeBufferPointer { winners in
                    if tiles {
                        let (dx, dy, winners, pool) = (dx.baseAddress!, dy.baseAddress!, winners.baseAddress!, poolSize)
                        parallelFor(inputShape[0] * inputShape[1]) { planes in
                            for plane in planes {
                                var out = plane * outHeight * outWidth
                                for oh in 0..<outHeight {
                                    let top = (plane * height + oh * pool) * width
                                    for ow in 0..<outWidth {
                                        let corner = top + ow * pool
                                        for i in 0..<pool {
                                            for j in 0..<pool { dx[corner + i * width + j] = 0 }
                                        }
                                        dx[Int(winners[out])] = dy[out]
                                        out += 1
                                    }
                                }
                            }
                        }
                    } else {
                        for i in 0..<dy.count { dx[Int(winners[i])] += dy[i] }
                    }
                }
            }
        }
        return dx
    }
}
