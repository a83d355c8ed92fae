#ifndef CADERNO_LANES_H
#define CADERNO_LANES_H

// The optimizers' updates, which the Swift SIMD types do not compile well: SIMD16<Float>.squareRoot()
// takes each lane through libm's scalar path (sixteen calls, each with its errno check), and
// inside a closure the compiler split SIMD16 operations into 4-lane ones and kept the constants
// on the stack (SGD's pass, with the gradient reset added, took twice as long as this one).
// Written here with clang's vector type, each operation is one AVX-512 instruction.
//
// No contraction into fused multiply-adds: each operation rounds as the scalar rule written in
// Swift does, so a vectorised step gives the very same numbers (a notebook's recorded outputs
// must not move).
#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>
#endif

typedef float caderno_lanes __attribute__((ext_vector_type(16)));
typedef float caderno_lanes_unaligned __attribute__((ext_vector_type(16), aligned(4)));

static inline caderno_lanes caderno_lanes_sqrt(caderno_lanes x) {
    return __builtin_elementwise_sqrt(x);
}

/// Adam's update of elements [start, end) (see Optimizer.swift for the rule):
///     g = ∇ + decay·θ;  m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g·g
///     θ = θ − lr·(m / c₁) / (√(v / c₂) + ε)
typedef struct {
    float learning_rate, beta1, beta2, one_minus_beta1, one_minus_beta2;
    float correction1, correction2, epsilon, decay;
} caderno_adam_constants;

/// The gradient is set back to zero as it is read, for the next backward pass to accumulate into:
/// a store to a line the pass holds already, where a separate reset reads every line again.
/// `corrects_first` is a constant at each call below, so each loop is compiled without the test.
__attribute__((always_inline))
static inline void caderno_adam_pass(float *theta, float *gradient, float *m, float *v,
                                     long start, long end, caderno_adam_constants k, int corrects_first) {
    long i = start;
    for (; i + 16 <= end; i += 16) {
        caderno_lanes t = *(const caderno_lanes_unaligned *)(theta + i);
        caderno_lanes g = *(const caderno_lanes_unaligned *)(gradient + i) + k.decay * t;
        *(caderno_lanes_unaligned *)(gradient + i) = (caderno_lanes)0;
        caderno_lanes first = k.beta1 * *(const caderno_lanes_unaligned *)(m + i) + k.one_minus_beta1 * g;
        caderno_lanes second = k.beta2 * *(const caderno_lanes_unaligned *)(v + i) + k.one_minus_beta2 * g * g;
        *(caderno_lanes_unaligned *)(m + i) = first;
        *(caderno_lanes_unaligned *)(v + i) = second;
        caderno_lanes corrected = corrects_first ? first / k.correction1 : first;
        *(caderno_lanes_unaligned *)(theta + i) =
            t - k.learning_rate * corrected / (caderno_lanes_sqrt(second / k.correction2) + k.epsilon);
    }
    for (; i < end; i++) {
        float g = gradient[i] + k.decay * theta[i];
        gradient[i] = 0;
        m[i] = k.beta1 * m[i] + k.one_minus_beta1 * g;
        v[i] = k.beta2 * v[i] + k.one_minus_beta2 * g * g;
        float corrected = corrects_first ? m[i] / k.correction1 : m[i];
        theta[i] -= k.learning_rate * corrected / (__builtin_elementwise_sqrt(v[i] / k.correction2) + k.epsilon);
    }
}

/// Two divisions and a square root per value bound the pass (the divider is shared by all three).
/// Once β₁ᵗ is below half an ulp of 1 (from step 165 for β₁ = 0.9) the correction 1 − β₁ᵗ is
/// exactly 1 and m / 1 is m, bit for bit: the first division is left out, and the pass is a
/// third faster for the rest of training.
static inline void caderno_adam_update(float *theta, float *gradient, float *m, float *v,
                                       long start, long end, caderno_adam_constants k) {
    if (k.correction1 == 1.0f) caderno_adam_pass(theta, gradient, m, v, start, end, k, 0);
    else caderno_adam_pass(theta, gradient, m, v, start, end, k, 1);
}

