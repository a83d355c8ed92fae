import Foundation

/// Layers applied one after another. The input shape (per sample) is fixed when the model is
/// built, and every layer's shape is checked as it is added, so a model that exists is consistent.
public final class Sequential {
    public let inputShape: [Int]
    public private(set) var layers: [any Layer] = []
    public private(set) var outputShape: [Int]
    /// Every layer's parameters, in order: kept as layers are added, not gathered anew on every
    /// training step (the optimizer and the gradient reset each ask for them once per batch).
    public private(set) var parameters: [Parameter] = []
    /// What every layer's matrix products multiply (`compile precision=`): single precision, or
    /// inputs rounded to bfloat16. Weights stay single precision either way.
    public var precision = Precision.float32 {
        didSet { for case let layer as any Multiplying in layers { layer.precision = precision } }
    }

    public init(inputShape: [Int], layers: [any Layer] = []) throws {
        self.inputShape = inputShape
        self.outputShape = inputShape
        for layer in layers { try add(layer) }
    }

    /// Appends a layer; throws, leaving the model unchanged, if it does not fit the current output.
    public func add(_ layer: any Layer) throws {
        let shape: [Int]
        do {
            shape = try layer.outputShape(for: outputShape)
        } catch let error as ShapeError {
            throw ShapeError("layer \(layers.count + 1) (\(layer.kind)): \(error.message)")
        }
        (layer as? any Multiplying)?.precision = precision
        layers.append(layer)
        parameters += layer.parameters
        outputShape = shape
    }

    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Runs `input` [N, …] through the layers. A batch whose samples hold as many values as the
    /// input shape is read as that shape (a 28×28 image feeds a 784-input MLP, as `x.view(-1, 784)`).
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, layerCount: layers.count)
    }

    /// Backward through all layers from the gradient of the loss with respect to the output.
    /// The first layer skips its input gradient: nobody needs the gradient of the pixels.
    public func backward(_ outputGradient: Tensor) {
        backward(outputGradient, layerCount: layers.count)
    }

    /// Through the first `layerCount` layers only: what a layer inside the model outputs.
    public func forward(_ input: Tensor, training: Bool, layerCount: Int) -> Tensor {
        precondition(input.featuresPerSample == inputShape.reduce(1, *),
                     "the model takes \(formatShape(inputShape)) per sample, the batch is \(input.shape)")
        var x = input.shape.dropFirst().elementsEqual(inputShape) ? input : input.reshaped([input.batchSize] + inputShape)
        for layer in layers.prefix(layerCount) { x = layer.forward(x, training: training) }
        return x
    }

    func backward(_ outputGradient: Tensor, layerCount: Int) {
        var gradient = outputGradient
        for (index, layer) in layers.prefix(layerCount).enumerated().reversed() {
            gradient = layer.backward(gradient, needsInputGradient: index > 0)
        }
    }

    /// The layers (a prefix of `layers`) and the loss that a training step runs for `loss`: all of
    /// them and `loss`, except that a model ending in `Softmax` trained with `CrossEntropy` (Keras's
    /// usual pairing) runs the layers before the softmax and applies the fused, stable
    /// `SoftmaxCrossEntropy` to their logits — the same loss with exact gradients.
    public func trainingPath(for loss: any Loss) -> (layerCount: Int, loss: any Loss) {
        guard loss is CrossEntropy, layers.last is Softmax else { return (layers.count, loss) }
        return (layers.count - 1, SoftmaxCrossEntropy())
    }

    /// Samples per forward pass when only predicting: enough to keep the matrix products efficient,
    /// few enough that a CNN's activations stay well under glibc's 32 MB mmap threshold — past it,
    /// every batch page-faults its buffers in afresh (`bench cnn`: 128 → 21,000 images/s, 512 → 12,800).
    public static let inferenceBatchSize = 128

    /// Forward in inference mode, `batchSize` samples at a time: outputs for every row of `inputs`.
    public func predict(_ inputs: Tensor, batchSize: Int = inferenceBatchSize) -> Tensor {
        predict(Samples(inputs), batchSize: batchSize)
    }

    public func predict(_ inputs: Samples, batchSize: Int = inferenceBatchSize) -> Tensor {
        var output = Tensor(uninitializedShape: [inputs.batchSize] + outputShape)
        let width = output.featuresPerSample
        for start in stride(from: 0, to: inputs.batchSize, by: batchSize) {
            let rows = start..<min(start + batchSize, inputs.batchSize)
            let batch = forward(inputs.gatherRows(rows), training: false)
            output.scalars.replaceSubrange(rows.lowerBound * width ..< rows.upperBound * width, with: batch.scalars)
        }
        return output
    }

    /// Everything about the model that training changes in place: its layers, every parameter's
    /// value and the position of every layer's random stream. Cheap to take: the values are
    /// copy-on-write, so the weights are copied only if the model is then written to.
    public struct Snapshot {
        fileprivate let layers: [any Layer]
        fileprivate let outputShape: [Int]
        public let values: [Tensor]
        fileprivate let randomPositions: [RandomSource.Position]
        fileprivate let precision: Precision
    }

    /// The values of every parameter, in order.
    public func parameterValues() -> [Tensor] {
        parameters.map(\.value)
    }

    public func snapshot() -> Snapshot {
        Snapshot(layers: layers, outputShape: outputShape, values: parameterValues(),
                 randomPositions: layers.compactMap(\.randomSource).map(\.position), precision: precision)
    }

    /// Sets the model back to `snapshot`, taken from this model.
    public func restore(_ snapshot: Snapshot) {
        layers = snapshot.layers
        outputShape = snapshot.outputShape
        parameters = layers.flatMap(\.parameters)
        precondition(snapshot.values.count == parameters.count, "a snapshot of \(snapshot.values.count) tensors for \(parameters.count) parameters")
        for (parameter, value) in zip(parameters, snapshot.values) { parameter.value = value }
        for (source, position) in zip(layers.compactMap(\.randomSource), snapshot.randomPositions) { source.position = position }
        precision = snapshot.precision
    }

    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    public func summary() -> ModelSummary {
        var rows: [ModelSummary.Row] = []
        var shape = inputShape
        var seen: [String: Int] = [:]
        for layer in layers {
            shape = (try? layer.outputShape(for: shape)) ?? shape
            // An attached activation is part of the row before it, and takes no Keras name of its own.
            if (layer as? any AttachableActivation)?.attached == true, let owner = rows.last {
                rows.append(.init(name: owner.name + "." + kerasName(layer.kind), kind: layer.kind, outputShape: shape,
                                  parameterCount: 0, attachedTo: owner.attachedTo ?? owner.name))
                continue
            }
            // Keras names layers dense, dense_1, dense_2, …
            let base = kerasName(layer.kind)
            let index = seen[base, default: 0]
            seen[base] = index + 1
            rows.append(.init(name: index == 0 ? base : "\(base)_\(index)", kind: layer.kind,
                              outputShape: shape, parameterCount: layer.parameterCount))
        }
        return ModelSummary(inputShape: inputShape, rows: rows)
    }
}

