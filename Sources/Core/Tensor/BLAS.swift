import CBLAS

/// Matrix products go through BLAS (`cblas_sgemm`): never a triple loop on a hot path.
public enum BLAS {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major.
    /// op(A) is m×k (A is k×m when `transposeA`), op(B) is k×n (B is n×k when `transposeB`).
    @inline(__always)
    public static func gemm(
        _ a: UnsafePointer<Float>, transposeA: Bool = false,
        _ b: UnsafePointer<Float>, transposeB: Bool = false,
        _ c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(transposeA ? m : k),
            b, Int32(transposeB ? k : n),
            beta, c, Int32(n)
        )
    }

    /// Threads BLAS may use for one product.
    public static var threads: Int {
        get { Int(caderno_blas_threads()) }
        set { caderno_blas_set_threads(Int32(newValue)) }
    }
}
