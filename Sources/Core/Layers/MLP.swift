import Foundation

/// What a classifier's last layer emits.
public enum OutputActivation: String, Sendable, CaseIterable {
    case logSoftmax = "log-softmax"   // pairs with NLLLoss (the PyTorch study project)
    case softmax                      // pairs with CrossEntropy (Keras, the NumPy project)
    case none                         // raw logits, for SoftmaxCrossEntropy
}

/// Hidden-layer activations by name.
public enum Activation: String, Sendable, CaseIterable {
    case relu, sigmoid, tanh

    public func makeLayer() -> any Layer {
        switch self {
        case .relu: ReLU()
        case .sigmoid: Sigmoid()
        case .tanh: Tanh()
        }
    }

    /// to[i] = f(from[i]) for `count` values, for layers that apply the activation themselves
    /// (Conv2D). One loop per case, so each vectorizes.
    @inline(__always)
    func apply(from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu: for i in 0..<count { to[i] = max(from[i], 0) }
        case .sigmoid: for i in 0..<count { to[i] = 1 / (1 + Foundation.exp(-from[i])) }
        case .tanh: for i in 0..<count { to[i] = Foundation.tanh(from[i]) }
        }
    }

    /// to[i] = gradient[i] · f′, f′ written with the output y = f(x): [y > 0], y(1 − y), 1 − y².
    @inline(__always)
    func backward(gradient: UnsafePointer<Float>, output y: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu: for i in 0..<count { to[i] = y[i] > 0 ? gradient[i] : 0 }
        case .sigmoid: for i in 0..<count { to[i] = gradient[i] * y[i] * (1 - y[i]) }
        case .tanh: for i in 0..<count { to[i] = gradient[i] * (1 - y[i] * y[i]) }
        }
    }
}

extension Sequential {
    /// A fully connected network through `sizes` (e.g. [784, 128, 64, 10]): Dense layers with
    /// `activation` (and dropout, if any) after every hidden one, and `output` after the last.
    public static func mlp(_ sizes: [Int], activation: Activation = .relu, dropout: Float = 0,
                           initializer: Initializer = .pytorch, output: OutputActivation = .logSoftmax,
                           random: RandomSource) throws -> Sequential {
        guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
            throw ShapeError("an MLP needs at least an input and an output size, all positive (got \(sizes.map(String.init).joined(separator: "-")))")
        }
        let model = try Sequential(inputShape: [sizes[0]])
        for (index, (inputs, outputs)) in zip(sizes, sizes.dropFirst()).enumerated() {
            try model.add(Dense(inputs, outputs, initializer: initializer, random: random))
            let isLast = index == sizes.count - 2
            if !isLast {
                try model.add(activation.makeLayer())
                if dropout > 0 { try model.add(Dropout(dropout, random: random.fork())) }
            }
        }
        switch output {
        case .logSoftmax: try model.add(LogSoftmax())
        case .softmax: try model.add(Softmax())
        case .none: break
        }
        return model
    }
}