/// What `summary` shows: per layer its name, type, output shape and parameter count; the totals.
public struct ModelSummary: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public let name: String
        public let kind: String
        public let outputShape: [Int]
        public let parameterCount: Int
        /// The row this activation belongs to (see `AttachableActivation`), or nil.
        public let attachedTo: String?

        public init(name: String, kind: String, outputShape: [Int], parameterCount: Int, attachedTo: String? = nil) {
            (self.name, self.kind, self.outputShape, self.parameterCount, self.attachedTo) = (name, kind, outputShape, parameterCount, attachedTo)
        }
    }

    public let inputShape: [Int]
    public let rows: [Row]

    public var totalParameters: Int { rows.reduce(0) { $0 + $1.parameterCount } }
    /// Every parameter is a 4-byte Float.
    public var totalBytes: Int { totalParameters * MemoryLayout<Float>.size }
}

/// Keras's layer-name rule: CamelCase to snake_case ("MaxPooling2D" → "max_pooling2d", "ReLU" → "re_lu").
func kerasName(_ kind: String) -> String {
    kind.replacingOccurrences(of: "(.)([A-Z][a-z]+)", with: "$1_$2", options: .regularExpression)
        .replacingOccurrences(of: "([a-z])([A-Z])", with: "$1_$2", options: .regularExpression)
        .lowercased()
}
