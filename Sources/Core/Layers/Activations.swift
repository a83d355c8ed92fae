import Foundation

/// y = f(x) element by element; backward multiplies by f′, written in terms of y where it can be.
/// Each activation keeps its output (or input) from the last forward pass for backward.

/// An activation that can belong to the layer before it (`add dense 10 activation=softmax`), as
/// Keras's `Dense(10, activation="softmax")` is one layer: `summary` shows the pair as one row.
public protocol AttachableActivation: Layer {
    var attached: Bool { get set }
}

public final class ReLU: AttachableActivation {
    public var attached = false
    private var output = Tensor.empty
    public init() {}
    public var kind: String { "ReLU" }
    public var description: String { "relu" }
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output = map(x) { max($0, 0) }
        return output
    }

    // dx = dy · [y > 0]
    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        zipMap(dy, output) { g, y in y > 0 ? g : 0 }
    }
}

public final class Sigmoid: AttachableActivation {
    public var attached = false
    private var output = Tensor.empty
    public init() {}
    public var kind: String { "Sigmoid" }
    public var description: String { "sigmoid" }
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output = map(x) { 1 / (1 + exp(-$0)) }
        return output
    }

    // dx = dy · y(1 − y)
    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        zipMap(dy, output) { g, y in g * y * (1 - y) }
    }
}

public final class Tanh: AttachableActivation {
    public var attached = false
    private var output = Tensor.empty
    public init() {}
    public var kind: String { "Tanh" }
    public var description: String { "tanh" }
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output = map(x) { tanh($0) }
        return output
    }

    // dx = dy · (1 − y²)
    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        zipMap(dy, output) { g, y in g * (1 - y * y) }
    }
}

/// ReLU that lets a little through below zero: y = x for x > 0, slope · x otherwise (Keras's
/// `LeakyReLU`, PyTorch's `nn.LeakyReLU`).
public final class LeakyReLU: Layer {
    public let slope: Float
    private var input = Tensor.empty
    public init(slope: Float = 0.01) { self.slope = slope }
    public var kind: String { "LeakyReLU" }
    public var description: String { "leaky_relu(\(slope))" }
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        input = x
        return map(x) { $0 > 0 ? $0 : slope * $0 }
    }

    // dx = dy · (x > 0 ? 1 : slope)
    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        zipMap(dy, input) { g, x in x > 0 ? g : slope * g }
    }
}

/// Softmax over each row: y = exp(x − max) / Σ exp(x − max).
public final class Softmax: AttachableActivation {
    public var attached = false
    private var output = Tensor.empty
    public init() {}
    public var kind: String { "Softmax" }
    public var description: String { "softmax" }
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output = softmaxRows(x)
        return output
    }

    // dx = y ⊙ (dy − Σ_j dy_j y_j), row by row
    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        var dx = Tensor(uninitializedShape: dy.shape)
        forEachRow(dy, output, into: &dx) { g, y, out, width in
            var dot: Float = 0
            for j in 0..<width { dot += g[j] * y[j] }
            for j in 0..<width { out[j] = y[j] * (g[j] - dot) }
        }
        return dx
    }
}

/// Log-softmax over each row: y = x − max − log Σ exp(x − max). Pairs with the NLL loss.
public final class LogSoftmax: AttachableActivation {
    public var attached = false
    private var output = Tensor.empty
    public init() {}
    public var kind: String { "LogSoftmax" }
    public var description: String { "log_softmax" }
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output = logSoftmaxRows(x)
        return output
    }

    // dx = dy − exp(y) · Σ_j dy_j, row by row
    public func backward(_ dy: Tensor, needsInputGradient: Bool) -> Tensor {
        var dx = Tensor(uninitializedShape: dy.shape)
        forEachRow(dy, output, into: &dx) { g, y, out, width in
            var sum: Float = 0
            for j in 0..<width { sum += g[j] }
            for j in 0..<width { out[j] = g[j] - exp(y[j]) * sum }
        }
        return dx
    }
}

// MARK: - Row kernels shared with the losses

/// Softmax of each row of an [N, C] tensor, stable: the row maximum is subtracted first.
func softmaxRows(_ x: Tensor) -> Tensor {
    var y = Tensor(uninitializedShape: x.shape)
    forEachRow(x, into: &y) { x, out, width in
        var maximum = -Float.infinity
        for j in 0..<width { maximum = max(maximum, x[j]) }
        var sum: Float = 0
        for j in 0..<width { out[j] = exp(x[j] - maximum); sum += out[j] }
        let scale = 1 / sum
        for j in 0..<width { out[j] *= scale }
    }
    return y
}

/// Log-softmax of each row, by log-sum-exp.
func logSoftmaxRows(_ x: Tensor) -> Tensor {
    var y = Tensor(uninitializedShape: x.shape)
    forEachRow(x, into: &y) { x, out, width in
        var maximum = -Float.infinity
        for j in 0..<width { maximum = max(maximum, x[j]) }
        var sum: Float = 0
        for j in 0..<width { sum += exp(x[j] - maximum) }
        let logSum = maximum + log(sum)
        for j in 0..<width { out[j] = x[j] - logSum }
    }
    return y
}
