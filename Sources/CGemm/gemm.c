// Caderno's single-precision matrix product (see CGemm.h for the order of its sums).
//
// The structure is BLIS's (Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating
// BLAS Functionality", 2015): op(B) is copied in blocks of KC × NC into panels COLUMNS wide,
// op(A) in blocks of MC × KC into panels ROWS tall, and a micro-kernel keeps a ROWS × COLUMNS
// tile of C in registers while it runs down one panel of each — every loaded value feeds
// ROWS or COLUMNS multiply-adds. A tile of C goes back to memory between depth blocks and is
// loaded again for the next, so its chain of multiply-adds goes on in order.
//
// Written with clang's vector types, so one source serves every target; the lane count and the
// tile are chosen per instruction set below.
#include "CGemm.h"
#include <stdlib.h>
#include <string.h>

#ifndef ROWS
#if defined(__AVX512F__)
#define LANES 16
#define ROWS 12     // 24 accumulators of the 32 registers
#elif defined(__AVX__) || defined(__ARM_NEON)
#define LANES 8
#define ROWS 6      // 12 accumulators of the 16 registers (4 × 24 and 5 × 16 measured no faster)
#else
#define LANES 4
#define ROWS 4
#endif
#define VECTORS 2
#endif
#define COLUMNS (VECTORS * LANES)

// Most depth in a block: a panel of B (KC × COLUMNS) stays in L1 while every panel of A runs past
// it. A depth of 288 is cut 144 + 144, not 256 + 32: a short block pays a tile's load and store
// for little work.
#define KC 320
// Rows of a block of A: MC × KC floats (150 KB) in L2.
#define MC (ROWS * (120 / ROWS))
// Columns of a block of B: KC × NC floats (2 MB) in L3.
#define NC (COLUMNS * (1536 / COLUMNS))

typedef float lanes __attribute__((ext_vector_type(LANES)));
typedef float lanes_unaligned __attribute__((ext_vector_type(LANES), aligned(4)));

/// C's tile [rows × columns] (at most ROWS × COLUMNS) += the panels' product over `depth`, its
/// chains started from β·C when `start` is 1, from C when 2, from 0 when 0.
static void kernel(long depth, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
                   long rows, long columns, int start, float beta) {
    lanes sum[ROWS][VECTORS];
    const int whole = rows == ROWS && columns == COLUMNS;
    // An edge tile goes through a full-size copy, so the loop below is the same for every tile.
    float edge[ROWS * COLUMNS] __attribute__((aligned(64)));
    float *target = whole ? c : edge;
    const long stride = whole ? ldc : COLUMNS;
    if (start && !whole) {
        memset(edge, 0, sizeof edge);
        for (long r = 0; r < rows; r++) memcpy(edge + r * COLUMNS, c + r * ldc, columns * sizeof(float));
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < ROWS; r++) {
        for (int h = 0; h < VECTORS; h++) {
            lanes value = start ? *(const lanes_unaligned *)(target + r * stride + h * LANES) : (lanes)0;
            sum[r][h] = start == 1 && beta != 1 ? beta * value : value;
        }
    }
    for (long p = 0; p < depth; p++) {
        lanes column[VECTORS];
#pragma clang loop unroll(full)
        for (int h = 0; h < VECTORS; h++) column[h] = *(const lanes *)(b + h * LANES);
#pragma clang loop unroll(full)
        for (int r = 0; r < ROWS; r++) {
            const lanes x = (lanes)a[r];
#pragma clang loop unroll(full)
            for (int h = 0; h < VECTORS; h++) sum[r][h] = __builtin_elementwise_fma(x, column[h], sum[r][h]);
        }
        a += ROWS;
        b += COLUMNS;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < ROWS; r++) {
#pragma clang loop unroll(full)
        for (int h = 0; h < VECTORS; h++) *(lanes_unaligned *)(target + r * stride + h * LANES) = sum[r][h];
    }
    if (!whole) {
        for (long r = 0; r < rows; r++) memcpy(c + r * ldc, edge + r * COLUMNS, columns * sizeof(float));
    }
}

typedef float eight __attribute__((ext_vector_type(8), aligned(4)));

