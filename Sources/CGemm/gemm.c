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
#ifndef KC
#define KC 320
#endif
// Rows of a block of A: MC × KC floats (150 KB) in L2.
#ifndef MC
#define MC (ROWS * (120 / ROWS))
#endif
// Columns of a block of B: KC × NC floats (2 MB) in L3.
#ifndef NC
#define NC (COLUMNS * (1536 / COLUMNS))
#endif

// bfloat16 products by VDPBF16PS (AVX512-BF16), two k a step; elsewhere emulated (below).
#if defined(__AVX512BF16__) && LANES == 16
#include <immintrin.h>
#define NATIVE_BF16 1
#else
#define NATIVE_BF16 0
#endif

typedef float lanes __attribute__((ext_vector_type(LANES)));
typedef float lanes_unaligned __attribute__((ext_vector_type(LANES), aligned(4)));

/// Where a micro-kernel's tile of C is: at most ROWS × COLUMNS of it, from `c`, C stored by rows
/// (c[i·ldc + j]) or, `flipped`, by columns (c[j·ldc + i]: the product was turned around, below).
typedef struct {
    float *c;
    long ldc, rows, columns;
    int flipped;
} tile;

/// The tile's storage for the kernel's loop: C itself when the tile is whole and stored by rows;
/// otherwise `edge`, a full-size copy (loaded from C when the chains start from it), so the loop
/// is the same for every tile.
static inline float *tile_open(tile t, int start, float *edge, long *stride) {
    if (t.rows == ROWS && t.columns == COLUMNS && !t.flipped) {
        *stride = t.ldc;
        return t.c;
    }
    *stride = COLUMNS;
    if (start) {
        memset(edge, 0, ROWS * COLUMNS * sizeof(float));
        for (long r = 0; r < t.rows; r++) {
            if (t.flipped) {
                for (long q = 0; q < t.columns; q++) edge[r * COLUMNS + q] = t.c[q * t.ldc + r];
            } else {
                memcpy(edge + r * COLUMNS, t.c + r * t.ldc, t.columns * sizeof(float));
            }
        }
    }
    return edge;
}

/// Writes a tile kept in `edge` back to C.
static inline void tile_close(tile t, const float *edge, const float *storage) {
    if (storage != edge) return;
    for (long r = 0; r < t.rows; r++) {
        if (t.flipped) {
            for (long q = 0; q < t.columns; q++) t.c[q * t.ldc + r] = edge[r * COLUMNS + q];
        } else {
            memcpy(t.c + r * t.ldc, edge + r * COLUMNS, t.columns * sizeof(float));
        }
    }
}

/// The chains' starting values: β·C when `start` is 1, C when 2, 0 when 0.
__attribute__((always_inline))
static inline void sums_load(lanes sum[ROWS][VECTORS], const float *storage, long stride, int start, float beta) {
#pragma clang loop unroll(full)
    for (int r = 0; r < ROWS; r++) {
#pragma clang loop unroll(full)
        for (int h = 0; h < VECTORS; h++) {
            lanes value = start ? *(const lanes_unaligned *)(storage + r * stride + h * LANES) : (lanes)0;
            sum[r][h] = start == 1 && beta != 1 ? beta * value : value;
        }
    }
}

__attribute__((always_inline))
static inline void sums_store(lanes sum[ROWS][VECTORS], float *storage, long stride) {
#pragma clang loop unroll(full)
    for (int r = 0; r < ROWS; r++) {
#pragma clang loop unroll(full)
        for (int h = 0; h < VECTORS; h++) *(lanes_unaligned *)(storage + r * stride + h * LANES) = sum[r][h];
    }
}

