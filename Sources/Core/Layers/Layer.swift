/// A trainable tensor and the gradient that backward passes accumulate into it.
/// A class, so that the layer and the optimizer update the same storage in place.
public final class Parameter {
    public let name: String
    public var value: Tensor
    public var gradient: Tensor
    /// L2 weight decay applies to weights, not to biases (as the NumPy study project does).
    public let decays: Bool

    public init(name: String, value: Tensor, decays: Bool) {
        self.name = name
        self.value = value
        self.gradient = Tensor(zeros: value.shape)
        self.decays = decays
    }

    public var count: Int { value.count }

    public func zeroGradient() {
        gradient.scalars.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}

/// One step of a network. Shapes exclude the batch: a Dense layer's input shape is [784],
/// a batch through it is [N, 784].
///
/// Each layer keeps what its backward pass needs from the forward pass, so `backward` must follow
/// the `forward` whose gradient it computes.
public protocol Layer: AnyObject, CustomStringConvertible {
    /// The type as Keras names it in a summary: "Dense", "ReLU", "Dropout", …
    var kind: String { get }
    var parameters: [Parameter] { get }
    /// The shape of one output sample for one input sample of `inputShape`; throws on a mismatch.
    func outputShape(for inputShape: [Int]) throws -> [Int]
    func forward(_ input: Tensor, training: Bool) -> Tensor
    /// Accumulates parameter gradients and returns the gradient with respect to the input;
    /// when `needsInputGradient` is false (the first layer), it may skip that product and return `.empty`.
    func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor
    /// The layer's own random stream, if it draws (dropout): part of what a snapshot keeps.
    var randomSource: RandomSource? { get }
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public var randomSource: RandomSource? { nil }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        backward(outputGradient, needsInputGradient: true)
    }
}

extension Tensor {
    /// What a backward pass returns when nobody asked for the input gradient.
    public static let empty = Tensor(shape: [0], scalars: [])
}

public struct ShapeError: Explained, Equatable {
    public let message: Message
    public init(_ message: Message) { self.message = message }
}

/// "28×28×1"-style text for a per-sample shape.
public func formatShape(_ shape: [Int]) -> String {
    shape.map(String.init).joined(separator: "×")
}