/// SGD's update of elements [start, end) (see Optimizer.swift for the rule); `buffer` is NULL
/// without momentum. The gradient is set back to zero as it is read, as in Adam's.
///     g = ∇ + decay·θ;  b = first ? g : μb + g;  g = nesterov ? g + μb : b;  θ = θ − lr·g
typedef struct {
    float learning_rate, decay, momentum;
    int nesterov, first;
} caderno_sgd_constants;

static inline void caderno_sgd_update(float *theta, float *gradient, float *buffer,
                                      long start, long end, caderno_sgd_constants k) {
    long i = start;
    for (; i + 16 <= end; i += 16) {
        caderno_lanes t = *(const caderno_lanes_unaligned *)(theta + i);
        caderno_lanes g = *(const caderno_lanes_unaligned *)(gradient + i) + k.decay * t;
        *(caderno_lanes_unaligned *)(gradient + i) = (caderno_lanes)0;
        if (buffer) {
            caderno_lanes b = k.first ? g : k.momentum * *(const caderno_lanes_unaligned *)(buffer + i) + g;
            *(caderno_lanes_unaligned *)(buffer + i) = b;
            g = k.nesterov ? g + k.momentum * b : b;
        }
        *(caderno_lanes_unaligned *)(theta + i) = t - k.learning_rate * g;
    }
    for (; i < end; i++) {
        float g = gradient[i] + k.decay * theta[i];
        gradient[i] = 0;
        if (buffer) {
            float b = k.first ? g : k.momentum * buffer[i] + g;
            buffer[i] = b;
            g = k.nesterov ? g + k.momentum * b : b;
        }
        theta[i] -= k.learning_rate * g;
    }
}

/// out[i] = table[bytes[i]] for i in [0, count): images kept as bytes, turned into floats through
/// their 256-entry table (scaled or standardized) as a batch is gathered. With AVX-512 the table
/// sits in sixteen registers: eight two-register permutes look up the index's low five bits in
/// each 32-entry eighth, and three rounds of blends on bits 5, 6 and 7 pick the eighth. That ran
/// 1.8× faster than AVX-512's gather (4.7 against 8.6 µs for a batch of 32 images), whose
/// sixteen loads wait on one another. The same values either way.
static inline void caderno_lookup_bytes(const unsigned char *bytes, const float *table, float *out, long count) {
    long i = 0;
#if defined(__x86_64__) && defined(__AVX512F__)
    if (count >= 16) {
        __m512 t[16];
        for (int k = 0; k < 16; k++) t[k] = _mm512_loadu_ps(table + 16 * k);
        for (; i + 16 <= count; i += 16) {
            __m512i index = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(bytes + i)));
            __m512 eighth[8];
            for (int k = 0; k < 8; k++) eighth[k] = _mm512_permutex2var_ps(t[2 * k], index, t[2 * k + 1]);
            for (int bit = 5, step = 1; bit < 8; bit++, step *= 2) {
                __mmask16 high = _mm512_test_epi32_mask(index, _mm512_set1_epi32(1 << bit));
                for (int k = 0; k < 8; k += 2 * step) eighth[k] = _mm512_mask_blend_ps(high, eighth[k], eighth[k + step]);
            }
            _mm512_storeu_ps(out + i, eighth[0]);
        }
    }
#endif
    for (; i < count; i++) out[i] = table[bytes[i]];
}

/// A hint to bring [start, start + bytes) into the caches ahead of use; it changes no result.
/// The next batch's images, scattered over a 47 MB set, are asked for while this batch trains.
static inline void caderno_prefetch(const void *start, long bytes) {
    const char *bytes_start = (const char *)start;
    for (long offset = 0; offset < bytes; offset += 64) __builtin_prefetch(bytes_start + offset, 0, 2);
}

#endif
