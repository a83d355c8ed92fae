import Foundation

/// Pictures as standalone SVG documents, for `to=FILE.svg` (a browser shows them).
/// Text blocks have no picture: `render` returns nil for them.
public struct SVGRenderer: Sendable {
    public init() {}

    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    public func render(_ block: Block) -> String? {
        switch block {
        case .chart(let chart): render(chart)
        case .heatmap(let heatmap): render(heatmap)
        case .bars(let bars): render(bars)
        case .images(let grid): render(grid)
        case .text, .note, .fields, .table: nil
        }
    }

    func render(_ chart: Chart) -> String {
        // A ROC chart is square, both axes on one scale; the others fill the width.
        let (width, height) = (640.0, 430.0)
        let plot = chart.unitSquare ? (left: 170.0, top: 40.0, right: 470.0, bottom: 340.0) : (left: 70.0, top: 40.0, right: 620.0, bottom: 340.0)
        let (xRange, yRange) = chart.bounds
        func x(_ value: Double) -> Double { plot.left + (value - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (plot.right - plot.left) }
        func y(_ value: Double) -> Double { plot.bottom - (value - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (plot.bottom - plot.top) }
        var body = [text(chart.title, x: width / 2, y: 24, size: 16, anchor: "middle", bold: true)]
        let yTicks = Chart.ticks(yRange, count: 5, whole: false)
        for (value, label) in zip(yTicks, Chart.tickLabels(yTicks)) {
            body.append(line(plot.left, y(value), plot.right, y(value), color: "#e6e6e6"))
            body.append(text(label, x: plot.left - 8, y: y(value) + 4, anchor: "end"))
        }
        let xTicks = Chart.ticks(xRange, count: chart.unitSquare ? 5 : 6, whole: chart.wholeNumbersOnX)
        for (value, label) in zip(xTicks, Chart.tickLabels(xTicks)) {
            if chart.unitSquare { body.append(line(x(value), plot.top, x(value), plot.bottom, color: "#e6e6e6")) }
            body.append(line(x(value), plot.bottom, x(value), plot.bottom + 5, color: "#333"))
            body.append(text(label, x: x(value), y: plot.bottom + 20, anchor: "middle"))
        }
        body.append(line(plot.left, plot.bottom, plot.right, plot.bottom, color: "#333"))
        body.append(line(plot.left, plot.top, plot.left, plot.bottom, color: "#333"))
        if chart.unitSquare {
            body.append("<line x1=\"\(f(x(0)))\" y1=\"\(f(y(0)))\" x2=\"\(f(x(1)))\" y2=\"\(f(y(1)))\" stroke=\"#999\" stroke-width=\"1\" stroke-dasharray=\"4 4\"/>")
        }
        body.append(text(chart.xLabel, x: (plot.left + plot.right) / 2, y: plot.bottom + 42, size: 13, anchor: "middle"))
        let yLabelX = plot.left - 52
        body.append("<text x=\"\(f(yLabelX))\" y=\"\(f((plot.top + plot.bottom) / 2))\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(yLabelX)) \(f((plot.top + plot.bottom) / 2)))\">\(escape(chart.yLabel))</text>")
        // Colour, and for print in grey: each group its own marker shape, validation dashed.
        var legend: [(sample: String, name: String)] = []
        for (index, series) in chart.series.enumerated() {
            let group = chart.group(of: index)
            let color = Self.colors[group % Self.colors.count]
            let dash = series.dashed ? " stroke-dasharray=\"6 4\"" : ""
            let points = series.points.map { (x: x($0.x), y: y($0.y)) }
            body.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(points.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " "))\"/>")
            for point in Self.markerPlaces(points, group: group) { body.append(marker(group, at: point, color: color)) }
            legend.append(("<line x1=\"0\" y1=\"-4\" x2=\"22\" y2=\"-4\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>" + marker(group, at: (11, -4), color: color), series.name))
        }
        if chart.unitSquare { legend.append(("<line x1=\"0\" y1=\"-4\" x2=\"22\" y2=\"-4\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>", tr("chance"))) }
        for (index, entry) in legend.enumerated() {
            let column = Double(index % 4), row = Double(index / 4)
            let (legendX, legendY) = (40 + column * 150, plot.bottom + 66 + row * 18)
            body.append("<g transform=\"translate(\(f(legendX)) \(f(legendY)))\">\(entry.sample)</g>")
            body.append(text(entry.name, x: legendX + 28, y: legendY, size: 11))
        }
        let legendRows = (legend.count + 3) / 4
        return document(width: width, height: height + Double(max(0, legendRows - 2)) * 18, body)
    }

