/// A receiver operating characteristic curve: for each threshold on the score, the false
/// positive rate against the true positive rate, and the area under it.
public struct ROCCurve: Sendable, Equatable {
    public let falsePositiveRates: [Double]
    public let truePositiveRates: [Double]
    /// Scores at which the curve turns; the first is +∞ (nothing predicted positive), as in scikit-learn.
    public let thresholds: [Double]

    /// Area under the curve, by the trapezoid rule.
    public var auc: Double {
        var area = 0.0
        for i in 1..<falsePositiveRates.count {
            let width = falsePositiveRates[i] - falsePositiveRates[i - 1]
            area += width * (truePositiveRates[i] + truePositiveRates[i - 1]) / 2
        }
        return area
    }

    /// The curve of `scores` for `positives` as scikit-learn's `roc_curve` draws it: one point per
    /// distinct score (tied scores move together, diagonally), starting at (0, 0), and — with
    /// `dropIntermediate` — without the points that lie on a straight line between their neighbours.
    /// nil when there are no positives or no negatives: the rates are then undefined.
    public init?(positives: [Bool], scores: [Double], dropIntermediate: Bool = true) {
        precondition(positives.count == scores.count, "\(positives.count) labels but \(scores.count) scores")
        // Highest score first; equal scores keep their order (NumPy's stable argsort, reversed).
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 > $1) }
        var truePositives: [Double] = [], falsePositives: [Double] = [], thresholds: [Double] = []
        var tp = 0.0, fp = 0.0
        for (rank, index) in order.enumerated() {
            if positives[index] { tp += 1 } else { fp += 1 }
            // A point where the next score differs (or at the end): ties move as one step.
            if rank == order.count - 1 || scores[order[rank + 1]] != scores[index] {
                truePositives.append(tp)
                falsePositives.append(fp)
                thresholds.append(scores[index])
            }
        }
        guard tp > 0, fp > 0 else { return nil }
        if dropIntermediate && truePositives.count > 2 {
            // Keep the ends and every point where the curve changes direction.
            var keep = [0]
            for i in 1..<(truePositives.count - 1) {
                let bendsFalse = falsePositives[i + 1] - 2 * falsePositives[i] + falsePositives[i - 1] != 0
                let bendsTrue = truePositives[i + 1] - 2 * truePositives[i] + truePositives[i - 1] != 0
                if bendsFalse || bendsTrue { keep.append(i) }
            }
            keep.append(truePositives.count - 1)
            truePositives = keep.map { truePositives[$0] }
            falsePositives = keep.map { falsePositives[$0] }
            thresholds = keep.map { thresholds[$0] }
        }
        falsePositiveRates = [0] + falsePositives.map { $0 / fp }
        truePositiveRates = [0] + truePositives.map { $0 / tp }
        self.thresholds = [.infinity] + thresholds
    }
}

/// One-vs-rest ROC curves of a classifier's probabilities [N, C], one per class, and the
/// micro average (every (sample, class) pair pooled into one binary problem).
public struct ROCAnalysis: Sendable, Equatable {
    /// nil for a class with no samples (or only samples) of its own.
    public let curves: [ROCCurve?]
    public let micro: ROCCurve?

    public init(probabilities: Tensor, labels: [Int]) {
        let classes = probabilities.featuresPerSample
        precondition(probabilities.batchSize == labels.count, "\(probabilities.batchSize) rows but \(labels.count) labels")
        let scores = probabilities.scalars.map(Double.init)
        curves = (0..<classes).map { c in
            ROCCurve(positives: labels.map { $0 == c }, scores: labels.indices.map { scores[$0 * classes + c] })
        }
        micro = ROCCurve(positives: labels.flatMap { label in (0..<classes).map { $0 == label } }, scores: scores)
    }

    public var aucs: [Double?] { curves.map { $0?.auc } }

    /// The mean of the classes' AUCs (scikit-learn's `roc_auc_score(average="macro")`), over the
    /// classes that have one.
    public var macroAUC: Double? {
        let defined = aucs.compactMap { $0 }
        return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }
}
