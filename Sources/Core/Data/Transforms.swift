/// Preprocessing, as the study projects do it. Statistics come from the training set only.
extension Dataset {
    /// Pixels 0…255 to [0, 1] (`ToTensor()` in PyTorch, `/ 255.0` in Keras).
    public func scaled() -> Dataset {
        transformingInputs { $0 / 255 }
    }

    /// Zero mean and unit variance, with the mean and standard deviation of all training pixels
    /// (as `Normalize((0.1307,), (0.3081,))` does for MNIST).
    public func standardized() -> (dataset: Dataset, mean: Float, std: Float) {
        let (mean, variance) = train.inputs.meanAndVariance()
        let std = Float(max(variance.squareRoot(), 1e-12))
        let m = Float(mean)
        return (transformingInputs { ($0 - m) / std }, m, std)
    }

    /// Targets as one-hot rows (categorical cross-entropy) or class indices (sparse).
    public func withOneHotTargets(_ oneHot: Bool = true) -> Dataset {
        var copy = self
        copy.train.oneHot = oneHot
        copy.test.oneHot = oneHot
        return copy
    }

    private func transformingInputs(_ f: (Float) -> Float) -> Dataset {
        var copy = self
        copy.train = train.transformingInputs(f)
        copy.test = test.transformingInputs(f)
        return copy
    }
}

/// How `split` picks the validation samples.
public enum SplitMethod: Sendable, Equatable {
    /// A seeded random subset, as PyTorch's `random_split`.
    case random
    /// The last fraction of the set, in order, as Keras's `validation_split`.
    case last
}

extension LabeledData {
    /// Holds out round(count · fraction) samples: (train, validation) — 51,000 + 9,000 for 0.15 of 60,000.
    public func split(validationFraction fraction: Double, method: SplitMethod = .random,
                      random: RandomSource) -> (train: LabeledData, validation: LabeledData) {
        precondition(fraction > 0 && fraction < 1, "the validation fraction must be in (0, 1)")
        let held = Int((Double(count) * fraction).rounded())
        let order = method == .random ? random.permutation(count) : Array(0..<count)
        return (rows(order.prefix(count - held)), rows(order.suffix(held)))
    }

    /// The same samples with `f` applied to every input value.
    public func transformingInputs(_ f: (Float) -> Float) -> LabeledData {
        var copy = self
        copy.inputs = inputs.mapValues(f)
        return copy
    }

    /// The first `n` samples.
    public func prefix(_ n: Int) -> LabeledData {
        rows(0..<Swift.min(n, count))
    }

    /// How many samples of each class.
    public var classCounts: [Int] {
        labels.reduce(into: [Int](repeating: 0, count: classCount)) { $0[$1] += 1 }
    }
}