/// C's tile += the panels' product over `depth` steps, its chains started as `start` says
/// (sums_load). A step is one k of float panels, or (`half`, a constant at each call) one pair of
/// k of bf16 panels: VDPBF16PS adds the two products of a pair one after the other.
__attribute__((always_inline))
static inline void tile_product(long depth, const void *restrict panel_a, const void *restrict panel_b, tile t, int start,
                                float beta, int half) {
    lanes sum[ROWS][VECTORS];
    float edge[ROWS * COLUMNS] __attribute__((aligned(64)));
    long stride;
    float *storage = tile_open(t, start, edge, &stride);
    sums_load(sum, storage, stride, start, beta);
#if NATIVE_BF16
    if (half) {
        const unsigned *a = panel_a, *b = panel_b;
        for (long p = 0; p < depth; p++, a += ROWS, b += COLUMNS) {
            __m512bh column[VECTORS];
#pragma clang loop unroll(full)
            for (int h = 0; h < VECTORS; h++) column[h] = (__m512bh)_mm512_load_si512((const void *)(b + h * LANES));
#pragma clang loop unroll(full)
            for (int r = 0; r < ROWS; r++) {
                const __m512bh x = (__m512bh)_mm512_set1_epi32((int)a[r]);
#pragma clang loop unroll(full)
                for (int h = 0; h < VECTORS; h++) sum[r][h] = (lanes)_mm512_dpbf16_ps((__m512)sum[r][h], x, column[h]);
            }
        }
    } else
#endif
    {
        const float *a = panel_a, *b = panel_b;
        for (long p = 0; p < depth; p++, a += ROWS, b += COLUMNS) {
            lanes column[VECTORS];
#pragma clang loop unroll(full)
            for (int h = 0; h < VECTORS; h++) column[h] = *(const lanes *)(b + h * LANES);
#pragma clang loop unroll(full)
            for (int r = 0; r < ROWS; r++) {
                const lanes x = (lanes)a[r];
#pragma clang loop unroll(full)
                for (int h = 0; h < VECTORS; h++) sum[r][h] = __builtin_elementwise_fma(x, column[h], sum[r][h]);
            }
        }
    }
    sums_store(sum, storage, stride);
    tile_close(t, edge, storage);
}

static void kernel(long depth, const float *a, const float *b, tile t, int start, float beta) {
    tile_product(depth, a, b, t, start, beta, 0);
}

static void kernel_bf16(long pairs, const unsigned *a, const unsigned *b, tile t, int start, float beta) {
    tile_product(pairs, a, b, t, start, beta, 1);
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

/// Eight rows of eight k, `group` rows down a panel ROWS tall, stored as the panel's columns: the
/// block transposed, then each k's values (at most ROWS − group of them) at out[k·ROWS + group].
static inline void store_transposed(eight block[8], float *out, int group) {
    transpose8(block);
    const int width = ROWS - group < 8 ? ROWS - group : 8;
    for (int q = 0; q < 8; q++) memcpy(out + q * ROWS + group, &block[q], width * sizeof(float));
}

#include "bfloat16.h"

/// op(B)[p0 ..< p0+kc][j0 ..< j0+nc] as panels COLUMNS wide: panel q holds, for each p, its
/// COLUMNS values (zero past nc). With small M each value of B feeds few multiply-adds, so the
/// copy must cost far less than a cycle a value: whole rows move as vectors, and a transposed B
/// moves in 8 × 8 blocks.
static void pack_b(const float *b, int transposed, long ldb, long p0, long kc, long j0, long nc, float *out, int half) {
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
        if (half) round_panel(out, kc * COLUMNS);
    }
}