    /// Where a curve's markers go: every point of a short curve, else six spread along its length
    /// (staggered by group, so that close curves' markers do not coincide).
    static func markerPlaces(_ points: [(x: Double, y: Double)], group: Int) -> [(x: Double, y: Double)] {
        guard points.count > 12 else { return points }
        let lengths = zip(points, points.dropFirst()).map { hypot($1.x - $0.x, $1.y - $0.y) }
        let total = lengths.reduce(0, +)
        return (0..<6).compactMap { step in
            var remaining = (Double(step) + 0.2 + 0.6 * Double(group % 7) / 7) / 6 * total
            for (index, length) in lengths.enumerated() {
                if remaining <= length, length > 0 {
                    let t = remaining / length
                    return (points[index].x + t * (points[index + 1].x - points[index].x), points[index].y + t * (points[index + 1].y - points[index].y))
                }
                remaining -= length
            }
            return points.last
        }
    }

    /// A marker shape for a group: circle, square, triangle, diamond, then the same hollow, …
    func marker(_ group: Int, at point: (x: Double, y: Double), color: String) -> String {
        let fill = (group / 5) % 2 == 0 ? color : "#fff"
        let paint = "fill=\"\(fill)\" stroke=\"\(color)\" stroke-width=\"1.5\""
        let (cx, cy) = point
        switch group % 5 {
        case 0: return "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"3.5\" \(paint)/>"
        case 1: return "<rect x=\"\(f(cx - 3.5))\" y=\"\(f(cy - 3.5))\" width=\"7\" height=\"7\" \(paint)/>"
        case 2: return "<polygon points=\"\(f(cx)),\(f(cy - 4.5)) \(f(cx + 4)),\(f(cy + 3)) \(f(cx - 4)),\(f(cy + 3))\" \(paint)/>"
        case 3: return "<polygon points=\"\(f(cx)),\(f(cy - 4.5)) \(f(cx + 4.5)),\(f(cy)) \(f(cx)),\(f(cy + 4.5)) \(f(cx - 4.5)),\(f(cy))\" \(paint)/>"
        default: return "<path d=\"M\(f(cx - 4)) \(f(cy - 4))L\(f(cx + 4)) \(f(cy + 4))M\(f(cx - 4)) \(f(cy + 4))L\(f(cx + 4)) \(f(cy - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
        }
    }

