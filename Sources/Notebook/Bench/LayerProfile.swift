import Core
import Foundation

/// Where a training step spends its time, layer by layer: `caderno bench WORKLOAD --profile`.
public struct LayerProfile {
    public struct Row: Sendable {
        public let layer: String
        public let forwardSeconds: Double
        public let backwardSeconds: Double
        /// Forward in inference mode (no dropout masks, nothing kept for backward).
        public let inferenceSeconds: Double
    }

    /// Times each layer's forward and backward pass over `batches` training batches of `setup`
    /// (after one untimed batch, so buffers and BLAS threads are warm). Times are per batch.
    public static func measure(_ setup: Benchmark.Setup, batches: Int = 20) -> [Row] {
        let model = setup.trainer.model
        let layers = model.layers
        var forward = [Double](repeating: 0, count: layers.count)
        var backward = [Double](repeating: 0, count: layers.count)
        var inference = [Double](repeating: 0, count: layers.count)
        let rows = Array(0..<min(setup.batchSize, setup.train.count))
        let batch = setup.train.inputs.gatherRows(rows).reshaped([rows.count] + model.inputShape)
        let targets = setup.train.targets(rows)
        for round in 0...batches {
            var x = batch
            for (index, layer) in layers.enumerated() {
                let started = DispatchTime.now()
                x = layer.forward(x, training: true)
                if round > 0 { forward[index] += seconds(since: started) }
            }
            var y = batch
            for (index, layer) in layers.enumerated() {
                let started = DispatchTime.now()
                y = layer.forward(y, training: false)
                if round > 0 { inference[index] += seconds(since: started) }
            }
            var gradient = setup.trainer.loss.lossAndGradient(x, targets).gradient
            for (index, layer) in layers.enumerated().reversed() {
                let started = DispatchTime.now()
                gradient = layer.backward(gradient, needsInputGradient: index > 0)
                if round > 0 { backward[index] += seconds(since: started) }
            }
        }
        return layers.indices.map { Row(layer: layers[$0].description, forwardSeconds: forward[$0] / Double(batches),
                                         backwardSeconds: backward[$0] / Double(batches),
                                         inferenceSeconds: inference[$0] / Double(batches)) }
    }

    /// The rows as a table, in milliseconds per batch, with totals.
    public static func table(_ rows: [Row]) -> Table {
        func ms(_ s: Double) -> String { String(format: "%.2f", s * 1000) }
        let total = { (value: KeyPath<Row, Double>) in rows.map { $0[keyPath: value] }.reduce(0, +) }
        return Table(headers: ["layer", "forward ms", "backward ms", "inference ms"],
                     rows: rows.map { [$0.layer, ms($0.forwardSeconds), ms($0.backwardSeconds), ms($0.inferenceSeconds)] },
                     alignments: [.left, .right, .right, .right],
                     footer: ["per batch: training \(ms(total(\.forwardSeconds) + total(\.backwardSeconds))) ms, inference \(ms(total(\.inferenceSeconds))) ms"])
    }
}
