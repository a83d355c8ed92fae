import CLanes
import Foundation

/// Updates parameters from their accumulated gradients. Optimizers keep per-parameter state
/// (momentum, moments) keyed by the parameter's identity.
public protocol Optimizer: AnyObject {
    var name: String { get }
    var learningRate: Float { get set }
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
            let decay = parameter.decays ? weightDecay : 0
            let (lr, mu) = (learningRate, momentum)
            let key = ObjectIdentifier(parameter)
            let first = state.slots[key] == nil
            // Taken out of the dictionary while it is updated, so the array is not copied.
            var buffer = state.slots.removeValue(forKey: key)?[0] ?? (mu == 0 ? [] : [Float](repeating: 0, count: parameter.count))
            let count = parameter.count
            parameter.gradient.scalars.withUnsafeBufferPointer { grad in
                parameter.value.scalars.withUnsafeMutableBufferPointer { theta in
                    let (grad, theta) = (grad.baseAddress!, theta.baseAddress!)
                    if mu == 0 {
                        lanePass(count, minimum: SGD.splitAbove) { i, end in
                            let t = loadLanes(theta, i, end)
                            storeLanes(t - lr * (loadLanes(grad, i, end) + decay * t), theta, i, end)
                        }
                        return
                    }
                    buffer.withUnsafeMutableBufferPointer { b in
                        let b = b.baseAddress!
                        lanePass(count, minimum: SGD.splitAbove) { i, end in
                            let t = loadLanes(theta, i, end)
                            let g = loadLanes(grad, i, end) + decay * t
                            let momentum = first ? g : mu * loadLanes(b, i, end) + g
                            storeLanes(momentum, b, i, end)
                            storeLanes(t - lr * (nesterov ? g + mu * momentum : momentum), theta, i, end)
                        }
                    }
                }
            }
            if mu != 0 { state.slots[key] = [buffer] }
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
            let decay = parameter.decays ? weightDecay : 0
            let key = ObjectIdentifier(parameter)
            var slots = state.slots.removeValue(forKey: key)
                ?? [[Float](repeating: 0, count: parameter.count), [Float](repeating: 0, count: parameter.count)]
            var (m, v) = (slots[0], slots[1])
            slots = []   // m and v are now the only references: updated in place
            let count = parameter.count
            parameter.gradient.scalars.withUnsafeBufferPointer { grad in
                parameter.value.scalars.withUnsafeMutableBufferPointer { theta in
                    m.withUnsafeMutableBufferPointer { m in
                        v.withUnsafeMutableBufferPointer { v in
                            let (grad, theta, m, v) = (grad.baseAddress!, theta.baseAddress!, m.baseAddress!, v.baseAddress!)
                            let constants = caderno_adam_constants(
                                learning_rate: lr, beta1: b1, beta2: b2, one_minus_beta1: oneMinusB1, one_minus_beta2: oneMinusB2,
                                correction1: correction1, correction2: correction2, epsilon: eps, decay: decay)
                            // One pass reads θ, ∇, m, v once and writes θ, m, v once (CLanes).
                            // Two divisions and a square root per value: worth splitting from 32,768 values
                            // (mlp-adam: 0.42 s per epoch on one thread's update, 0.34 s on two).
                            parallelFor(count, minimum: 1 << 15) { range in
                                caderno_adam_update(theta, grad, m, v, range.lowerBound, range.upperBound, constants)
                            }
                        }
                    }
                }
            }
            state.slots[key] = [m, v]
        }
    }
}
