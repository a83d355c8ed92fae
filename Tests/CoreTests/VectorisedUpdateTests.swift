@testable import Core
import Foundation
import Testing

/// The optimizers' updates run sixteen lanes at a time (split across threads for large
/// parameters). Each must give bit for bit what the element-by-element rule gives — a notebook's
/// recorded outputs depend on it — at every length: shorter than a vector, whole vectors, a
/// ragged tail, and long enough to be split between threads.
@Suite struct VectorisedUpdateTests {
    static let lengths = [1, 15, 16, 17, 100, 40_003]

    /// Values spread over several magnitudes and signs, reproducibly.
    func values(_ count: Int, seed: UInt64) -> [Float] {
        let random = RandomSource(seed: seed)
        return (0..<count).map { _ in (random.nextUnitFloat() - 0.5) * Float(1 << (random.next() % 8)) }
    }

    func parameters(_ count: Int) -> [Parameter] {
        [Parameter(name: "weight", value: Tensor(shape: [count], scalars: values(count, seed: 1)), decays: true),
         Parameter(name: "bias", value: Tensor(shape: [count], scalars: values(count, seed: 2)), decays: false)]
    }

    /// From step 165, 1 − 0.9ᵗ rounds to 1 and the pass leaves out its first division: the steps
    /// either side of that are checked (a state taken up at step 160 runs steps 161…168).
    @Test(arguments: lengths, [0, 160]) func adamMatchesTheScalarRule(count: Int, stepsBefore: Int) {
        let (lr, b1, b2, eps, decay): (Float, Float, Float, Float, Float) = (0.01, 0.9, 0.999, 1e-7, 0.05)
        let adam = Adam(learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: decay)
        adam.state.steps = stepsBefore
        let updated = parameters(count)
        var expected = updated.map(\.value.scalars)
        var m = expected.map { [Float](repeating: 0, count: $0.count) }, v = m
        for step in stepsBefore + 1 ... stepsBefore + (stepsBefore == 0 ? 3 : 8) {
            let gradients = updated.indices.map { values(count, seed: UInt64(10 * step + $0)) }
            for (parameter, gradient) in zip(updated, gradients) { parameter.gradient = Tensor(shape: [count], scalars: gradient) }
            adam.step(updated)
            let correction1 = 1 - pow(b1, Float(step)), correction2 = 1 - pow(b2, Float(step))
            #expect((correction1 == 1) == (step >= 165), "step \(step): 1 − β₁ᵗ = \(correction1)")
            for p in updated.indices {
                let d = updated[p].decays ? decay : 0
                for i in 0..<count {
                    let g = gradients[p][i] + d * expected[p][i]
                    m[p][i] = b1 * m[p][i] + (1 - b1) * g
                    v[p][i] = b2 * v[p][i] + (1 - b2) * g * g
                    expected[p][i] -= lr * (m[p][i] / correction1) / ((v[p][i] / correction2).squareRoot() + eps)
                }
            }
            #expect(updated.map(\.value.scalars) == expected, "step \(step)")
            #expect(updated.allSatisfy { $0.gradient.scalars.allSatisfy { $0 == 0 } }, "the step leaves the gradients zero")
        }
        #expect(adam.state.buffers(for: updated[0]) == [m[0], v[0]])
    }

    @Test(arguments: lengths, [(0, false), (0.9, false), (0.9, true)] as [(Float, Bool)])
    func sgdMatchesTheScalarRule(count: Int, momentum: (Float, Bool)) {
        let (lr, decay, (mu, nesterov)): (Float, Float, (Float, Bool)) = (0.05, 0.01, momentum)
        let sgd = SGD(learningRate: lr, momentum: mu, nesterov: nesterov, weightDecay: decay)
        let updated = parameters(count)
        var expected = updated.map(\.value.scalars)
        var buffer = expected.map { [Float](repeating: 0, count: $0.count) }
        for step in 1...3 {
            let gradients = updated.indices.map { values(count, seed: UInt64(10 * step + $0)) }
            for (parameter, gradient) in zip(updated, gradients) { parameter.gradient = Tensor(shape: [count], scalars: gradient) }
            sgd.step(updated)
            for p in updated.indices {
                let d = updated[p].decays ? decay : 0
                for i in 0..<count {
                    let g = gradients[p][i] + d * expected[p][i]
                    if mu == 0 { expected[p][i] -= lr * g; continue }
                    buffer[p][i] = step == 1 ? g : mu * buffer[p][i] + g
                    expected[p][i] -= lr * (nesterov ? g + mu * buffer[p][i] : buffer[p][i])
                }
            }
            #expect(updated.map(\.value.scalars) == expected, "step \(step)")
            #expect(updated.allSatisfy { $0.gradient.scalars.allSatisfy { $0 == 0 } }, "the step leaves the gradients zero")
        }
    }
}
