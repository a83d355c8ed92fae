#ifndef CADERNO_POOLING_H
#define CADERNO_POOLING_H

// 2×2 max-pooling with stride 2, sixteen windows at a time with AVX-512, eight without
// (MaxPool2D.swift keeps the general rule and the scalar path). A row of windows reads two image
// rows; their even and odd columns are pulled apart with permutes, so each of a window's four
// pixels sits in its own vector.
// The contest is the scalar rule's: the window's pixels in reading order, a later one winning
// only when strictly greater (ties go to the first, and a NaN never wins), so the outputs and the
// winners are the same bit for bit.

#include <stdint.h>

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

/// 0, 2, …, 30: the permute indices that pick a row's left pixels from two vectors of it (and
/// each window's offset from the row's first corner).
static inline __m512i caderno_pool_even(void) {
    return _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
}
static inline __m512i caderno_pool_odd(void) {
    return _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}

/// The first n ≤ 16 lanes.
static inline __mmask16 caderno_pool_lanes(long n) {
    return (__mmask16)((1u << n) - 1);
}

/// Masks for the 2n pixels under n ≤ 16 windows, split over two vectors.
static inline void caderno_pool_pair_masks(long n, __mmask16 *first, __mmask16 *second) {
    *first = (__mmask16)(n >= 8 ? 0xFFFF : (1u << (2 * n)) - 1);
    *second = (__mmask16)(n <= 8 ? 0 : n == 16 ? 0xFFFF : (1u << (2 * n - 16)) - 1);
}

/// The first 2n of the pixels at `row` (n ≤ 16), in two vectors; lanes past them are zero.
static inline void caderno_pool_load_pairs(const float *row, long n, __m512 *low, __m512 *high) {
    __mmask16 first, second;
    caderno_pool_pair_masks(n, &first, &second);
    *low = _mm512_maskz_loadu_ps(first, row);
    *high = _mm512_maskz_loadu_ps(second, row + 16);
}
#else
// Without AVX-512 (AVX2, NEON), eight windows at a time in clang's vector types: the same contest
// by comparisons that give all-ones lanes, and selects by masks, so the same bits.
typedef float caderno_pool_floats __attribute__((ext_vector_type(8), aligned(4)));
typedef int32_t caderno_pool_ints __attribute__((ext_vector_type(8), aligned(4)));
typedef float caderno_pool_pixels __attribute__((ext_vector_type(16), aligned(4)));

/// The sixteen pixels at `row`, split into the windows' left and right columns.
static inline void caderno_pool_split(const float *row, caderno_pool_floats *left, caderno_pool_floats *right) {
    caderno_pool_pixels pixels = *(const caderno_pool_pixels *)row;
    *left = __builtin_shufflevector(pixels, pixels, 0, 2, 4, 6, 8, 10, 12, 14);
    *right = __builtin_shufflevector(pixels, pixels, 1, 3, 5, 7, 9, 11, 13, 15);
}

/// Lanes of `yes` where `mask` is all ones, of `no` elsewhere (bit patterns).
static inline caderno_pool_ints caderno_pool_select(caderno_pool_ints mask, caderno_pool_ints yes, caderno_pool_ints no) {
    return (mask & yes) | (~mask & no);
}

/// Each window's offset from the row's first corner.
static const caderno_pool_ints caderno_pool_steps = {0, 2, 4, 6, 8, 10, 12, 14};
#endif

