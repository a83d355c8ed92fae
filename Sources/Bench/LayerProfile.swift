import Core
import Foundation

/// Where a training step spends its time, layer by layer: `caderno bench WORKLOAD --profile`.
/// It runs the step `Trainer.fit` runs — the same layers and loss (`Sequential.trainingPath`, so
/// the fused softmax cross-entropy where fit uses it), the gradient reset and the optimizer's update.
public struct LayerProfile {
    public struct Row: Sendable {
        public let name: String
        public let forwardSeconds: Double
        public let backwardSeconds: Double
        /// Forward in inference mode (no dropout masks, nothing kept for backward).
        public let inferenceSeconds: Double
    }

    /// Times `batches` training steps on one batch of `setup` (after one untimed step, so buffers
    /// and threads are warm). Times are per batch; the loss and the update are rows of their own.
    public static func measure(_ setup: Benchmark.Setup, batches: Int = 20) -> [Row] {
        let model = setup.trainer.model
        let (layerCount, loss) = model.trainingPath(for: setup.trainer.loss)
        let layers = model.layers
        var forward = [Double](repeating: 0, count: layers.count + 2)   // layers, loss, update
        var backward = forward, inference = forward
        let rows = Array(0..<min(setup.batchSize, setup.train.count))
        let batch = setup.train.inputs.gatherRows(rows).reshaped([rows.count] + model.inputShape)
        let targets = setup.train.targets(rows)
        func time(_ total: inout Double, _ round: Int, _ body: () -> Void) {
            let started = DispatchTime.now()
            body()
            if round > 0 { total += seconds(since: started) }
        }
        for round in 0...batches {
            var x = batch
            for index in 0..<layerCount { time(&forward[index], round) { x = layers[index].forward(x, training: true) } }
            var gradient = Tensor.empty
            time(&forward[layers.count], round) { gradient = loss.lossAndGradient(x, targets).gradient }
            time(&backward[layers.count + 1], round) { model.zeroGradients() }
            for index in (0..<layerCount).reversed() {
                time(&backward[index], round) { gradient = layers[index].backward(gradient, needsInputGradient: index > 0) }
            }
            time(&backward[layers.count + 1], round) { setup.trainer.optimizer.step(model.parameters) }
            var y = batch
            for (index, layer) in layers.enumerated() { time(&inference[index], round) { y = layer.forward(y, training: false) } }
        }
        let names = layers.enumerated().map { index, layer in
            index < layerCount ? layer.description : "\(layer.description) (inference only: training fuses it into the loss)"
        } + ["loss: \(loss.name)", "update: \(setup.trainer.optimizer.name), gradients reset"]
        return names.indices.map { Row(name: names[$0], forwardSeconds: forward[$0] / Double(batches),
                                       backwardSeconds: backward[$0] / Double(batches), inferenceSeconds: inference[$0] / Double(batches)) }
    }
}

