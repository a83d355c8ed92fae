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
        winners = [Int32](repeating: 0, count: y.count)
        x.scalars.withUnsafeBufferPointer { x in
            y.scalars.withUnsafeMutableBufferPointer { y in
                winners.withUnsafeMutableBufferPointer { winners in
                    var out = 0
                    for plane in 0..<planes {
                        let base = plane * height * width
                        for oh in 0..<outHeight {
                            for ow in 0..<outWidth {
                                var best = base + oh * stride * width + ow * stride
                                for i in 0..<poolSize {
                                    let row = base + (oh * stride + i) * width + ow * stride
                                    for j in 0..<poolSize where x[row + j] > x[best] { best = row + j }
                                }
                                y[out] = x[best]
                                winners[out] = Int32(best)
                                out += 1
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    // dx[winner] += dy: the gradient flows only to each window's maximum
    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        var dx = Tensor(zeros: inputShape)
        dy.scalars.withUnsafeBufferPointer { dy in
            dx.scalars.withUnsafeMutableBufferPointer { dx in
                winners.withUnsafeBufferPointer { winners in
                    for i in 0..<dy.count { dx[Int(winners[i])] += dy[i] }
                }
            }
        }
        return dx
    }
}
