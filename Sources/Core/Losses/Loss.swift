import Foundation

/// What a batch should have produced: class indices ("sparse"), or one row per sample of
/// target probabilities, usually one-hot ("categorical").
public enum Targets: Sendable, Equatable {
    case classes([Int])
    case oneHot(Tensor)   // [N, C]

    public var count: Int {
        switch self {
        case .classes(let labels): labels.count
        case .oneHot(let rows): rows.batchSize
        }
    }
}

/// A loss compares a batch of model outputs [N, C] with its targets.
public protocol Loss: Sendable {
    var name: String { get }
    /// The mean loss over the batch, and its gradient with respect to `output`.
    func lossAndGradient(_ output: Tensor, _ targets: Targets) -> (loss: Float, gradient: Tensor)
    /// The summed loss over the batch, without a gradient: evaluation averages it over a whole set.
    func totalLoss(_ output: Tensor, _ targets: Targets) -> Double
}

/// Negative log-likelihood of log-probabilities (after `LogSoftmax`), as PyTorch's `nll_loss`:
/// loss = −mean_i Σ_c t_ic · logp_ic (with one-hot t, simply −logp of the true class).
public struct NLLLoss: Loss {
    public init() {}
    public var name: String { "nll" }

    public func lossAndGradient(_ logp: Tensor, _ targets: Targets) -> (loss: Float, gradient: Tensor) {
        let n = Float(logp.batchSize)
        var gradient = Tensor(zeros: logp.shape)
        var total: Double = 0
        forEachTarget(targets, width: logp.featuresPerSample) { row, column, weight in
            let index = row * logp.featuresPerSample + column
            total -= Double(weight * logp.scalars[index])
            gradient.scalars[index] = -weight / n   // ∂loss/∂logp_ic = −t_ic / N
        }
        return (Float(total) / n, gradient)
    }

    public func totalLoss(_ logp: Tensor, _ targets: Targets) -> Double {
        var total: Double = 0
        forEachTarget(targets, width: logp.featuresPerSample) { row, column, weight in
            total -= Double(weight * logp.scalars[row * logp.featuresPerSample + column])
        }
        return total
    }
}

/// Cross-entropy straight from logits, softmax fused in (stable through log-sum-exp):
/// loss = −mean_i Σ_c t_ic · log softmax(z)_ic, gradient (softmax(z) − t) / N.
/// PyTorch's `cross_entropy`, Keras's cross-entropies `from_logits=True`.
public struct SoftmaxCrossEntropy: Loss {
    public init() {}
    public var name: String { "softmax-crossentropy" }

    public func lossAndGradient(_ logits: Tensor, _ targets: Targets) -> (loss: Float, gradient: Tensor) {
        let n = Float(logits.batchSize)
        let width = logits.featuresPerSample
        let logp = logSoftmaxRows(logits)
        var gradient = softmaxRows(logits)   // becomes (p − t) / N
        var total: Double = 0
        forEachTarget(targets, width: width) { row, column, weight in
            total -= Double(weight * logp.scalars[row * width + column])
            gradient.scalars[row * width + column] -= weight
        }
        let scale = 1 / n
        gradient.scalars.withUnsafeMutableBufferPointer { g in
            for i in 0..<g.count { g[i] *= scale }
        }
        return (Float(total) / n, gradient)
    }

    public func totalLoss(_ logits: Tensor, _ targets: Targets) -> Double {
        NLLLoss().totalLoss(logSoftmaxRows(logits), targets)
    }
}

/// Cross-entropy of probabilities (after `Softmax`), as Keras's `categorical_crossentropy` and
/// `sparse_categorical_crossentropy`: probabilities are clipped to [ε, 1 − ε] before the log.
///
/// A model that ends in `Softmax` trained with this loss is trained through `SoftmaxCrossEntropy`
/// on the logits instead (see `Sequential.trainingPath`): the same loss, exact gradients even
/// where a probability underflows — Keras does the same.
public struct CrossEntropy: Loss {
    public static let epsilon: Float = 1e-7
    public init() {}
    public var name: String { "crossentropy" }

    public func lossAndGradient(_ p: Tensor, _ targets: Targets) -> (loss: Float, gradient: Tensor) {
        let n = Float(p.batchSize)
        let width = p.featuresPerSample
        var gradient = Tensor(zeros: p.shape)
        var total: Double = 0
        forEachTarget(targets, width: width) { row, column, weight in
            let raw = p.scalars[row * width + column]
            let clipped = min(max(raw, Self.epsilon), 1 - Self.epsilon)
            total -= Double(weight * log(clipped))
            // The clip's derivative is zero outside [ε, 1 − ε].
            let inside = raw >= Self.epsilon && raw <= 1 - Self.epsilon
            gradient.scalars[row * width + column] = inside ? -weight / (clipped * n) : 0
        }
        return (Float(total) / n, gradient)
    }

    public func totalLoss(_ p: Tensor, _ targets: Targets) -> Double {
        let width = p.featuresPerSample
        var total: Double = 0
        forEachTarget(targets, width: width) { row, column, weight in
            total -= Double(weight * log(min(max(p.scalars[row * width + column], Self.epsilon), 1 - Self.epsilon)))
        }
        return total
    }
}

/// Calls `body(row, column, t)` for every non-zero target entry: once per row for class labels.
@inline(__always)
func forEachTarget(_ targets: Targets, width: Int, _ body: (Int, Int, Float) -> Void) {
    switch targets {
    case .classes(let labels):
        for (row, label) in labels.enumerated() {
            precondition(label >= 0 && label < width, "label \(label) outside 0..<\(width)")
            body(row, label, 1)
        }
    case .oneHot(let rows):
        precondition(rows.featuresPerSample == width, "targets have \(rows.featuresPerSample) classes, output \(width)")
        rows.scalars.withUnsafeBufferPointer { t in
            for index in 0..<t.count where t[index] != 0 { body(index / width, index % width, t[index]) }
        }
    }
}
