/// Samples and their class labels: inputs [N, …] and one label per row.
public struct LabeledData: Sendable, Equatable {
    public var inputs: Samples
    public var labels: [Int]
    public var classCount: Int
    /// Whether targets are handed to the loss as one-hot rows ("categorical") rather than
    /// class indices ("sparse"). The labels themselves are kept either way, for metrics.
    public var oneHot: Bool

    public init(inputs: Samples, labels: [Int], classCount: Int, oneHot: Bool = false) {
        precondition(inputs.batchSize == labels.count, "\(inputs.batchSize) samples but \(labels.count) labels")
        self.inputs = inputs
        self.labels = labels
        self.classCount = classCount
        self.oneHot = oneHot
    }

    public init(inputs: Tensor, labels: [Int], classCount: Int, oneHot: Bool = false) {
        self.init(inputs: Samples(inputs), labels: labels, classCount: classCount, oneHot: oneHot)
    }

    public var count: Int { labels.count }
    public var sampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    /// The rows at `indices`, in that order (sharing the stored inputs).
    public func rows(_ indices: some Collection<Int>) -> LabeledData {
        LabeledData(inputs: inputs.rows(indices), labels: indices.map { labels[$0] },
                    classCount: classCount, oneHot: oneHot)
    }

    /// The targets of the rows at `indices`, in the form the loss takes.
    public func targets(_ indices: some Collection<Int>) -> Targets {
        let labels = indices.map { self.labels[$0] }
        return oneHot ? .oneHot(Self.oneHotRows(labels, classCount: classCount)) : .classes(labels)
    }

    static func oneHotRows(_ labels: [Int], classCount: Int) -> Tensor {
        var rows = Tensor(zeros: [labels.count, classCount])
        for (row, label) in labels.enumerated() { rows.scalars[row * classCount + label] = 1 }
        return rows
    }
}
