@testable import Core
import Testing

/// im2col and col2im against their definitions, element by element (col2im's additions in the
/// same order, so bit for bit): rows wholly inside the image, rows that start or end in the
/// padding, even kernels padded at the bottom and right, and rows longer than a vector.
@Suite struct ColumnsTests {
    static let geometries: [(kernel: Int, padding: Padding, height: Int, width: Int)] = [
        (3, .valid, 13, 13), (3, .same, 7, 7), (3, .same, 5, 17), (2, .same, 4, 20), (5, .same, 6, 33), (1, .valid, 3, 40),
    ]

    func geometry(_ case: (kernel: Int, padding: Padding, height: Int, width: Int)) -> Geometry {
        Geometry(batch: 2, channels: 3, height: `case`.height, width: `case`.width, kernel: `case`.kernel, padding: `case`.padding)
    }

    /// x[n, c, ih, iw], or 0 in the padding.
    func pixel(_ x: [Float], _ g: Geometry, _ n: Int, _ c: Int, _ ih: Int, _ iw: Int) -> Float {
        ih < 0 || ih >= g.height || iw < 0 || iw >= g.width ? 0 : x[((n * g.channels + c) * g.height + ih) * g.width + iw]
    }

    @Test(arguments: geometries) func im2colIsItsDefinition(case: (kernel: Int, padding: Padding, height: Int, width: Int)) {
        let g = geometry(`case`)
        let x = (0..<g.batch * g.channels * g.height * g.width).map { Float($0 % 97) - 40 }
        let rows = g.channels * g.kernel * g.kernel
        var columns = [Float](repeating: .nan, count: rows * g.columns)   // every entry must be written
        x.withUnsafeBufferPointer { x in columns.withUnsafeMutableBufferPointer { im2col(x.baseAddress!, $0.baseAddress!, g, images: 0 ..< g.batch, rowStride: g.columns) } }
        var expected: [Float] = []
        for c in 0..<g.channels {
            for i in 0..<g.kernel {
                for j in 0..<g.kernel {
                    for n in 0..<g.batch {
                        for oh in 0..<g.outputHeight {
                            for ow in 0..<g.outputWidth { expected.append(pixel(x, g, n, c, oh + i - g.padTop, ow + j - g.padLeft)) }
                        }
                    }
                }
            }
        }
        #expect(columns == expected)
    }

    @Test(arguments: geometries) func col2imAddsEachEntryToItsPixel(case: (kernel: Int, padding: Padding, height: Int, width: Int)) {
        let g = geometry(`case`)
        let rows = g.channels * g.kernel * g.kernel
        // Values whose sums round, so the order of the additions shows in the bits.
        let columns = (0..<rows * g.columns).map { Float($0 % 89) * 0.37 - 11.1 }
        var dx = [Float](repeating: 0, count: g.batch * g.channels * g.height * g.width)
        columns.withUnsafeBufferPointer { c in dx.withUnsafeMutableBufferPointer { col2im(c.baseAddress!, $0.baseAddress!, g, images: 0 ..< g.batch, rowStride: g.columns) } }
        var expected = [Float](repeating: 0, count: dx.count)
        var entry = 0
        for c in 0..<g.channels {
            for i in 0..<g.kernel {
                for j in 0..<g.kernel {
                    for n in 0..<g.batch {
                        for oh in 0..<g.outputHeight {
                            for ow in 0..<g.outputWidth {
                                let (ih, iw) = (oh + i - g.padTop, ow + j - g.padLeft)
                                if ih >= 0 && ih < g.height && iw >= 0 && iw < g.width {
                                    expected[((n * g.channels + c) * g.height + ih) * g.width + iw] += columns[entry]
                                }
                                entry += 1
                            }
                        }
                    }
                }
            }
        }
        #expect(dx.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
