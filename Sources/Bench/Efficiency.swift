import Core
import Foundation

/// How much of the machine a workload uses: the arithmetic it needs, counted analytically, and
/// the speed of matrix products at the very shapes it runs (`caderno bench gemm`).
///
/// Counted (one multiply-add is 2 FLOPs):
/// - Dense(in => out), per sample: forward 2·in·out + out (bias); backward 2·in·out for the
///   weight gradient + out for the bias, and 2·in·out more for the input gradient unless it is
///   the first layer (nothing asks for that one).
/// - Conv2D(C => F, k×k) giving Ho×Wo, per sample: forward 2·Ho·Wo·F·C·k² + Ho·Wo·F (bias);
///   backward the same for the weight gradient, and again for the input gradient unless first.
/// - The update, per parameter: SGD 2, +2 with momentum, +2 with weight decay; Adam 14 (+2 with
///   decay): m 3, v 4, the step 7 (two divisions, a square root, an addition, a multiplication,
///   a division, a subtraction).
/// - Activations, pooling, dropout, softmax and the loss count nothing: they move memory, and a
///   GEMM-relative efficiency is about the arithmetic.
public enum Efficiency {
    public static func trainingFLOPs(_ model: Sequential, batch: Int, optimizer: any Optimizer) -> Double {
        let n = Double(batch)
        let products = work(of: model).reduce(0.0) { total, layer in
            // forward, weight and bias gradients, and the input gradient unless it is the model's first layer
            total + n * (2 * (2 * layer.macs + layer.outputs) + (layer.index > 0 ? 2 * layer.macs : 0))
        }
        return products + Double(model.parameterCount) * updateFLOPs(optimizer)
    }

    public static func inferenceFLOPs(_ model: Sequential, batch: Int) -> Double {
        work(of: model).reduce(0.0) { $0 + Double(batch) * (2 * $1.macs + $1.outputs) }
    }

    static func updateFLOPs(_ optimizer: any Optimizer) -> Double {
        switch optimizer {
        case let sgd as SGD: 2 + (sgd.momentum != 0 ? 2 : 0) + (sgd.weightDecay != 0 ? 2 : 0)
        case let adam as Adam: 14 + (adam.weightDecay != 0 ? 2 : 0)
        default: 0
        }
    }

    /// Each layer with weights: its place in the model, multiply-adds and outputs per sample.
    private static func work(of model: Sequential) -> [(index: Int, macs: Double, outputs: Double)] {
        var shape = model.inputShape
        var layers: [(index: Int, macs: Double, outputs: Double)] = []
        for (index, layer) in model.layers.enumerated() {
            let output = (try? layer.outputShape(for: shape)) ?? shape
            defer { shape = output }
            switch layer {
            case let dense as Dense:
                layers.append((index, Double(dense.inputSize * dense.outputSize), Double(dense.outputSize)))
            case let conv as Conv2D:
                let positions = Double(output[1] * output[2])
                layers.append((index, positions * Double(conv.filters * conv.inputChannels * conv.kernelSize * conv.kernelSize),
                               positions * Double(conv.filters)))
            default:
                break
            }
        }
        return layers
    }

    /// The products one training step of `setup` asks for, recorded as it runs one batch.
    public static func productShapes(_ setup: Benchmark.Setup) -> [BLAS.Shape] {
        let batch = setup.train.prefix(setup.batchSize)
        return BLAS.recordShapes {
            _ = try? setup.trainer.fit(batch, epochs: 1, batchSize: setup.batchSize, shuffle: false)
        }
    }

    /// GFLOP/s of running `shapes` back to back (fresh buffers, each product from contiguous
    /// storage), the median of at least five passes and a quarter second.
    public static func gemmThroughput(_ shapes: [BLAS.Shape]) -> Double {
        guard !shapes.isEmpty else { return .nan }
        let largestA = shapes.map { $0.m * $0.k }.max()!, largestB = shapes.map { $0.k * $0.n }.max()!
        let largestC = shapes.map { $0.m * $0.n }.max()!
        let a = [Float](repeating: 0.5, count: largestA), b = [Float](repeating: 0.25, count: largestB)
        var c = [Float](repeating: 0, count: largestC)
        let flops = shapes.reduce(0.0) { $0 + $1.flops }
        var passes: [Double] = []
        var spent = 0.0
        while passes.count < 5 || spent < 0.25 {
            let started = DispatchTime.now()
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        for shape in shapes {
                            BLAS.gemm(a.baseAddress!, transposeA: shape.transposeA, b.baseAddress!, transposeB: shape.transposeB,
                                      c.baseAddress!, m: shape.m, n: shape.n, k: shape.k, beta: 1, precision: shape.precision)
                        }
                    }
                }
            }
            let seconds = seconds(since: started)
            passes.append(seconds)
            spent += seconds
            if passes.count >= 200 { break }
        }
        return flops / median(passes) / 1e9
    }
}
