@testable import Core
import Foundation
import Testing

/// Cases computed by scikit-learn (Fixtures/generate_metrics.py says how and with which version).
struct SklearnCase: Decodable, CustomTestStringConvertible {
    struct Curve: Decodable {
        let fpr: [Double]
        let tpr: [Double]
        let thresholds: [Threshold]
        let auc: Double
    }

    /// A number, or "inf" (JSON has no infinity).
    struct Threshold: Decodable {
        let value: Double
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            value = (try? container.decode(Double.self)) ?? .infinity
        }
    }

    let name: String
    let classes: Int
    let labels: [Int]
    let probabilities: [[Double]]
    let predicted: [Int]
    let confusion: [[Int]]
    let precision, recall, f1: [Double]
    let support: [Int]
    let macro, weighted: [Double]
    let accuracy: Double
    let roc: [Curve?]
    let micro_auc: Double
    let macro_auc: Double

    var testDescription: String { name }

    var probabilityTensor: Tensor {
        Tensor(shape: [labels.count, classes], scalars: probabilities.joined().map(Float.init))
    }

    static let all: [SklearnCase] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/metrics.json")
        return try! JSONDecoder().decode([SklearnCase].self, from: Data(contentsOf: url))
    }()
}

@Suite struct MetricsAgainstScikitLearn {
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-6 }

    @Test(arguments: SklearnCase.all)
    func confusionAndReport(_ reference: SklearnCase) {
        // Our argmax (first maximum) picks the same classes as NumPy's.
        #expect(reference.probabilityTensor.argmaxPerRow() == reference.predicted)
        let confusion = ConfusionMatrix(truth: reference.labels, predicted: reference.predicted, classCount: reference.classes)
        #expect(confusion.counts == reference.confusion)
        let report = ClassificationReport(confusion)
        #expect(report.classes.map(\.support) == reference.support)
        for (k, scores) in report.classes.enumerated() {
            #expect(close(scores.precision, reference.precision[k]), "precision of \(k)")
            #expect(close(scores.recall, reference.recall[k]), "recall of \(k)")
            #expect(close(scores.f1, reference.f1[k]), "F1 of \(k)")
        }
        #expect(close(report.accuracy, reference.accuracy))
        for (ours, theirs) in [(report.macro, reference.macro), (report.weighted, reference.weighted)] {
            #expect(close(ours.precision, theirs[0]) && close(ours.recall, theirs[1]) && close(ours.f1, theirs[2]))
        }
    }

    @Test(arguments: SklearnCase.all)
    func rocCurvesAndAUC(_ reference: SklearnCase) throws {
        let analysis = ROCAnalysis(probabilities: reference.probabilityTensor, labels: reference.labels)
        for (k, expected) in reference.roc.enumerated() {
            guard let expected else {
                #expect(analysis.curves[k] == nil, "class \(k) has no positives: no curve")
                continue
            }
            let curve = try #require(analysis.curves[k])
            // Scores went through Float: compare thresholds as Floats, rates and areas to 1e-6.
            #expect(curve.thresholds.map(Float.init) == expected.thresholds.map { Float($0.value) }, "thresholds of \(k)")
            #expect(curve.falsePositiveRates.count == expected.fpr.count)
            #expect(zip(curve.falsePositiveRates, expected.fpr).allSatisfy(close) && zip(curve.truePositiveRates, expected.tpr).allSatisfy(close))
            #expect(close(curve.auc, expected.auc), "AUC of \(k)")
        }
        #expect(close(try #require(analysis.micro).auc, reference.micro_auc))
        #expect(close(try #require(analysis.macroAUC), reference.macro_auc))
    }
}

@Suite struct MetricsByHand {
    @Test func zeroDivisionCountsAsZero() {
        // Class 2 is never predicted and never true; class 1 is predicted but never true.
        let confusion = ConfusionMatrix(truth: [0, 0, 0, 0], predicted: [0, 0, 1, 1], classCount: 3)
        #expect(confusion.counts == [[2, 2, 0], [0, 0, 0], [0, 0, 0]])
        #expect(confusion.rowNormalized == [[0.5, 0.5, 0], [0, 0, 0], [0, 0, 0]])
        let report = ClassificationReport(confusion)
        #expect(report.classes[0] == .init(precision: 1, recall: 0.5, f1: 2.0 / 3, support: 4))
        #expect(report.classes[1] == .init(precision: 0, recall: 0, f1: 0, support: 0))
        #expect(report.classes[2] == .init(precision: 0, recall: 0, f1: 0, support: 0))
        #expect(abs(report.macro.precision - 1.0 / 3) < 1e-12)
        #expect(report.weighted.precision == 1 && report.weighted.recall == 0.5)
        #expect(report.accuracy == 0.5)
    }

    @Test func tiesMoveDiagonallyAndStartAtTheOrigin() throws {
        // Scores 0.8 (positive), 0.5 (positive), 0.5 (negative), 0.2 (negative): the tie at 0.5
        // moves up and right at once; without dropping, every distinct score is a point.
        let curve = try #require(ROCCurve(positives: [true, true, false, false], scores: [0.8, 0.5, 0.5, 0.2], dropIntermediate: false))
        #expect(curve.thresholds == [.infinity, 0.8, 0.5, 0.2])
        #expect(curve.falsePositiveRates == [0, 0, 0.5, 1])
        #expect(curve.truePositiveRates == [0, 0.5, 1, 1])
        #expect(curve.auc == 0.875)   // 1 − (one tied pair counts half) / 4 pairs
        // Perfect separation: AUC 1; everything tied: the diagonal, AUC 0.5.
        #expect(ROCCurve(positives: [true, false], scores: [0.9, 0.1])?.auc == 1)
        #expect(ROCCurve(positives: [true, false, true, false], scores: [0.3, 0.3, 0.3, 0.3])?.auc == 0.5)
        // Only one kind of label: no curve.
        #expect(ROCCurve(positives: [true, true], scores: [0.1, 0.2]) == nil)
    }

    @Test func collinearPointsAreDropped() throws {
        // Three positives in a row are one straight segment: its middle points go.
        let curve = try #require(ROCCurve(positives: [true, true, true, false], scores: [0.9, 0.8, 0.7, 0.1]))
        #expect(curve.truePositiveRates == [0, 1.0 / 3, 1, 1])
        #expect(curve.thresholds == [.infinity, 0.9, 0.7, 0.1])
    }
}
