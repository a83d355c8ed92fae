@testable import Core
import Testing

/// Conv2D unrolls, multiplies and folds back a few images at a time (Geometry.imagesPerChunk).
/// A training step must still give, bit for bit, what one product over the whole batch gives —
/// the weights a seed gives and every recorded notebook depend on it: the same sums in the same
/// order, only in pieces. The reference here is the whole batch's columns and one product each way.
@Suite struct ConvolutionChunkTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let channels, filters, height, width, batch: Int
        let padding: Padding
        var testDescription: String { "\(channels)⇒\(filters) at \(height)×\(width) (\(padding)), \(batch) images" }
    }

    static let cases = [
        // The Keras CNN's second layer: chunks of 3 or 4 images, six or seven a thread.
        Case(channels: 32, filters: 64, height: 13, width: 13, batch: 13, padding: .valid),
        // Padded, and a thread's images (4 or 5) fewer than a chunk's 7: one chunk each.
        Case(channels: 8, filters: 16, height: 16, width: 16, batch: 9, padding: .same),
    ]

    @Test(arguments: cases) func aChunkedStepIsTheWholeBatchsStep(_ c: Case) {
        let layer = Conv2D(c.channels, c.filters, kernelSize: 3, padding: c.padding, activation: .relu, random: RandomSource(seed: 5))
        layer.bias.value = GradientCheck.randomTensor([c.filters], seed: 8)
        let x = GradientCheck.randomTensor([c.batch, c.channels, c.height, c.width], seed: 4)
        let g = Geometry(batch: c.batch, channels: c.channels, height: c.height, width: c.width, kernel: 3, padding: c.padding)
        let (patch, columnCount, area, filters) = (g.patch, g.columns, g.outputArea, c.filters)

        // The whole batch at once: columns [C·9, N·Ho·Wo]; product [F, N·Ho·Wo] = W · columns + b.
        var columns = [Float](repeating: 0, count: patch * columnCount)
        var product = (0..<filters).flatMap { [Float](repeating: layer.bias.value.scalars[$0], count: columnCount) }
        x.scalars.withUnsafeBufferPointer { x in
            columns.withUnsafeMutableBufferPointer { im2col(x.baseAddress!, $0.baseAddress!, g, images: 0 ..< c.batch, rowStride: columnCount) }
        }
        layer.weight.value.scalars.withUnsafeBufferPointer { w in
            columns.withUnsafeBufferPointer { cols in
                product.withUnsafeMutableBufferPointer { p in
                    BLAS.product(w.baseAddress!, false, patch, cols.baseAddress!, false, columnCount, p.baseAddress!, columnCount,
                                 m: filters, n: columnCount, k: patch, alpha: 1, beta: 1)
                }
            }
        }
        var expected = [Float](repeating: 0, count: c.batch * filters * area)
        for n in 0..<c.batch {
            for f in 0..<filters {
                for i in 0..<area { expected[(n * filters + f) * area + i] = max(product[f * columnCount + n * area + i], 0) }
            }
        }
        let y = layer.forward(x, training: true)
        #expect(zip(y.scalars, expected).filter { $0.bitPattern != $1.bitPattern }.count == 0, "outputs that differ")
        #expect(expected.contains { $0 > 0 } && expected.contains { $0 == 0 })

        // Backward: d = dy · [y > 0] as [F, N·Ho·Wo]; dcolumns = Wᵀ · d, folded onto the pixels.
        let dy = GradientCheck.randomTensor(y.shape, seed: 9)
        var d = [Float](repeating: 0, count: filters * columnCount)
        for n in 0..<c.batch {
            for f in 0..<filters {
                for i in 0..<area {
                    let at = (n * filters + f) * area + i
                    d[f * columnCount + n * area + i] = y.scalars[at] > 0 ? dy.scalars[at] : 0
                }
            }
        }
        var dColumns = [Float](repeating: 0, count: patch * columnCount)
        var dx = [Float](repeating: 0, count: x.count)
        layer.weight.value.scalars.withUnsafeBufferPointer { w in
            d.withUnsafeBufferPointer { d in
                dColumns.withUnsafeMutableBufferPointer { dc in
                    BLAS.product(w.baseAddress!, true, patch, d.baseAddress!, false, columnCount, dc.baseAddress!, columnCount,
                                 m: patch, n: columnCount, k: filters, alpha: 1, beta: 0)
                }
            }
        }
        dColumns.withUnsafeBufferPointer { dc in
            dx.withUnsafeMutableBufferPointer { col2im(dc.baseAddress!, $0.baseAddress!, g, images: 0 ..< c.batch, rowStride: columnCount) }
        }
        let dxLayer = layer.backward(dy, needsInputGradient: true)
        #expect(zip(dxLayer.scalars, dx).filter { $0.bitPattern != $1.bitPattern }.count == 0, "input gradients that differ")
        #expect(dx.contains { $0 != 0 })
    }

    /// Chunks hold about 512 KB of columns, and at least one image.
    @Test func chunkSizes() {
        func size(_ channels: Int, _ filters: Int, _ side: Int, _ padding: Padding) -> Int {
            Geometry(batch: 64, channels: channels, height: side, width: side, kernel: 3, padding: padding).imagesPerChunk(filters: filters)
        }
        #expect(size(32, 64, 13, .valid) == 3)      // 288 × 121 values an image: 418 KB
        #expect(size(128, 128, 3, .same) == 12)
        #expect(size(512, 512, 64, .same) == 1)     // one image is more than the cache
        #expect(size(2, 4, 6, .same) == 202)        // 18 × 36 values an image: 2.5 KB
    }

    /// A plan covers the batch once, in order; every chunk holds at least `size` images unless its
    /// part has fewer, and no more than `largest`.
    @Test(arguments: [(13, 2, 3), (13, 1, 3), (7, 2, 3), (5, 2, 7), (3, 4, 1), (128, 2, 3)])
    func plansCoverTheBatch(batch: Int, threads: Int, size: Int) {
        let g = Geometry(batch: batch, channels: 1, height: 5, width: 5, kernel: 3, padding: .valid)
        let plan = ChunkPlan(batch: batch, parts: max(1, min(threads, batch)), size: size)
        var seen: [Range<Int>] = []
        plan.forEachChunk { seen.append($0) }
        #expect(seen.flatMap { Array($0) } == Array(0..<batch))
        for part in 0..<plan.parts {
            var mine: [Range<Int>] = []
            plan.forEachChunk(ofPart: part) { mine.append($0) }
            let counts: [Int] = mine.map(\.count)
            let partSize: Int = (part + 1) * batch / plan.parts - part * batch / plan.parts
            #expect(counts.reduce(0, +) == partSize)
            #expect(counts.allSatisfy { $0 <= plan.largest })
            #expect(counts.count == 1 || counts.allSatisfy { $0 >= size })
        }
        #expect(ChunkPlan(g, filters: 4, threads: threads).parts == min(threads, batch))
        // The Keras CNN's second layer at batch 128: 21 chunks of 3 or 4 images a thread.
        if batch == 128 { #expect(seen.count == 42 && seen.allSatisfy { (3...4).contains($0.count) }) }
    }
}
