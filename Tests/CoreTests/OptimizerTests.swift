@testable import Core
import Testing

/// One weight θ = 1 with gradient g, stepped by hand-computed rules.
@Suite struct OptimizerTests {
    func parameter(_ value: Float, decays: Bool = true) -> Parameter {
        Parameter(name: "w", value: Tensor(shape: [1], scalars: [value]), decays: decays)
    }

    func step(_ optimizer: any Optimizer, _ p: Parameter, gradient: Float) {
        p.gradient = Tensor(shape: [1], scalars: [gradient])
        optimizer.step([p])
    }

    @Test func plainSGD() {
        let p = parameter(1)
        step(SGD(learningRate: 0.1), p, gradient: 0.5)
        #expect(abs(p.value.scalars[0] - 0.95) < 1e-7)   // 1 − 0.1·0.5
    }

    @Test func momentumStartsWithTheGradient() {
        let p = parameter(1), sgd = SGD(learningRate: 0.1, momentum: 0.9)
        step(sgd, p, gradient: 0.5)   // b = 0.5, θ = 1 − 0.05 = 0.95
        #expect(abs(p.value.scalars[0] - 0.95) < 1e-7)
        step(sgd, p, gradient: 0.5)   // b = 0.9·0.5 + 0.5 = 0.95, θ = 0.95 − 0.095 = 0.855
        #expect(abs(p.value.scalars[0] - 0.855) < 1e-6)
    }

    @Test func nesterov() {
        let p = parameter(1), sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
        step(sgd, p, gradient: 0.5)   // b = 0.5, g = 0.5 + 0.9·0.5 = 0.95, θ = 0.905
        #expect(abs(p.value.scalars[0] - 0.905) < 1e-6)
        step(sgd, p, gradient: 0.5)   // b = 0.95, g = 0.5 + 0.855 = 1.355, θ = 0.7695
        #expect(abs(p.value.scalars[0] - 0.7695) < 1e-6)
    }

    @Test func weightDecayOnWeightsNotBiases() {
        let weight = parameter(2), bias = parameter(2, decays: false)
        let sgd = SGD(learningRate: 0.1, weightDecay: 0.01)
        for p in [weight, bias] { p.gradient = Tensor(shape: [1], scalars: [0.5]) }
        sgd.step([weight, bias])
        #expect(abs(weight.value.scalars[0] - 1.948) < 1e-6)   // 2 − 0.1·(0.5 + 0.01·2)
        #expect(abs(bias.value.scalars[0] - 1.95) < 1e-6)      // 2 − 0.1·0.5
    }

    @Test func adamFirstTwoSteps() {
        let p = parameter(1), adam = Adam(learningRate: 0.1)
        // t = 1: m̂ = g, v̂ = g², so θ moves by lr·sign(g): 1 − 0.1 = 0.9
        step(adam, p, gradient: 0.5)
        #expect(abs(p.value.scalars[0] - 0.9) < 1e-6)
        // t = 2, g = −0.2: m = 0.045 − 0.02 = 0.025, m̂ = 0.025/0.19 = 0.131579;
        // v = 0.999·0.00025 + 0.001·0.04 = 0.00028975, v̂ = 0.00028975/0.001999 = 0.144947;
        // θ = 0.9 − 0.1·0.131579/0.380719 = 0.865439
        step(adam, p, gradient: -0.2)
        #expect(abs(p.value.scalars[0] - 0.865439) < 1e-5)
    }
}
