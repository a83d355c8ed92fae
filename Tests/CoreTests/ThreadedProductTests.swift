@testable import Core
import Foundation
import Testing

/// The product split across threads (by rows or by columns) equals the single-threaded one bit for
/// bit, and a plain triple loop in double precision within rounding, for every transpose
/// combination and shapes that do not divide evenly.
@Suite(.serialized) struct ThreadedProductTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 7, 3), (13, 1, 5),                     // degenerate
        (127, 131, 67), (257, 263, 17), (101, 97, 113),       // primes, large enough to split
        (4099, 3, 97), (3, 4099, 97),                         // tall and wide
        (1, 1031, 1031), (1031, 1, 1031),                     // a row, a column
    ]

    @Test(arguments: shapes)
    func threadedEqualsSingleThreaded(_ shape: (m: Int, n: Int, k: Int)) {
        let (m, n, k) = shape
        let random = RandomSource(seed: UInt64(m * 31 + n * 7 + k))
        let a = (0..<m * k).map { _ in random.nextFloat(in: -1, 1) }
        let b = (0..<k * n).map { _ in random.nextFloat(in: -1, 1) }
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            func product(threads: Int) -> [Float] {
                BLAS.threads = threads
                var c = [Float](repeating: 0.5, count: m * n)   // beta = 1 keeps what C held
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        c.withUnsafeMutableBufferPointer { c in
                            BLAS.gemm(a.baseAddress!, transposeA: transposeA, b.baseAddress!, transposeB: transposeB, c.baseAddress!,
                                      m: m, n: n, k: k, alpha: 0.75, beta: 1)
                        }
                    }
                }
                return c
            }
            // The operands are the same arrays read either way: A is m×k, or k×m when transposed.
            func elementA(_ i: Int, _ p: Int) -> Double { Double(transposeA ? a[p * m + i] : a[i * k + p]) }
            func elementB(_ p: Int, _ j: Int) -> Double { Double(transposeB ? b[j * k + p] : b[p * n + j]) }
            let single = product(threads: 1), threaded = product(threads: 2)
            var worst = 0.0, worstReference = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k { sum += elementA(i, p) * elementB(p, j) }
                    let reference = 0.5 + 0.75 * sum
                    worst = max(worst, Double(abs(threaded[i * n + j] - single[i * n + j])))
                    worstReference = max(worstReference, abs(Double(threaded[i * n + j]) - reference))
                }
            }
            #expect(worst == 0, "\(m)×\(n)×\(k) transposeA \(transposeA) transposeB \(transposeB)")
            #expect(worstReference <= 1e-5 * Double(k), "\(m)×\(n)×\(k) against the triple loop")
        }
    }
}

/// The pool's chunks are claimed: every chunk of every job runs exactly once, whichever thread
/// gets it — also when a chunk is slow and the other threads run out of their own.
@Suite struct WorkerPoolTests {
    @Test func everyChunkRunsExactlyOnce() {
        let parts = min(WorkerPool.shared.helpers + 1, WorkerPool.maximumChunks)
        for job in 0..<2_000 {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: parts)
            counts.initialize(repeating: 0, count: parts)
            defer { counts.deallocate() }
            WorkerPool.shared.run(parts) { chunk in
                // Now and then one chunk dawdles, so the others' threads finish first and look for more.
                if job % 97 == chunk { usleep(200) }
                counts[chunk] += 1
            }
            #expect((0..<parts).allSatisfy { counts[$0] == 1 }, "job \(job)")
        }
    }

    /// A helper asleep when a job comes (it sleeps after 2 ms without one) takes tens of
    /// microseconds to wake: by then the caller has run the helper's chunk itself. A pool of its
    /// own, so no other test's job makes this one run inline.
    @Test func aLateHelpersChunkIsRunByTheCaller() {
        let pool = WorkerPool(helpers: 1)
        let caller = pthread_self()
        var stolen = 0
        for _ in 0..<20 {
            usleep(5_000)
            var ranOn = [pthread_t?](repeating: nil, count: 2)
            ranOn.withUnsafeMutableBufferPointer { ranOn in pool.run(2) { ranOn[$0] = pthread_self() } }
            if let helperChunk = ranOn[1], pthread_equal(helperChunk, caller) != 0 { stolen += 1 }
        }
        #expect(stolen > 0, "the caller never ran a sleeping helper's chunk in 20 jobs")
    }

    @Test func aJobStartedInsideAChunkRunsInline() {
        var inner = [Int](repeating: 0, count: 4)
        inner.withUnsafeMutableBufferPointer { inner in
            WorkerPool.shared.run(2) { chunk in
                if chunk == 0 { WorkerPool.shared.run(4) { inner[$0] += 1 } }
            }
        }
        #expect(inner == [1, 1, 1, 1])
    }
}
