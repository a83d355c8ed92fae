import Foundation

/// How a layer's weights start. Names follow the usual short forms.
public enum Initializer: String, CaseIterable, Sendable {
    /// N(0, 2/fan_in): He/Kaiming normal, as PyTorch's `kaiming_normal_` and the NumPy study project.
    case heNormal = "he"
    /// U(±√(6/fan_in)): He/Kaiming uniform.
    case heUniform = "he-uniform"
    /// U(±√(6/(fan_in+fan_out))): Glorot/Xavier uniform, Keras's default.
    case glorotUniform = "glorot"
    /// U(±1/√fan_in) for weights and biases: what PyTorch's `nn.Linear` and `nn.Conv2d` start with.
    case pytorch = "pytorch"

    public func weights(shape: [Int], fans: (fanIn: Int, fanOut: Int), random: RandomSource) -> Tensor {
        let count = shape.reduce(1, *)
        let fanIn = Float(fans.fanIn), fanOut = Float(fans.fanOut)
        let scalars: [Float]
        switch self {
        case .heNormal:
            let std = (2 / fanIn).squareRoot()
            scalars = (0..<count).map { _ in random.nextGaussian() * std }
        case .heUniform:
            scalars = Self.uniform(count, bound: (6 / fanIn).squareRoot(), random)
        case .glorotUniform:
            scalars = Self.uniform(count, bound: (6 / (fanIn + fanOut)).squareRoot(), random)
        case .pytorch:
            // kaiming_uniform_(a=√5) works out to a bound of 1/√fan_in.
            scalars = Self.uniform(count, bound: 1 / fanIn.squareRoot(), random)
        }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// Zeros, except PyTorch's layers, which draw biases from U(±1/√fan_in) too.
    public func biases(count: Int, fanIn: Int, random: RandomSource) -> Tensor {
        guard self == .pytorch else { return Tensor(zeros: [count]) }
        return Tensor(shape: [count], scalars: Self.uniform(count, bound: 1 / Float(fanIn).squareRoot(), random))
    }

    private static func uniform(_ count: Int, bound: Float, _ random: RandomSource) -> [Float] {
        (0..<count).map { _ in random.nextFloat(in: -bound, bound) }
    }
}