/// Rows r[0…7] of an 8 × 8 block become its columns, in three rounds of interleaving.
static inline void transpose8(eight r[8]) {
    eight t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = __builtin_shufflevector(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        u[i + 1] = __builtin_shufflevector(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        u[i + 2] = __builtin_shufflevector(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
        u[i + 3] = __builtin_shufflevector(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        r[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

/// op(B)[p0 ..< p0+kc][j0 ..< j0+nc] as panels COLUMNS wide: panel q holds, for each p, its
/// COLUMNS values (zero past nc). With small M each value of B feeds few multiply-adds, so the
/// copy must cost far less than a cycle a value: whole rows move as vectors, and a transposed B
/// moves in 8 × 8 blocks.
static void pack_b(const float *b, int transposed, long ldb, long p0, long kc, long j0, long nc, float *out) {
    for (long j = 0; j < nc; j += COLUMNS, out += kc * COLUMNS) {
        const long width = nc - j < COLUMNS ? nc - j : COLUMNS;
        if (!transposed) {
            for (long p = 0; p < kc; p++) {
                const float *row = b + (p0 + p) * ldb + j0 + j;
                if (width == COLUMNS) {
#pragma clang loop unroll(full)
                    for (int h = 0; h < VECTORS; h++)
                        *(lanes *)(out + p * COLUMNS + h * LANES) = *(const lanes_unaligned *)(row + h * LANES);
                } else {
                    for (long q = 0; q < COLUMNS; q++) out[p * COLUMNS + q] = q < width ? row[q] : 0;
                }
            }
        } else {
            // B is n×k: each of the panel's columns is a row of B, read along its length.
            long q = 0;
            for (; q + 8 <= width; q += 8) {
                const float *rows = b + (j0 + j + q) * ldb + p0;
                long p = 0;
                for (; p + 8 <= kc; p += 8) {
                    eight block[8];
                    for (int i = 0; i < 8; i++) block[i] = *(const eight *)(rows + i * ldb + p);
                    transpose8(block);
                    for (int i = 0; i < 8; i++) *(eight *)(out + (p + i) * COLUMNS + q) = block[i];
                }
                for (; p < kc; p++) {
                    for (int i = 0; i < 8; i++) out[p * COLUMNS + q + i] = rows[i * ldb + p];
                }
            }
            for (; q < COLUMNS; q++) {
                const float *row = b + (j0 + j + q) * ldb + p0;
                for (long p = 0; p < kc; p++) out[p * COLUMNS + q] = q < width ? row[p] : 0;
            }
        }
    }
}

/// α·op(A)[i0 ..< i0+mc][p0 ..< p0+kc] as panels ROWS tall: panel r holds, for each p, its ROWS
/// values (zero past mc).
static void pack_a(const float *a, int transposed, long lda, long i0, long mc, long p0, long kc, float alpha,
                   float *out) {
    for (long i = 0; i < mc; i += ROWS, out += kc * ROWS) {
        const long height = mc - i < ROWS ? mc - i : ROWS;
        if (!transposed) {
            for (long r = 0; r < ROWS; r++) {
                const float *row = a + (i0 + i + r) * lda + p0;
                for (long p = 0; p < kc; p++) out[p * ROWS + r] = r < height ? row[p] : 0;
            }
        } else {
            // A is k×m: a panel's ROWS values for one p lie side by side.
            for (long p = 0; p < kc; p++) {
                const float *column = a + (p0 + p) * lda + i0 + i;
                for (long r = 0; r < ROWS; r++) out[p * ROWS + r] = r < height ? column[r] : 0;
            }
        }
        if (alpha != 1) {
            for (long v = 0; v < kc * ROWS; v++) out[v] *= alpha;
        }
    }
}

/// The packed blocks, one pair per thread, made at its first product and kept.
static _Thread_local float *packed;

void caderno_gemm(const float *a, int transpose_a, long lda, const float *b, int transpose_b, long ldb,
                  float *c, long ldc, long m, long n, long k, float alpha, float beta) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0) {
        // No products: C = β·C (0, without reading C, when β = 0).
        for (long i = 0; i < m; i++) {
            for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
        }
        return;
    }
    if (!packed) {
        packed = aligned_alloc(64, (MC * KC + KC * NC) * sizeof(float));
        if (!packed) abort();
    }
    float *packed_a = packed, *packed_b = packed + MC * KC;
    for (long j0 = 0; j0 < n; j0 += NC) {
        const long nc = n - j0 < NC ? n - j0 : NC;
        const long blocks = (k + KC - 1) / KC;
        for (long block = 0; block < blocks; block++) {
            const long p0 = k * block / blocks, kc = k * (block + 1) / blocks - p0;
            // The first depth block starts each chain from β·C; the later ones go on from C.
            const int start = p0 > 0 ? 2 : beta == 0 ? 0 : 1;
            pack_b(b, transpose_b, ldb, p0, kc, j0, nc, packed_b);
            for (long i0 = 0; i0 < m; i0 += MC) {
                const long mc = m - i0 < MC ? m - i0 : MC;
                pack_a(a, transpose_a, lda, i0, mc, p0, kc, alpha, packed_a);
                for (long j = 0; j < nc; j += COLUMNS) {
                    const long columns = nc - j < COLUMNS ? nc - j : COLUMNS;
                    for (long i = 0; i < mc; i += ROWS) {
                        const long rows = mc - i < ROWS ? mc - i : ROWS;
                        kernel(kc, packed_a + i * kc, packed_b + j * kc, c + (i0 + i) * ldc + j0 + j, ldc,
                               rows, columns, start, beta);
                    }
                }
            }
        }
    }
}