    func render(_ heatmap: Heatmap) -> String {
        let cell = 44.0
        let (left, top) = (90.0, 70.0)
        let width = left + cell * Double(heatmap.columnLabels.count) + 20
        let height = top + cell * Double(heatmap.rowLabels.count) + 50
        var body = [text(heatmap.title, x: width / 2, y: 24, size: 16, anchor: "middle", bold: true),
                    text(heatmap.columnTitle, x: left + cell * Double(heatmap.columnLabels.count) / 2, y: 46, size: 13, anchor: "middle")]
        body.append("<text x=\"20\" y=\"\(f(top + cell * Double(heatmap.rowLabels.count) / 2))\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 20 \(f(top + cell * Double(heatmap.rowLabels.count) / 2)))\">\(escape(heatmap.rowTitle))</text>")
        for (column, label) in heatmap.columnLabels.enumerated() {
            body.append(text(label, x: left + (Double(column) + 0.5) * cell, y: top - 8, anchor: "middle"))
        }
        for (row, label) in heatmap.rowLabels.enumerated() {
            body.append(text(label, x: left - 8, y: top + (Double(row) + 0.5) * cell + 4, anchor: "end"))
            for column in heatmap.columnLabels.indices {
                let shade = min(max(heatmap.shades[row][column], 0), 1)
                // White to dark blue, as matplotlib's "Blues".
                let (r, g, b) = (247 - shade * 239, 251 - shade * 203, 255 - shade * 148)
                let (cx, cy) = (left + Double(column) * cell, top + Double(row) * cell)
                body.append("<rect x=\"\(f(cx))\" y=\"\(f(cy))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"rgb(\(Int(r)),\(Int(g)),\(Int(b)))\" stroke=\"#fff\"/>")
                body.append("<text x=\"\(f(cx + cell / 2))\" y=\"\(f(cy + cell / 2 + 4))\" font-size=\"11\" text-anchor=\"middle\" fill=\"\(shade > 0.55 ? "#fff" : "#000")\">\(escape(heatmap.cells[row][column]))</text>")
            }
        }
        return document(width: width, height: height, body)
    }

    func render(_ bars: BarChart) -> String {
        let labelWidth = Double((bars.labels.map(\.count).max() ?? 1) * 8 + 16)
        let (barArea, rowHeight) = (420.0, 26.0)
        let width = labelWidth + barArea + 90
        let height = 50 + rowHeight * Double(bars.labels.count) + 10
        let top = max(bars.values.max() ?? 1, 1e-12)
        var body = [text(bars.title, x: width / 2, y: 24, size: 16, anchor: "middle", bold: true)]
        for (index, label) in bars.labels.enumerated() {
            let y = 44 + Double(index) * rowHeight
            let length = bars.values[index] / top * barArea
            let fill = index == bars.highlighted ? Self.colors[2] : Self.colors[0]
            body.append(text(label, x: labelWidth - 8, y: y + rowHeight / 2 + 4, anchor: "end"))
            body.append("<rect x=\"\(f(labelWidth))\" y=\"\(f(y + 3))\" width=\"\(f(length))\" height=\"\(f(rowHeight - 6))\" fill=\"\(fill)\"/>")
            body.append(text(bars.valueTexts[index], x: labelWidth + length + 6, y: y + rowHeight / 2 + 4))
        }
        return document(width: width, height: height, body)
    }

    func render(_ grid: ImageGrid) -> String {
        guard let first = grid.images.first else { return document(width: 200, height: 60, [text(grid.title, x: 100, y: 30, anchor: "middle")]) }
        // 4 px a pixel for MNIST's 28×28; small images drawn larger, so digits and captions stay readable.
        let scale = max(4.0, 96.0 / Double(max(first.width, 1)))
        let (cellWidth, cellHeight) = (Double(first.width) * scale + 24, Double(first.height) * scale + 40)
        let columns = max(1, min(grid.columns, grid.images.count))
        let rows = (grid.images.count + columns - 1) / columns
        // Wide enough for the title too (about 8.5 px a character at 16 px, bold).
        let width = max(cellWidth * Double(columns) + 16, Double(grid.title.count) * 8.5 + 32), height = 44 + cellHeight * Double(rows)
        var body = [text(grid.title, x: width / 2, y: 26, size: 16, anchor: "middle", bold: true)]
        if grid.signed { body.append(text(tr("red: positive · blue: negative · white: 0"), x: width / 2, y: height + 4, anchor: "middle")) }
        for (index, image) in grid.images.enumerated() {
            let (x0, y0) = (8 + Double(index % columns) * cellWidth + 12, 40 + Double(index / columns) * cellHeight)
            body.append("<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(Double(image.width) * scale))\" height=\"\(f(Double(image.height) * scale))\" fill=\"\(grid.signed ? "#f7f7f7" : "#000")\"/>")
            for row in 0..<image.height {
                for column in 0..<image.width {
                    let value = image.pixels[row * image.width + column]
                    guard let fill = grid.signed ? Self.diverging(value) : Self.gray(value) else { continue }
                    body.append("<rect x=\"\(f(x0 + Double(column) * scale))\" y=\"\(f(y0 + Double(row) * scale))\" width=\"\(f(scale))\" height=\"\(f(scale))\" fill=\"\(fill)\"/>")
                }
            }
            let color = image.correct.map { $0 ? "#2ca02c" : "#d62728" } ?? "#000"
            body.append("<text x=\"\(f(x0 + Double(image.width) * scale / 2))\" y=\"\(f(y0 + Double(image.height) * scale + 18))\" font-size=\"12\" text-anchor=\"middle\" fill=\"\(color)\">\(escape(image.caption))</text>")
        }
        return document(width: width, height: height + (grid.signed ? 16 : 0), body)
    }

    /// A gray for 0 … 1; nil for black, the background already.
    static func gray(_ value: Float) -> String? {
        let value = min(max(value, 0), 1)
        guard value > 0.02 else { return nil }
        let gray = Int(value * 255)
        return "rgb(\(gray),\(gray),\(gray))"
    }

    /// −1 … 1 from blue through white to red (ColorBrewer's RdBu ends); nil near 0, the background.
    static func diverging(_ value: Float) -> String? {
        let t = Double(min(max(value, -1), 1))
        guard abs(t) > 0.02 else { return nil }
        let end: (Double, Double, Double) = t > 0 ? (178, 24, 43) : (33, 102, 172)
        func mix(_ channel: Double) -> Int { Int(247 + (channel - 247) * abs(t)) }
        return "rgb(\(mix(end.0)),\(mix(end.1)),\(mix(end.2)))"
    }

    // MARK: - Pieces

    private func document(width: Double, height: Double, _ body: [String]) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="#fff"/>
        \(body.joined(separator: "\n"))
        </svg>

        """
    }

    private func text(_ content: String, x: Double, y: Double, size: Int = 12, anchor: String = "start", bold: Bool = false) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\"\(bold ? " font-weight=\"bold\"" : "")>\(escape(content))</text>"
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String, width: Double = 1) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(color)\" stroke-width=\"\(f(width))\"/>"
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// Text made safe inside XML elements and attributes.
func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

