#ifndef CADERNO_LANES_H
#define CADERNO_LANES_H

// Adam's update, which the Swift SIMD types do not compile well: SIMD16<Float>.squareRoot()
// takes each lane through libm's scalar path (sixteen calls, each with its errno check), and
// inside a closure the compiler split SIMD16 divisions into 4-lane ones. Written here with
// clang's vector type, each is one AVX-512 instruction. (SGD's update has neither operation
// and stays in Swift: Lanes.swift.)
//
// No contraction into fused multiply-adds: each operation rounds as the scalar rule written in
// Swift does, so a vectorised step gives the very same numbers (a notebook's recorded outputs
// must not move).
#pragma clang fp contract(off)

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

static inline void caderno_adam_update(float *theta, const float *gradient, float *m, float *v,
                                       long start, long end, caderno_adam_constants k) {
    long i = start;
    for (; i + 16 <= end; i += 16) {
        caderno_lanes t = *(const caderno_lanes_unaligned *)(theta + i);
        caderno_lanes g = *(const caderno_lanes_unaligned *)(gradient + i) + k.decay * t;
        caderno_lanes first = k.beta1 * *(const caderno_lanes_unaligned *)(m + i) + k.one_minus_beta1 * g;
        caderno_lanes second = k.beta2 * *(const caderno_lanes_unaligned *)(v + i) + k.one_minus_beta2 * g * g;
        *(caderno_lanes_unaligned *)(m + i) = first;
        *(caderno_lanes_unaligned *)(v + i) = second;
        *(caderno_lanes_unaligned *)(theta + i) =
            t - k.learning_rate * (first / k.correction1) / (caderno_lanes_sqrt(second / k.correction2) + k.epsilon);
    }
    for (; i < end; i++) {
        float g = gradient[i] + k.decay * theta[i];
        m[i] = k.beta1 * m[i] + k.one_minus_beta1 * g;
        v[i] = k.beta2 * v[i] + k.one_minus_beta2 * g * g;
        theta[i] -= k.learning_rate * (m[i] / k.correction1) / (__builtin_elementwise_sqrt(v[i] / k.correction2) + k.epsilon);
    }
}

#endif