/// α·op(A)[i0 ..< i0+mc][p0 ..< p0+kc] as panels ROWS tall: panel r holds, for each p, its ROWS
/// values (zero past mc).
static void pack_a(const float *a, int transposed, long lda, long i0, long mc, long p0, long kc, float alpha,
                   float *out, int half) {
    for (long i = 0; i < mc; i += ROWS, out += kc * ROWS) {
        const long height = mc - i < ROWS ? mc - i : ROWS;
        if (!transposed) {
            // Eight k of eight rows at a time by an 8 × 8 transpose (ROWS is 12, 6 or 4: the last
            // group of rows is short, its missing rows zero). With few columns in the result each
            // value of A feeds few multiply-adds, and a value a cycle would cost as much as they do.
            long p = 0;
            for (; p + 8 <= kc; p += 8) {
#pragma clang loop unroll(full)
                for (int group = 0; group < ROWS; group += 8) {
                    eight block[8];
                    for (int r = 0; r < 8; r++) {
                        block[r] = group + r < height ? *(const eight *)(a + (i0 + i + group + r) * lda + p0 + p) : (eight)0;
                    }
                    store_transposed(block, out + p * ROWS, group);
                }
            }
            for (; p < kc; p++) {
                for (long r = 0; r < ROWS; r++) out[p * ROWS + r] = r < height ? a[(i0 + i + r) * lda + p0 + p] : 0;
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
        if (half) round_panel(out, kc * ROWS);
    }
}

/// The packed blocks, one pair per thread, made at its first product and kept.
static _Thread_local float *packed;

/// Tile cells computed for an m × n result (edge tiles are computed whole).
static long cells(long m, long n) {
    return (m + ROWS - 1) / ROWS * ROWS * ((n + COLUMNS - 1) / COLUMNS * COLUMNS);
}

/// The blocking both products share; `half` (a constant at each call) picks bf16 panels and kernel.
__attribute__((always_inline))
static inline void product(const float *a, int transpose_a, long lda, const float *b, int transpose_b, long ldb,
                           float *c, long ldc, long m, long n, long k, float alpha, float beta, int half) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0) {
        // No products: C = β·C (0, without reading C, when β = 0).
        for (long i = 0; i < m; i++) {
            for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
        }
        return;
    }
    // A result narrower than a tile (a first layer's 32 × 9 weight gradient, a 128 × 10 output
    // layer) wastes most of each tile's columns: Cᵀ = op(B)ᵀ·op(A)ᵀ fills them. Every entry is
    // the same chain of fma(a, b, c) = fma(b, a, c) in the same order, so the same bits — as long
    // as α is 1, since α scales the first operand before it is multiplied.
    int flipped = 0;
    if (alpha == 1 && 5 * cells(n, m) < 4 * cells(m, n)) {
        const float *t = a;
        a = b, b = t;
        const int ta = transpose_a;
        transpose_a = !transpose_b, transpose_b = !ta;
        const long ld = lda;
        lda = ldb, ldb = ld;
        const long rows = m;
        m = n, n = rows;
        flipped = 1;
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
            // Depth blocks start at even k, so a bf16 pair never straddles two.
            long p0 = k * block / blocks, end = k * (block + 1) / blocks;
            if (half) p0 &= ~1L, end = block + 1 == blocks ? k : end & ~1L;
            const long kc = end - p0;
            // The first depth block starts each chain from β·C; the later ones go on from C.
            const int start = p0 > 0 ? 2 : beta == 0 ? 0 : 1;
            const int native = NATIVE_BF16 && half;
            if (native) {
                pack_b_bf16(b, transpose_b, ldb, p0, kc, j0, nc, (unsigned *)packed_b);
            } else {
                pack_b(b, transpose_b, ldb, p0, kc, j0, nc, packed_b, half);
            }
            for (long i0 = 0; i0 < m; i0 += MC) {
                const long mc = m - i0 < MC ? m - i0 : MC;
                if (native) {
                    pack_a_bf16(a, transpose_a, lda, i0, mc, p0, kc, alpha, (unsigned *)packed_a);
                } else {
                    pack_a(a, transpose_a, lda, i0, mc, p0, kc, alpha, packed_a, half);
                }
                // A pair panel holds (kc + 1) / 2 words a row or column where a float panel holds kc.
                const long depth = native ? (kc + 1) / 2 : kc;
                for (long j = 0; j < nc; j += COLUMNS) {
                    for (long i = 0; i < mc; i += ROWS) {
                        const long row = i0 + i, column = j0 + j;
                        const tile t = {flipped ? c + column * ldc + row : c + row * ldc + column, ldc,
                                        mc - i < ROWS ? mc - i : ROWS, nc - j < COLUMNS ? nc - j : COLUMNS, flipped};
                        if (native) {
                            kernel_bf16(depth, (const unsigned *)packed_a + i * depth, (const unsigned *)packed_b + j * depth,
                                        t, start, beta);
                        } else {
                            kernel(depth, packed_a + i * depth, packed_b + j * depth, t, start, beta);
                        }
                    }
                }
            }
        }
    }
}

void caderno_gemm(const float *a, int transpose_a, long lda, const float *b, int transpose_b, long ldb,
                  float *c, long ldc, long m, long n, long k, float alpha, float beta) {
    product(a, transpose_a, lda, b, transpose_b, ldb, c, ldc, m, n, k, alpha, beta, 0);
}

#if defined(__x86_64__)
#include <xmmintrin.h>
#define FLUSH_DENORMALS 0x8040u    // MXCSR's flush-to-zero and denormals-are-zero
#endif

void caderno_gemm_bf16(const float *a, int transpose_a, long lda, const float *b, int transpose_b, long ldb,
                       float *c, long ldc, long m, long n, long k, float alpha, float beta) {
#ifdef FLUSH_DENORMALS
    // VDPBF16PS reads denormals as zero and flushes denormal results; the emulation (and β·C, on
    // both paths) does the same under MXCSR's flags, set for this product only.
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | FLUSH_DENORMALS);
#endif
    product(a, transpose_a, lda, b, transpose_b, ldb, c, ldc, m, n, k, alpha, beta, 1);
#ifdef FLUSH_DENORMALS
    _mm_setcsr(saved);
#endif
}

int caderno_gemm_bf16_is_native(void) {
    return NATIVE_BF16;
}