/// One row of `count` windows whose top-left pixels are x[corner], x[corner + 2], …, in an image
/// `width` wide: out[i] is each window's maximum and, when `winners` is not NULL, winners[i] its
/// index in x.
static inline void caderno_max_pool_2x2_row(const float *x, long corner, long width, long count,
                                            float *out, int32_t *winners) {
    long i = 0;
#if defined(__x86_64__) && defined(__AVX512F__)
    const __m512i even = caderno_pool_even(), odd = caderno_pool_odd();
    for (; i < count; i += 16) {
        long n = count - i < 16 ? count - i : 16;
        __mmask16 lanes = caderno_pool_lanes(n);
        long left = corner + 2 * i;
        __m512 a, b, c, d;
        caderno_pool_load_pairs(x + left, n, &a, &b);
        caderno_pool_load_pairs(x + left + width, n, &c, &d);
        __m512 largest = _mm512_permutex2var_ps(a, even, b);
        const __m512i first = _mm512_add_epi32(_mm512_set1_epi32((int32_t)left), even);
        __m512i best = first;
        const __m512 candidates[3] = {
            _mm512_permutex2var_ps(a, odd, b), _mm512_permutex2var_ps(c, even, d), _mm512_permutex2var_ps(c, odd, d)};
        const int32_t offsets[3] = {1, (int32_t)width, (int32_t)width + 1};
        for (int k = 0; k < 3; k++) {
            // Ordered greater-than: false when either side is NaN, as Swift's `>`.
            __mmask16 wins = _mm512_cmp_ps_mask(candidates[k], largest, _CMP_GT_OQ);
            largest = _mm512_mask_blend_ps(wins, largest, candidates[k]);
            best = _mm512_mask_add_epi32(best, wins, first, _mm512_set1_epi32(offsets[k]));
        }
        _mm512_mask_storeu_ps(out + i, lanes, largest);
        if (winners) _mm512_mask_storeu_epi32(winners + i, lanes, best);
    }
#else
    for (; i + 8 <= count; i += 8) {
        long left = corner + 2 * i;
        caderno_pool_floats largest, candidates[3];
        caderno_pool_split(x + left, &largest, &candidates[0]);
        caderno_pool_split(x + left + width, &candidates[1], &candidates[2]);
        const caderno_pool_ints first = (int32_t)left + caderno_pool_steps;
        caderno_pool_ints best = first;
        const int32_t offsets[3] = {1, (int32_t)width, (int32_t)width + 1};
        for (int k = 0; k < 3; k++) {
            // Ordered greater-than: false when either side is NaN, as Swift's `>`.
            caderno_pool_ints wins = candidates[k] > largest;
            largest = (caderno_pool_floats)caderno_pool_select(wins, (caderno_pool_ints)candidates[k], (caderno_pool_ints)largest);
            best = caderno_pool_select(wins, first + offsets[k], best);
        }
        *(caderno_pool_floats *)(out + i) = largest;
        if (winners) *(caderno_pool_ints *)(winners + i) = best;
    }
#endif
    for (; i < count; i++) {
        long first = corner + 2 * i, best = first;
        float largest = x[first];
        const long candidates[3] = {first + 1, first + width, first + width + 1};
        for (int k = 0; k < 3; k++) {
            int wins = x[candidates[k]] > largest;
            best = wins ? candidates[k] : best;
            largest = wins ? x[candidates[k]] : largest;
        }
        out[i] = largest;
        if (winners) winners[i] = (int32_t)best;
    }
}

/// The gradient of one row of `count` windows (the forward pass's `corner`, `width` and winners):
/// each window's four pixels of dx get dy[i] at its winner and 0 at the other three.
static inline void caderno_max_pool_2x2_backward_row(const float *dy, const int32_t *winners, long corner, long width,
                                                     long count, float *dx) {
    long i = 0;
#if defined(__x86_64__) && defined(__AVX512F__)
    const __m512i even = caderno_pool_even();
    // Left and right columns back into one row: lanes 0…15 of the pair, then 16…31.
    const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (; i < count; i += 16) {
        long n = count - i < 16 ? count - i : 16;
        __mmask16 lanes = caderno_pool_lanes(n);
        __mmask16 first, second;
        caderno_pool_pair_masks(n, &first, &second);
        long left = corner + 2 * i;
        __m512 gradient = _mm512_maskz_loadu_ps(lanes, dy + i);
        // Where in its window each winner lies: 0, 1, width or width + 1.
        __m512i place = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(lanes, winners + i),
                                         _mm512_add_epi32(_mm512_set1_epi32((int32_t)left), even));
        const int32_t offsets[4] = {0, 1, (int32_t)width, (int32_t)width + 1};
        __m512 pixel[4];
        for (int k = 0; k < 4; k++)
            pixel[k] = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(place, _mm512_set1_epi32(offsets[k])), gradient);
        for (int row = 0; row < 2; row++) {
            float *target = dx + left + row * width;
            _mm512_mask_storeu_ps(target, first, _mm512_permutex2var_ps(pixel[2 * row], low, pixel[2 * row + 1]));
            _mm512_mask_storeu_ps(target + 16, second, _mm512_permutex2var_ps(pixel[2 * row], high, pixel[2 * row + 1]));
        }
    }
#else
    for (; i + 8 <= count; i += 8) {
        long left = corner + 2 * i;
        caderno_pool_ints gradient = (caderno_pool_ints)*(const caderno_pool_floats *)(dy + i);
        // Where in its window each winner lies: 0, 1, width or width + 1.
        caderno_pool_ints place = *(const caderno_pool_ints *)(winners + i) - ((int32_t)left + caderno_pool_steps);
        const int32_t offsets[4] = {0, 1, (int32_t)width, (int32_t)width + 1};
        caderno_pool_floats pixel[4];
        for (int k = 0; k < 4; k++) pixel[k] = (caderno_pool_floats)((place == offsets[k]) & gradient);
        for (int row = 0; row < 2; row++) {
            // Left and right columns back into one row of sixteen pixels.
            *(caderno_pool_pixels *)(dx + left + row * width) = __builtin_shufflevector(
                pixel[2 * row], pixel[2 * row + 1], 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
        }
    }
#endif
    for (; i < count; i++) {
        long left = corner + 2 * i;
        const long pixels[4] = {left, left + 1, left + width, left + width + 1};
        for (int k = 0; k < 4; k++) dx[pixels[k]] = pixels[k] == winners[i] ? dy[i] : 0;
    }
}

#endif
