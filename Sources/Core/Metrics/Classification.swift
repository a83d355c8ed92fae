/// Counts of (true class, predicted class) pairs: rows are the truth, columns the prediction,
/// as scikit-learn's `confusion_matrix`.
public struct ConfusionMatrix: Sendable, Equatable {
    public let counts: [[Int]]

    public init(truth: [Int], predicted: [Int], classCount: Int) {
        precondition(truth.count == predicted.count, "\(truth.count) labels but \(predicted.count) predictions")
        var counts = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (t, p) in zip(truth, predicted) { counts[t][p] += 1 }
        self.counts = counts
    }

    public var classCount: Int { counts.count }
    public var total: Int { counts.joined().reduce(0, +) }

    /// Each row divided by its sum: the share of each true class predicted as each class
    /// (a row with no samples stays zero).
    public var rowNormalized: [[Double]] {
        counts.map { row in
            let sum = row.reduce(0, +)
            return row.map { sum == 0 ? 0 : Double($0) / Double(sum) }
        }
    }
}

/// Precision, recall, F1 and support per class, with their macro and weighted averages, as
/// scikit-learn's `classification_report` with `zero_division=0`: a ratio whose denominator is
/// zero counts as 0. Every class takes part in the averages, also one that never occurs.
public struct ClassificationReport: Sendable, Equatable {
    public struct Scores: Sendable, Equatable {
        public let precision: Double
        public let recall: Double
        public let f1: Double
        public let support: Int
    }

    public let classes: [Scores]
    public let accuracy: Double
    public let macro: Scores
    public let weighted: Scores

    public init(_ confusion: ConfusionMatrix) {
        let c = confusion.counts
        classes = c.indices.map { k in
            let truePositives = c[k][k]
            let support = c[k].reduce(0, +)                      // row: truly k
            let predicted = c.reduce(0) { $0 + $1[k] }           // column: predicted k
            func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
            // F1 = 2·TP / (2·TP + FP + FN): the harmonic mean of precision and recall, and 0, not
            // undefined, when both are 0 (scikit-learn computes it the same way).
            return Scores(precision: ratio(truePositives, predicted), recall: ratio(truePositives, support),
                          f1: ratio(2 * truePositives, support + predicted), support: support)
        }
        let total = confusion.total
        accuracy = total == 0 ? 0 : Double(c.indices.reduce(0) { $0 + c[$1][$1] }) / Double(total)
        macro = Self.average(classes, total: total) { _ in 1 }
        weighted = Self.average(classes, total: total) { Double($0.support) }
    }
}

extension ClassificationReport {
    /// Scores averaged over classes with the given weights (1 each: macro; support: weighted).
    static func average(_ classes: [Scores], total: Int, weight: (Scores) -> Double) -> Scores {
        let weights = classes.map(weight)
        let sum = weights.reduce(0, +)
        func mean(_ value: (Scores) -> Double) -> Double {
            sum == 0 ? 0 : zip(classes, weights).reduce(0) { $0 + value($1.0) * $1.1 } / sum
        }
        return Scores(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1), support: total)
    }
}
