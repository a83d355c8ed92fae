/// Inverted dropout: while training, each element is zeroed with probability `rate` and the
/// survivors are scaled by 1/(1 − rate), so inference needs no rescaling and is the identity.
public final class Dropout: Layer {
    public let rate: Float
    private let random: RandomSource
    private var mask = Tensor.empty   // 0 or 1/(1 − rate), per element of the last training batch

    /// `random` should be forked from the model's source, so this layer's draws are its own.
    public init(_ rate: Float, random: RandomSource) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.random = random
    }

    public var kind: String { "Dropout" }
    public var description: String { "Dropout(\(rate))" }
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        guard training, rate > 0 else {
            mask = .empty
            return x
        }
        let scale = 1 / (1 - rate)
        mask = Tensor(uninitializedShape: x.shape)
        mask.scalars.withUnsafeMutableBufferPointer { mask in
            for i in 0..<mask.count { mask[i] = random.nextUnitFloat() < rate ? 0 : scale }
        }
        return zipMap(x, mask, *)
    }

    // dx = dy ⊙ mask (the identity when the forward pass was not training)
    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        mask.count == 0 ? dy : zipMap(dy, mask, *)
    }
}
