/// What commands produce: structured output that renderers turn into a terminal screen or an
/// SVG file. Commands never print.
public enum Block: Equatable, Sendable {
    /// A line or paragraph of plain text.
    case text(String)
    /// Secondary text: hints, what to do next (dim on a terminal).
    case note(String)
    /// Aligned "key: value" lines.
    case fields([Field])
    case table(Table)
    /// Lines through points: loss curves, ROC curves.
    case chart(Chart)
    /// A matrix of shaded cells: the confusion matrix.
    case heatmap(Heatmap)
    /// Horizontal bars: class distributions, predicted probabilities.
    case bars(BarChart)
    /// Grayscale images with captions: digits.
    case images(ImageGrid)
}

public struct Chart: Equatable, Sendable {
    public struct Series: Equatable, Sendable {
        public let name: String
        public let points: [Point]
        /// The palette colour; nil: the series' position. Series that belong together (one sweep
        /// run's training and validation loss) share one.
        public var colour: Int?
        /// Drawn dashed (dotted on a terminal): the validation curve beside its training curve.
        public var dashed: Bool

        public init(_ name: String, _ points: [Point], colour: Int? = nil, dashed: Bool = false) {
            (self.name, self.points, self.colour, self.dashed) = (name, points, colour, dashed)
        }
    }

    public struct Point: Equatable, Sendable {
        public let x: Double
        public let y: Double
        public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Fixed axis ranges (ROC curves live in [0, 1]²); nil: from the data, padded.
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// The x axis counts something (epochs): ticks at whole numbers only.
    public var wholeNumbersOnX: Bool
    /// Both axes on one scale, drawn square, with the diagonal y = x: a ROC chart and its chance line.
    public var unitSquare: Bool

    public init(title: String, xLabel: String, yLabel: String, series: [Series],
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                wholeNumbersOnX: Bool = false, unitSquare: Bool = false) {
        (self.title, self.xLabel, self.yLabel, self.series, self.xRange, self.yRange) = (title, xLabel, yLabel, series, xRange, yRange)
        (self.wholeNumbersOnX, self.unitSquare) = (wholeNumbersOnX, unitSquare)
    }

    /// The ranges drawn: the fixed ones, or the data's with a margin, so no line runs along the frame
    /// (half a step on a whole-number axis, 5% otherwise; a flat line gets ±0.5).
    public var bounds: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        if unitSquare { return (xRange ?? 0...1, yRange ?? 0...1) }
        let points = series.flatMap(\.points)
        func range(_ values: [Double], whole: Bool) -> ClosedRange<Double> {
            guard let low = values.min(), let high = values.max() else { return 0...1 }
            if low == high { return (low - 0.5)...(high + 0.5) }
            let pad = whole ? 0.5 : (high - low) * 0.05
            return (low - pad)...(high + pad)
        }
        return (xRange ?? range(points.map(\.x), whole: wholeNumbersOnX), yRange ?? range(points.map(\.y), whole: false))
    }

    /// The series that draw as one (a sweep run's training and validation curves): their palette
    /// colour, or their position.
    func group(of index: Int) -> Int { series[index].colour ?? index }
}

public struct Heatmap: Equatable, Sendable {
    public var title: String
    public var rowTitle: String
    public var columnTitle: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// Shading, 0…1 per cell.
    public var shades: [[Double]]
    /// What each cell says (e.g. the count).
    public var cells: [[String]]

    public init(title: String, rowTitle: String, columnTitle: String, rowLabels: [String], columnLabels: [String],
                shades: [[Double]], cells: [[String]]) {
        (self.title, self.rowTitle, self.columnTitle, self.rowLabels, self.columnLabels, self.shades, self.cells)
            = (title, rowTitle, columnTitle, rowLabels, columnLabels, shades, cells)
    }
}

public struct BarChart: Equatable, Sendable {
    public var title: String
    public var labels: [String]
    public var values: [Double]
    /// How each value is written beside its bar.
    public var valueTexts: [String]
    /// A bar to draw in the accent colour (the predicted class).
    public var highlighted: Int?

    public init(title: String, labels: [String], values: [Double], valueTexts: [String], highlighted: Int? = nil) {
        (self.title, self.labels, self.values, self.valueTexts, self.highlighted) = (title, labels, values, valueTexts, highlighted)
    }
}

public struct ImageGrid: Equatable, Sendable {
    public struct Image: Equatable, Sendable {
        public let width: Int
        public let height: Int
        /// Row by row, 0 (black) … 1 (white); −1 … 1 in a signed grid.
        public let pixels: [Float]
        public let caption: String
        /// true: a right prediction (green), false: wrong (red), nil: neither.
        public let correct: Bool?

        public init(width: Int, height: Int, pixels: [Float], caption: String, correct: Bool? = nil) {
            (self.width, self.height, self.pixels, self.caption, self.correct) = (width, height, pixels, caption, correct)
        }
    }

    public var title: String
    public var columns: Int
    public var images: [Image]
    /// Pixels run −1 … 1 (weights scaled by their largest size): drawn in diverging colours,
    /// red for positive, blue for negative.
    public var signed: Bool

    public init(title: String, columns: Int, images: [Image], signed: Bool = false) {
        (self.title, self.columns, self.images, self.signed) = (title, columns, images, signed)
    }
}

public struct Field: Equatable, Sendable {
    public let key: String
    public let value: String
    public init(_ key: String, _ value: String) { self.key = key; self.value = value }
}

public struct Table: Equatable, Sendable {
    public enum Alignment: Equatable, Sendable { case left, right }

    public var headers: [String]
    public var rows: [[String]]
    public var alignments: [Alignment]
    /// Lines under the table (totals).
    public var footer: [String]

    public init(headers: [String], rows: [[String]], alignments: [Alignment]? = nil, footer: [String] = []) {
        self.headers = headers
        self.rows = rows
        self.alignments = alignments ?? headers.map { _ in .left }
        self.footer = footer
    }
}

/// Live progress while a command runs (a training epoch): shown on a terminal, never recorded.
public struct Progress: Equatable, Sendable {
    public let label: String       // "Epoch 3/30"
    public let done: Int
    public let total: Int
    public let detail: String      // "loss 0.2113"
    public let secondsLeft: Double?
}

/// Where a running command sends its output as it goes.
public protocol OutputSink: AnyObject {
    func emit(_ block: Block)
    /// Replaces the live progress line; nil clears it.
    func progress(_ progress: Progress?)
}

/// Keeps what a command emitted and passes it on.
public final class RecordingSink: OutputSink {
    public private(set) var blocks: [Block] = []
    private let next: OutputSink?

    public init(forwardingTo next: OutputSink? = nil) { self.next = next }

    public func emit(_ block: Block) {
        blocks.append(block)
        next?.emit(block)
    }

    public func progress(_ progress: Progress?) { next?.progress(progress) }
}
