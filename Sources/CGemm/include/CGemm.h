#ifndef CADERNO_GEMM_H
#define CADERNO_GEMM_H

/// C[m×n] = β·C + α·op(A)·op(B), all row-major (op(A) is m×k, A is k×m when `transpose_a`; op(B)
/// is k×n, B is n×k when `transpose_b`), on the calling thread.
///
/// Each entry of C is one chain of fused multiply-adds in order of k, starting from β·C (from 0
/// when β = 0, without reading C): c = fma(α·a[i][0], b[0][j], c), then k = 1, 2, …. No vector
/// width, block size, thread split or CPU changes that order, so the same inputs give the same
/// bits on every machine (AVX2, AVX-512, or the plain C loop), whatever slice of C a caller asks
/// for. A BLAS does not promise that: OpenBLAS's kernels add partial sums in orders that differ
/// between CPUs and between a product and its halves.
void caderno_gemm(const float *a, int transpose_a, long lda, const float *b, int transpose_b, long ldb,
                  float *c, long ldc, long m, long n, long k, float alpha, float beta);

/// The same product with op(A) and op(B) rounded to bfloat16 (8 bits of mantissa; α·A rounded
/// after the scaling) and the products summed in single precision: with AVX512-BF16, VDPBF16PS
/// takes two k a step, twice the multiply-adds of an FMA; elsewhere the rounded inputs go
/// through the single-precision kernel. Both are the chain above on the rounded values, with
/// denormals read and written as zero (as the instruction does), so they give the same bits.
void caderno_gemm_bf16(const float *a, int transpose_a, long lda, const float *b, int transpose_b, long ldb,
                       float *c, long ldc, long m, long n, long k, float alpha, float beta);

/// 1 when caderno_gemm_bf16 runs VDPBF16PS (built for a CPU with AVX512-BF16), 0 when it emulates.
int caderno_gemm_bf16_is_native(void);

#endif
