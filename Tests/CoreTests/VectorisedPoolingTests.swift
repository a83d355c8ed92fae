@testable import Core
import Testing

/// 2×2 pooling with stride 2 runs sixteen windows at a time (eight without AVX-512); it must pick
/// what the one-window rule picks — the first strictly larger pixel in reading order — on rows
/// shorter than, equal to and longer than a vector, odd sizes that leave an edge, ties, signed zeros and NaNs.
@Suite struct VectorisedPoolingTests {
    /// The rule, one window at a time: (maximum, index of its pixel) for each output.
    func reference(_ x: [Float], planes: Int, height: Int, width: Int) -> [(Float, Int)] {
        var result: [(Float, Int)] = []
        for plane in 0..<planes {
            for oh in 0..<height / 2 {
                for ow in 0..<width / 2 {
                    let corner = (plane * height + 2 * oh) * width + 2 * ow
                    var best = corner
                    for pixel in [corner + 1, corner + width, corner + width + 1] where x[pixel] > x[best] { best = pixel }
                    result.append((x[best], best))
                }
            }
        }
        return result
    }

    @Test(arguments: [(2, 2), (3, 5), (4, 30), (6, 32), (5, 32), (6, 33), (2, 34), (7, 65)])
    func windowsMatchTheOneAtATimeRule(height: Int, width: Int) {
        let random = RandomSource(seed: UInt64(height * 100 + width))
        let planes = 3
        // Few distinct values, so ties are everywhere; some signed zeros and NaNs.
        let special: [Float] = [0, -0.0, .nan, 1]
        let x: [Float] = (0..<planes * height * width).map { _ in
            random.next() % 5 == 0 ? special[Int(random.next() % 4)] : Float(Int(random.next() % 4)) - 1
        }
        let expected = reference(x, planes: planes, height: height, width: width)
        let pool = MaxPool2D(2)
        let y = pool.forward(Tensor(shape: [1, planes, height, width], scalars: x), training: true)
        #expect(y.scalars.map(\.bitPattern) == expected.map(\.0.bitPattern))
        #expect(pool.forward(Tensor(shape: [1, planes, height, width], scalars: x), training: false).scalars.map(\.bitPattern)
                == expected.map(\.0.bitPattern))
        // Backward sends each output's gradient to its winner and zero to every other pixel.
        let dy = (0..<expected.count).map { Float($0 + 1) }
        var dx = [Float](repeating: 0, count: x.count)
        for (i, (_, winner)) in expected.enumerated() { dx[winner] = dy[i] }
        _ = pool.forward(Tensor(shape: [1, planes, height, width], scalars: x), training: true)
        #expect(pool.backward(Tensor(shape: y.shape, scalars: dy)).scalars == dx)
    }
}
