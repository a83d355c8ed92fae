import Foundation
/// A dense array of `Float` in row-major order: a shape and contiguous storage.
/// Images are N×C×H×W; a batch of feature vectors is N×F.
///
/// A value type: copies share storage until one of them is written (copy-on-write, through `[Float]`).
public struct Tensor: Equatable, Sendable {
    public var shape: [Int]
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    public init(zeros shape: [Int]) {
        self.init(repeating: 0, shape: shape)
    }

    public init(repeating value: Float, shape: [Int]) {
        self.shape = shape
        self.scalars = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// Storage left uninitialised, for results that a kernel overwrites entirely (saves a memset).
    public init(uninitializedShape shape: [Int]) {
        self.shape = shape
        let count = shape.reduce(1, *)
        self.scalars = [Float](unsafeUninitializedCapacity: count) { _, initialized in
            initialized = count
        }
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// Number of rows when the tensor is seen as a batch: the first dimension.
    public var batchSize: Int { shape.first ?? 1 }

    /// Elements per sample: the product of all but the first dimension.
    public var featuresPerSample: Int { shape.dropFirst().reduce(1, *) }

    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    public subscript(row row: Int) -> ArraySlice<Float> {
        let width = featuresPerSample
        return scalars[row * width ..< (row + 1) * width]
    }

    /// The rows at `indices`, in that order (one contiguous copy per row).
    public func gatherRows(_ indices: some Collection<Int>) -> Tensor {
        let width = featuresPerSample
        var result = Tensor(uninitializedShape: [indices.count] + shape.dropFirst())
        scalars.withUnsafeBufferPointer { source in
            result.scalars.withUnsafeMutableBufferPointer { target in
                for (destination, index) in indices.enumerated() {
                    precondition(index >= 0 && index < batchSize, "row \(index) out of range 0..<\(batchSize)")
                    (target.baseAddress! + destination * width)
                        .update(from: source.baseAddress! + index * width, count: width)
                }
            }
        }
        return result
    }

    /// The index of the largest element of each row (first one on ties, as NumPy's argmax).
    public func argmaxPerRow() -> [Int] {
        let width = featuresPerSample
        return scalars.withUnsafeBufferPointer { values in
            (0..<batchSize).map { row in
                var best = 0
                var bestValue = values[row * width]
                for column in 1..<max(width, 1) where values[row * width + column] > bestValue {
                    best = column
                    bestValue = values[row * width + column]
                }
                return best
            }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(shown)\(count > 8 ? ", …" : "")]"
    }
}
