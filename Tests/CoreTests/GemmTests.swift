@testable import Core
import Testing

/// The matrix product's promise (CGemm.h): each entry of C is one chain of fused multiply-adds over
/// k in order, starting from β·C — so it equals, bit for bit, the plain loop below, whatever the
/// tile, depth block, row block or column block the entry falls in, and whatever thread split.
@Suite struct GemmTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let m, n, k: Int
        let alpha, beta: Float
        var testDescription: String { "\(m)×\(n)×\(k) α \(alpha) β \(beta)" }
    }

    static let cases = [
        Case(m: 1, n: 1, k: 1, alpha: 1, beta: 0),
        Case(m: 7, n: 33, k: 5, alpha: 1, beta: 1),        // edges of a tile each way
        Case(m: 12, n: 32, k: 321, alpha: 1, beta: 0),     // two depth blocks
        Case(m: 125, n: 37, k: 650, alpha: 0.75, beta: 1), // more rows than a row block; three depth blocks
        Case(m: 13, n: 1553, k: 17, alpha: 1, beta: 0.5),  // more columns than a column block
        Case(m: 20, n: 50, k: 700, alpha: 1, beta: 0.5),   // β applied once, at the first depth block
        Case(m: 3, n: 5, k: 0, alpha: 1, beta: 0.5),       // no depth: C = β·C
    ]

    /// The loop the kernel must equal: α·a rounded first, then c = fma(α·a, b, c) for k = 0, 1, ….
    static func reference(_ a: [Float], _ transposeA: Bool, _ b: [Float], _ transposeB: Bool, _ c: [Float],
                          _ s: Case) -> [Float] {
        var result = c
        for i in 0..<s.m {
            for j in 0..<s.n {
                var sum: Float = s.beta == 0 ? 0 : s.beta == 1 ? c[i * s.n + j] : s.beta * c[i * s.n + j]
                for p in 0..<s.k {
                    let x = transposeA ? a[p * s.m + i] : a[i * s.k + p]
                    let y = transposeB ? b[j * s.k + p] : b[p * s.n + j]
                    sum.addProduct(s.alpha == 1 ? x : s.alpha * x, y)
                }
                result[i * s.n + j] = sum
            }
        }
        return result
    }

    @Test(arguments: cases) func everyEntryIsOneChainInOrder(_ s: Case) {
        let random = RandomSource(seed: UInt64(s.m * 1_000 + s.n * 10 + s.k))
        let a = (0..<s.m * s.k).map { _ in random.nextFloat(in: -1, 1) }
        let b = (0..<s.k * s.n).map { _ in random.nextFloat(in: -1, 1) }
        let start = (0..<s.m * s.n).map { _ in random.nextFloat(in: -1, 1) }
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            var c = start
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        BLAS.product(a.baseAddress!, transposeA, transposeA ? s.m : s.k, b.baseAddress!, transposeB,
                                     transposeB ? s.k : s.n, c.baseAddress!, s.n, m: s.m, n: s.n, k: s.k,
                                     alpha: s.alpha, beta: s.beta)
                    }
                }
            }
            let expected = Self.reference(a, transposeA, b, transposeB, start, s)
            let differing = zip(c, expected).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "transposeA \(transposeA) transposeB \(transposeB)")
        }
    }

    /// β = 0 never reads C: what it held (here NaN) does not leak into the product.
    @Test func betaZeroIgnoresWhatCHeld() {
        let (m, n, k) = (9, 20, 3)
        let a = [Float](repeating: 1, count: m * k), b = [Float](repeating: 2, count: k * n)
        var c = [Float](repeating: .nan, count: m * n)
        BLAS.gemm(a, b, &c, m: m, n: n, k: k)
        #expect(c.allSatisfy { $0 == 6 })
    }

    /// A slice of C asked for alone (a thread's columns, a chunk's images) is the same bits as
    /// those entries of the whole product.
    @Test func aSliceIsTheWholeProductsSlice() {
        let (m, n, k) = (64, 1573, 288)
        let random = RandomSource(seed: 3)
        let a = (0..<m * k).map { _ in random.nextFloat(in: -1, 1) }
        let b = (0..<k * n).map { _ in random.nextFloat(in: -1, 1) }
        var whole = [Float](repeating: 0, count: m * n), pieces = whole
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                whole.withUnsafeMutableBufferPointer { c in
                    BLAS.product(a.baseAddress!, false, k, b.baseAddress!, false, n, c.baseAddress!, n, m: m, n: n, k: k, alpha: 1, beta: 0)
                }
                pieces.withUnsafeMutableBufferPointer { c in
                    for start in stride(from: 0, to: n, by: 363) {
                        BLAS.product(a.baseAddress! + 5 * k, false, k, b.baseAddress! + start, false, n, c.baseAddress! + 5 * n + start, n,
                                     m: m - 5, n: min(363, n - start), k: k, alpha: 1, beta: 0)
                        BLAS.product(a.baseAddress!, false, k, b.baseAddress! + start, false, n, c.baseAddress! + start, n,
                                     m: 5, n: min(363, n - start), k: k, alpha: 1, beta: 0)
                    }
                }
            }
        }
        #expect(zip(whole, pieces).filter { $0.bitPattern != $1.bitPattern }.count == 0)
    }
}
