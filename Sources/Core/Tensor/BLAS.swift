import CGemm
import Foundation
import Synchronization

/// Matrix products: never a triple loop on a hot path. They run Caderno's own kernel
/// (`Sources/CGemm`), in which each entry of a product is one chain of fused multiply-adds in
/// order — so a product gives the same bits on every machine, for every thread split and chunk,
/// and a notebook recorded on one computer checks on another. OpenBLAS, used before, adds partial
/// sums in orders that differ between CPUs (its AVX-512 and AVX2 kernels) and between a product
/// and its halves; a notebook recorded on one machine drifted by 0.3% on another.
///
/// The kernel runs single-threaded; a large product is split here into one part per core (by
/// rows or columns of the result) on the same threads that run the element-wise work.
public enum BLAS {
    /// C[m×n] = beta · C + alpha · op(A) · op(B), all row-major: each entry one chain of fused
    /// multiply-adds over k in order, from beta · C (CGemm.h).
    /// op(A) is m×k (A is k×m when `transposeA`), op(B) is k×n (B is n×k when `transposeB`).
    public static func gemm(
        _ a: UnsafePointer<Float>, transposeA: Bool = false,
        _ b: UnsafePointer<Float>, transposeB: Bool = false,
        _ c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0, precision: Precision = .float32
    ) {
        note(Shape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, precision: precision))
        let (lda, ldb) = (transposeA ? m : k, transposeB ? k : n)
        let parts = threads
        // Below about a million multiply-adds a thread hand-off costs more than it saves.
        guard parts > 1, m * n * k >= 1 << 20, max(m, n) >= 2 * parts else {
            product(a, transposeA, lda, b, transposeB, ldb, c, n, m: m, n: n, k: k, alpha: alpha, beta: beta, precision: precision)
            return
        }
        if n >= m {
            // Columns [start, end) of C take the same columns of op(B).
            parallelFor(n, parts: parts) { columns in
                let offsetB = transposeB ? columns.lowerBound * ldb : columns.lowerBound
                product(a, transposeA, lda, b + offsetB, transposeB, ldb, c + columns.lowerBound, n,
                        m: m, n: columns.count, k: k, alpha: alpha, beta: beta, precision: precision)
            }
        } else {
            // Rows [start, end) of C take the same rows of op(A).
            parallelFor(m, parts: parts) { rows in
                let offsetA = transposeA ? rows.lowerBound : rows.lowerBound * lda
                product(a + offsetA, transposeA, lda, b, transposeB, ldb, c + rows.lowerBound * n, n,
                        m: rows.count, n: n, k: k, alpha: alpha, beta: beta, precision: precision)
            }
        }
    }

    /// One single-threaded product with explicit leading dimensions, for callers that split work
    /// themselves (a chunk of `parallelFor`).
    @inline(__always)
    static func product(_ a: UnsafePointer<Float>, _ transposeA: Bool, _ lda: Int,
                                _ b: UnsafePointer<Float>, _ transposeB: Bool, _ ldb: Int,
                                _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                                m: Int, n: Int, k: Int, alpha: Float, beta: Float, precision: Precision = .float32) {
        switch precision {
        case .float32: caderno_gemm(a, transposeA ? 1 : 0, lda, b, transposeB ? 1 : 0, ldb, c, ldc, m, n, k, alpha, beta)
        case .bfloat16: caderno_gemm_bf16(a, transposeA ? 1 : 0, lda, b, transposeB ? 1 : 0, ldb, c, ldc, m, n, k, alpha, beta)
        }
    }

    /// One product's sizes: C[m×n] += op(A)[m×k] · op(B)[k×n], and the precision of its inputs.
    public struct Shape: Hashable, Sendable, CustomStringConvertible {
        public let m, n, k: Int
        public let transposeA, transposeB: Bool
        public let precision: Precision
        public init(m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false, precision: Precision = .float32) {
            (self.m, self.n, self.k, self.transposeA, self.transposeB) = (m, n, k, transposeA, transposeB)
            self.precision = precision
        }
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
        public var description: String { "\(m)×\(k)\(transposeA ? "ᵀ" : "") · \(k)×\(n)\(transposeB ? "ᵀ" : "")" }
    }

    /// The products `body` runs, in order, as `gemm` was asked for them (`caderno bench gemm`
    /// times each workload's own shapes this way). Only products asked for on this thread count,
    /// so work elsewhere in the process (another test, say) is not mixed in; one recording runs
    /// at a time. Outside a recording, a product pays one relaxed load.
    public static func recordShapes(_ body: () -> Void) -> [Shape] {
        oneRecording.lock()
        defer { oneRecording.unlock() }
        recorded.withLock { $0 = [] }
        recorder.store(currentThread(), ordering: .releasing)
        body()
        recorder.store(0, ordering: .releasing)
        return recorded.withLock { $0 }
    }

    private static let oneRecording = NSLock()
    /// The thread whose products are being recorded; 0 when none is.
    private static let recorder = Atomic<UInt>(0)
    private static let recorded = Mutex<[Shape]>([])

    private static func currentThread() -> UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }

    /// Records a product about to run (`gemm` does; a caller of `product` that splits work
    /// itself notes each product it runs).
    @inline(__always)
    static func note(_ shape: @autoclosure () -> Shape, times: Int = 1) {
        let thread = recorder.load(ordering: .relaxed)
        if thread != 0 && thread == currentThread() {
            let shape = shape()
            recorded.withLock { $0 += repeatElement(shape, count: times) }
        }
    }

    private static let threadSetting = Atomic<Int>(Parallel.cores)

    /// Threads a product (and the work between products) is split across; the machine's cores by default.
    public static var threads: Int {
        get { threadSetting.load(ordering: .relaxed) }
        set { threadSetting.store(max(1, newValue), ordering: .relaxed) }
    }
}

/// What a layer's products multiply: its inputs as they are, or rounded to bfloat16. Weights,
/// activations, gradients and the optimizer stay single precision either way; only the operands
/// of each matrix product are rounded (8 bits of mantissa instead of 24), and the products are
/// summed in single precision — what `torch.autocast(dtype=torch.bfloat16)` and Keras's
/// `mixed_bfloat16` do for a CPU's products.
public enum Precision: String, Sendable, CaseIterable {
    case float32
    case bfloat16

    /// True when bfloat16 products run the CPU's own instruction (AVX512-BF16: two multiply-adds
    /// where an FMA does one); elsewhere they are emulated — the same numbers, more slowly.
    public static var bfloat16IsNative: Bool { caderno_gemm_bf16_is_native() != 0 }
}

/// A layer whose work is matrix products, so it can run them in another precision.
public protocol Multiplying: AnyObject {
    var precision: Precision { get set }
}
