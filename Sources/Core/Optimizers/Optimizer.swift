import CLanes
import Foundation

/// Updates parameters from their accumulated gradients. Optimizers keep per-parameter state
/// (momentum, moments) keyed by the parameter's identity.
public protocol Optimizer: AnyObject {
    var name: String { get }
    var learningRate: Float { get set }
    /// Updates each parameter from its gradient and sets the gradient back to zero, ready for the
    /// next backward pass to accumulate into (the reset rides on the pass that reads it anyway).
    func step(_ parameters: [Parameter])
    /// Everything the optimizer has accumulated (momentum, moments, step count), as a value:
    /// saving it and setting it back undoes the steps in between.
    var state: OptimizerState { get set }
}

/// Per-parameter buffers (momentum for SGD; first and second moments for Adam) and the step count.
public struct OptimizerState {
    var slots: [ObjectIdentifier: [[Float]]] = [:]
    public var steps = 0

    public init() {}

    /// The buffers kept for `parameter` (none before its first step).
    public func buffers(for parameter: Parameter) -> [[Float]]? {
        slots[ObjectIdentifier(parameter)]
    }

    public mutating func setBuffers(_ buffers: [[Float]], for parameter: Parameter) {
        precondition(buffers.allSatisfy { $0.count == parameter.count }, "buffers of \(buffers.map(\.count)) for \(parameter.count) values")
        slots[ObjectIdentifier(parameter)] = buffers
    }
}

/// Stochastic gradient descent with PyTorch's update rule:
///
///     g = ∇ + wd·θ                       (L2 weight decay, weights only)
///     b = μ·b + g                        (momentum buffer; b = g on the first step)
///     g = nesterov ? g + μ·b : b
///     θ = θ − lr·g
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public var state = OptimizerState()

    public init(learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public var name: String { "SGD" }

    /// SGD's update is a few operations per value read: split between threads, a 50,000-weight
    /// layer at batch 16 ran 40% slower (the halves travel between the cores' caches every step).
    static let splitAbove = 1 << 19

    public func step(_ parameters: [Parameter]) {
        for parameter in parameters {
            let key = ObjectIdentifier(parameter)
            let count = parameter.count
            let first = state.slots[key] == nil
            if momentum != 0 && first { state.slots[key] = [[Float](repeating: 0, count: count)] }
            let constants = caderno_sgd_constants(learning_rate: learningRate, decay: parameter.decays ? weightDecay : 0,
                                                  momentum: momentum, nesterov: nesterov ? 1 : 0, first: first ? 1 : 0)
            // One pass reads θ, ∇ (and b) once and writes θ, ∇ = 0 (and b) once (CLanes).
            func update(_ buffer: UnsafeMutablePointer<Float>?) {
                parameter.updatePass(splitFrom: SGD.splitAbove) { theta, grad, range in
                    caderno_sgd_update(theta, grad, buffer, range.lowerBound, range.upperBound, constants)
                }
            }
            if momentum == 0 {
                update(nil)
            } else {
                // The buffer is updated where it lies in the dictionary: no removal, no new array.
                state.slots[key]![0].withUnsafeMutableBufferPointer { update($0.baseAddress!) }
            }
        }
        state.steps += 1
    }
}

/// Adam (Kingma & Ba) as PyTorch writes it, with bias-corrected moments:
///
///     m = β₁m + (1−β₁)g,  v = β₂v + (1−β₂)g²
///     θ = θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
///
/// Defaults are PyTorch's and Keras's (lr 0.001, β 0.9/0.999); ε is 1e-8 in PyTorch, 1e-7 in Keras.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public var state = OptimizerState()

    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public var name: String { "Adam" }

    public func step(_ parameters: [Parameter]) {
        state.steps += 1
        let correction1 = 1 - pow(beta1, Float(state.steps))
        let correction2 = 1 - pow(beta2, Float(state.steps))
        let (lr, b1, b2, eps) = (learningRate, beta1, beta2, epsilon)
        let (oneMinusB1, oneMinusB2) = (1 - b1, 1 - b2)
        for parameter in parameters {
            let key = ObjectIdentifier(parameter)
            if state.slots[key] == nil { state.slots[key] = [[Float](repeating: 0, count: parameter.count), [Float](repeating: 0, count: parameter.count)] }
            let constants = caderno_adam_constants(
                learning_rate: lr, beta1: b1, beta2: b2, one_minus_beta1: oneMinusB1, one_minus_beta2: oneMinusB2,
                correction1: correction1, correction2: correction2, epsilon: eps, decay: parameter.decays ? weightDecay : 0)
            // The moments are updated where they lie in the dictionary: no removal, no new array.
            state.slots[key]!.withUnsafeMutableBufferPointer { moments in
                moments[0].withUnsafeMutableBufferPointer { m in
                    moments[1].withUnsafeMutableBufferPointer { v in
                        let (m, v) = (m.baseAddress!, v.baseAddress!)
                        // One pass reads θ, ∇, m, v once and writes θ, m, v and ∇ = 0 once (CLanes).
                        // Two divisions and a square root per value: worth splitting from 32,768 values
                        // (mlp-adam: 0.42 s per epoch on one thread's update, 0.34 s on two).
                        parameter.updatePass(splitFrom: 1 << 15) { theta, grad, range in
                            caderno_adam_update(theta, grad, m, v, range.lowerBound, range.upperBound, constants)
                        }
                    }
                }
            }
        }
    }
}

extension Parameter {
    /// Runs an update `pass(θ, ∇, range)` over the values, split across the threads from `minimum` values.
    func updatePass(splitFrom minimum: Int, _ pass: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void) {
        let count = count   // read before `value` is held for writing
        gradient.scalars.withUnsafeMutableBufferPointer { gradient in
            value.scalars.withUnsafeMutableBufferPointer { value in
                let (theta, grad) = (value.baseAddress!, gradient.baseAddress!)
                parallelFor(count, minimum: minimum) { pass(theta, grad, $0) }
            }
        }
    }
}
