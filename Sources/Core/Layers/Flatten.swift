/// [N, C, H, W] → [N, C·H·W]: the bridge from images to dense layers. No copy, only a new shape.
public final class Flatten: Layer {
    private var inputShape: [Int] = []
    public init() {}
    public var kind: String { "Flatten" }
    public var description: String { "flatten" }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        [inputShape.reduce(1, *)]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        return x.reshaped([x.batchSize, x.featuresPerSample])
    }

    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        dy.reshaped(inputShape)
    }
}
