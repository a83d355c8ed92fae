@testable import Core
import Testing

/// The matrix product's promise (CGemm.h): each entry of C is one chain of fused multiply-adds over
/// k in order, starting from β·C — so it equals, bit for bit, the plain loop below, whatever the
/// tile, depth block, row block or column block the entry falls in, and whatever thread split.
@Suite struct GemmTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let m, n, k: Int
        let alpha, beta: Float
        var precision = Precision.float32
        var testDescription: String { "\(m)×\(n)×\(k) α \(alpha) β \(beta) \(precision)" }
    }

    static let cases = [
        Case(m: 1, n: 1, k: 1, alpha: 1, beta: 0),
        Case(m: 7, n: 33, k: 5, alpha: 1, beta: 1),        // edges of a tile each way
        Case(m: 12, n: 32, k: 321, alpha: 1, beta: 0),     // two depth blocks
        Case(m: 125, n: 37, k: 650, alpha: 0.75, beta: 1), // more rows than a row block; three depth blocks
        Case(m: 13, n: 1553, k: 17, alpha: 1, beta: 0.5),  // more columns than a column block
        Case(m: 20, n: 50, k: 700, alpha: 1, beta: 0.5),   // β applied once, at the first depth block
        Case(m: 3, n: 5, k: 0, alpha: 1, beta: 0.5),       // no depth: C = β·C
        Case(m: 32, n: 9, k: 700, alpha: 1, beta: 1),      // narrow: computed as Cᵀ = Bᵀ·Aᵀ
        Case(m: 128, n: 10, k: 1601, alpha: 1, beta: 0),   // narrow, odd depth
        Case(m: 40, n: 5, k: 33, alpha: 0.75, beta: 0),    // narrow, but α ≠ 1 keeps it the right way round
    ]

    /// The same cases with bfloat16 inputs.
    static let halfCases = cases.map { Case(m: $0.m, n: $0.n, k: $0.k, alpha: $0.alpha, beta: $0.beta, precision: .bfloat16) }

    /// x rounded to bfloat16 by its definition, written apart from the kernel's: to nearest, ties to
    /// even, on the top 16 bits; a NaN stays a NaN; a denormal becomes a zero of its sign.
    static func bfloat16(_ x: Float) -> Float {
        if x.isNaN { return x }
        if x.isSubnormal { return x.sign == .minus ? -0.0 : 0 }
        let bits = x.bitPattern, dropped = bits & 0xFFFF, kept = bits & 0xFFFF_0000
        let upward = dropped > 0x8000 || (dropped == 0x8000 && kept & 0x1_0000 != 0)
        return Float(bitPattern: upward ? kept &+ 0x1_0000 : kept)
    }

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
                    let scaled = s.alpha == 1 ? x : s.alpha * x
                    if s.precision == .bfloat16 {
                        sum.addProduct(bfloat16(scaled), bfloat16(y))
                    } else {
                        sum.addProduct(scaled, y)
                    }
                }
                result[i * s.n + j] = sum
            }
        }
        return result
    }

    /// In bfloat16 the chain is the same, on the rounded inputs: so VDPBF16PS, which takes two k
    /// a step, must add the first one's product first (and its emulation likewise).
    @Test(arguments: cases + halfCases) func everyEntryIsOneChainInOrder(_ s: Case) {
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
                                     alpha: s.alpha, beta: s.beta, precision: s.precision)
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

    /// bfloat16 reads a denormal as zero and keeps a NaN; an odd depth's padding leaves a −0 sum
    /// alone (padding with +0 · +0 would turn it into +0).
    @Test func bfloat16EdgeValues() {
        func product(_ a: [Float], _ b: [Float], _ c: Float, k: Int) -> Float {
            var c = [c]
            BLAS.gemm(a, b, &c, m: 1, n: 1, k: k, beta: 1, precision: .bfloat16)
            return c[0]
        }
        #expect(product([Float.leastNormalMagnitude / 4], [1], 0.5, k: 1) == 0.5)
        #expect(product([1, .nan], [1, 1], 0, k: 2).isNaN)
        #expect(product([-0.0], [1], -0.0, k: 1).bitPattern == (-0.0 as Float).bitPattern)
        #expect(product([1.00390625, 3], [1, 1], 0, k: 2) == 4)          // 1 + 2⁻⁸ is a tie: to even, 1
        #expect(product([1.01171875, 3], [1, 1], 0, k: 2) == 4.015625)   // 1 + 3·2⁻⁸: a tie, to even 1 + 2⁻⁶
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
