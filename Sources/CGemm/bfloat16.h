// Caderno's bfloat16 products (caderno_gemm_bf16): the rounding, and the copies of A and B into
// panels of pair words that VDPBF16PS multiplies. A part of gemm.c, included there once its
// tile and vector types are defined; not a header of its own.

typedef unsigned words __attribute__((ext_vector_type(LANES)));
typedef unsigned words_unaligned __attribute__((ext_vector_type(LANES), aligned(4)));

/// x rounded to bfloat16, as the float it stands for (its low 16 bits zero): to nearest, ties to
/// even; a NaN stays a NaN (quieted), a denormal becomes a zero of its sign — what AVX512-BF16's
/// conversions do, so the native and the emulated products see the same inputs.
static inline words round_bf16(words bits) {
    const words magnitude = bits & 0x7FFFFFFFu;
    const words nan = (words)(magnitude > 0x7F800000u), tiny = (words)(magnitude < 0x00800000u);
    const words rounded = bits + 0x7FFFu + ((bits >> 16) & 1u);
    const words chosen = (nan & (bits | 0x00400000u)) | (~nan & ((tiny & (bits & 0x80000000u)) | (~tiny & rounded)));
    return chosen & 0xFFFF0000u;
}

static inline float round_bf16_scalar(float x) {
    unsigned bits;
    memcpy(&bits, &x, sizeof bits);
    const unsigned magnitude = bits & 0x7FFFFFFFu;
    bits = magnitude > 0x7F800000u ? bits | 0x00400000u
         : magnitude < 0x00800000u ? bits & 0x80000000u
         : bits + 0x7FFFu + ((bits >> 16) & 1u);
    bits &= 0xFFFF0000u;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/// A packed panel's values rounded to bfloat16 in place: the emulated bf16 product is the float
/// product of the rounded inputs.
static void round_panel(float *panel, long count) {
    long v = 0;
    for (; v + LANES <= count; v += LANES)
        *(words_unaligned *)(panel + v) = round_bf16(*(const words_unaligned *)(panel + v));
    for (; v < count; v++) panel[v] = round_bf16_scalar(panel[v]);
}

#if NATIVE_BF16

/// Two consecutive k of one row or column, as one 32-bit word: the first (k) in the high half,
/// the second (k + 1) in the low half. VDPBF16PS adds a word's high product first, then its low
/// one, each a single-precision fused multiply-add (Intel's SDM; AMD's Zen 4 the same, tested),
/// so a chain of such steps is the chain of caderno_gemm in order of k on the rounded inputs.
static inline unsigned pair_scalar(float first, float second) {
    unsigned high, low;
    first = round_bf16_scalar(first);
    second = round_bf16_scalar(second);
    memcpy(&high, &first, sizeof high);
    memcpy(&low, &second, sizeof low);
    return high | low >> 16;
}

typedef unsigned eight_words __attribute__((ext_vector_type(8)));

/// Sixteen consecutive k of one row as the eight pair words of their rounded values.
static inline eight pairs_of(lanes values) {
    const words v = round_bf16((words)values);
    const eight_words first = __builtin_shufflevector(v, v, 0, 2, 4, 6, 8, 10, 12, 14);
    const eight_words second = __builtin_shufflevector(v, v, 1, 3, 5, 7, 9, 11, 13, 15);
    return (eight)(first | second >> 16);
}

/// A depth of odd length ends with a pair whose second half adds −0 · +0 = −0: c + (−0) is c
/// for every c, so the chain is unchanged (+0 · +0 would turn a −0 into +0).
#define PAD_A 0x8000u

/// op(B)[p0 ..< p0+kc][j0 ..< j0+nc] as pair panels COLUMNS wide: panel q holds, for each pair
/// of k, its COLUMNS words (zero past nc and past kc).
static void pack_b_bf16(const float *b, int transposed, long ldb, long p0, long kc, long j0, long nc, unsigned *out) {
    const long pairs = (kc + 1) / 2;
    for (long j = 0; j < nc; j += COLUMNS, out += pairs * COLUMNS) {
        const long width = nc - j < COLUMNS ? nc - j : COLUMNS;
        if (!transposed) {
            for (long p = 0; p < pairs; p++) {
                const float *row = b + (p0 + 2 * p) * ldb + j0 + j;
                const int second = 2 * p + 1 < kc;
                if (width == COLUMNS) {
#pragma clang loop unroll(full)
                    for (int h = 0; h < VECTORS; h++) {
                        const words high = round_bf16(*(const words_unaligned *)(row + h * LANES));
                        const words low = second ? round_bf16(*(const words_unaligned *)(row + ldb + h * LANES)) : (words)0;
                        *(words *)(out + p * COLUMNS + h * LANES) = high | low >> 16;
                    }
                } else {
                    for (long q = 0; q < COLUMNS; q++)
                        out[p * COLUMNS + q] = q < width ? pair_scalar(row[q], second ? row[ldb + q] : 0) : 0;
                }
            }
        } else {
            // B is n×k: a column's pairs lie side by side in its row; sixteen k of eight columns
            // become eight pairs of each, then an 8 × 8 transpose puts the pairs of one k side by side.
            long q = 0;
            for (; q + 8 <= width; q += 8) {
                const float *rows = b + (j0 + j + q) * ldb + p0;
                long p = 0;
                for (; 2 * p + 16 <= kc; p += 8) {
                    eight block[8];
                    for (int i = 0; i < 8; i++) block[i] = pairs_of(*(const lanes_unaligned *)(rows + i * ldb + 2 * p));
                    transpose8(block);
                    for (int i = 0; i < 8; i++) *(eight *)(out + (p + i) * COLUMNS + q) = block[i];
                }
                for (; p < pairs; p++) {
                    for (int i = 0; i < 8; i++) {
                        const float *row = rows + i * ldb;
                        out[p * COLUMNS + q + i] = pair_scalar(row[2 * p], 2 * p + 1 < kc ? row[2 * p + 1] : 0);
                    }
                }
            }
            for (; q < COLUMNS; q++) {
                const float *row = b + (j0 + j + q) * ldb + p0;
                for (long p = 0; p < pairs; p++)
                    out[p * COLUMNS + q] = q < width ? pair_scalar(row[2 * p], 2 * p + 1 < kc ? row[2 * p + 1] : 0) : 0;
            }
        }
    }
}

/// α·op(A)[i0 ..< i0+mc][p0 ..< p0+kc] as pair panels ROWS tall (α applied before rounding).
static void pack_a_bf16(const float *a, int transposed, long lda, long i0, long mc, long p0, long kc, float alpha,
                        unsigned *out) {
    const long pairs = (kc + 1) / 2;
    for (long i = 0; i < mc; i += ROWS, out += pairs * ROWS) {
        const long height = mc - i < ROWS ? mc - i : ROWS;
        long first = 0;   // pairs done by the vector loop
        if (!transposed) {
            // Sixteen k of eight rows become eight pairs of each, then an 8 × 8 transpose (as pack_a).
            for (; 2 * first + 16 <= kc; first += 8) {
#pragma clang loop unroll(full)
                for (int group = 0; group < ROWS; group += 8) {
                    eight block[8];
                    for (int r = 0; r < 8; r++) {
                        block[r] = group + r < height
                            ? pairs_of(alpha * *(const lanes_unaligned *)(a + (i0 + i + group + r) * lda + p0 + 2 * first))
                            : (eight)0;
                    }
                    store_transposed(block, (float *)(out + first * ROWS), group);
                }
            }
        } else {
            // A is k×m: a pair's two k are two rows of A, the panel's ROWS values side by side in each.
            for (; 2 * first + 2 <= kc; first++) {
                lanes high = 0, low = 0;
                const float *row = a + (p0 + 2 * first) * lda + i0 + i;
                memcpy(&high, row, height * sizeof(float));
                memcpy(&low, row + lda, height * sizeof(float));
                const words pair = round_bf16((words)(alpha * high)) | round_bf16((words)(alpha * low)) >> 16;
                memcpy(out + first * ROWS, &pair, ROWS * sizeof(unsigned));
            }
        }
        for (long r = 0; r < ROWS; r++) {
            for (long p = first; p < pairs; p++) {
                if (r >= height) {
                    out[p * ROWS + r] = 0;
                    continue;
                }
                const long k0 = p0 + 2 * p;
                const float high = transposed ? a[k0 * lda + i0 + i + r] : a[(i0 + i + r) * lda + k0];
                if (2 * p + 1 < kc) {
                    const float low = transposed ? a[(k0 + 1) * lda + i0 + i + r] : a[(i0 + i + r) * lda + k0 + 1];
                    out[p * ROWS + r] = pair_scalar(alpha * high, alpha * low);
                } else {
                    out[p * ROWS + r] = pair_scalar(alpha * high, 0) | PAD_A;
                }
            }
        }
    }
}
#else
// Without AVX512-BF16, pack_a and pack_b round the inputs and the float kernel multiplies them;
// these are never called.
static void pack_b_bf16(const float *b, int transposed, long ldb, long p0, long kc, long j0, long nc, unsigned *out) {}
static void pack_a_bf16(const float *a, int transposed, long lda, long i0, long mc, long p0, long kc, float alpha,
                        unsigned *out) {}
#endif
