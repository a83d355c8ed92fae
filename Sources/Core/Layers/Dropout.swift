/// Inverted dropout: while training, each element is zeroed with probability `rate` and the
/// survivors are scaled by 1/(1 − rate), so inference needs no rescaling and is the identity.
public final class Dropout: Layer {
    public let rate: Float
    private let random: RandomSource
    public var randomSource: RandomSource? { random }
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
        // Four keep-or-drop decisions from each 64-bit draw, 16 bits apiece: the rate is honoured
        // to within 1/65,536, and drawing costs a quarter as much.
        // Kept or dropped by arithmetic, not a branch: a branch on a coin toss is mispredicted half
        // the time, and that took most of this pass. An element is kept when its 16 bits are at
        // least the threshold (their difference does not wrap); it then gets scale's bits, else +0.
        let threshold = UInt64((rate * 65_536).rounded())
        let scaleBits = scale.bitPattern
        // The last batch's mask is overwritten, not reallocated: a fresh 800 KB array a batch (the
        // Keras CNN's) cost page faults every time. Every element is written below.
        if mask.shape != x.shape { mask = Tensor(uninitializedShape: x.shape) }
        mask.scalars.withUnsafeMutableBufferPointer { mask in
            let (values, count) = (mask.baseAddress!, mask.count)
            random.draw((count + 3) / 4) { draw, bits in
                let first = 4 * draw
                for lane in 0..<min(4, count - first) {
                    let dropped = (((bits >> (16 * UInt64(lane))) & 0xFFFF) &- threshold) >> 63   // 1 when below
                    values[first + lane] = Float(bitPattern: scaleBits & (UInt32(truncatingIfNeeded: dropped) &- 1))
                }
            }
        }
        return zipMap(x, mask, *)
    }

    // dx = dy ⊙ mask (the identity when the forward pass was not training)
    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        mask.count == 0 ? dy : zipMap(dy, mask, *)
    }
}
