import Foundation

/// Charts, heatmaps, bars and digit images drawn with text: Unicode braille, blocks and shades on
/// a capable terminal (with colour on a TTY), plain ASCII otherwise.
extension TerminalRenderer {
    /// Series colours (256-colour palette), close to matplotlib's first ten.
    static let palette = [33, 208, 34, 160, 135, 94, 205, 245, 142, 37]

    func color(_ text: String, palette index: Int) -> String {
        style(text, "38;5;\(Self.palette[index % Self.palette.count])")
    }

    // MARK: - Line charts

    func render(_ chart: Chart) -> String {
        let (xRange, yRange) = chart.bounds
        let rows = chart.unitSquare ? 16 : 12
        let yTicks = Chart.ticks(yRange, count: chart.unitSquare ? 5 : 4, whole: false)
        let yLabels = Chart.tickLabels(yTicks)
        let margin = (yLabels.map(\.count).max() ?? 1) + 1
        // A character is about twice as tall as wide: a square is twice as many columns as rows.
        let columns = chart.unitSquare ? 2 * rows : max(10, min(width, 100) - margin - 2)
        var canvas = DotCanvas(columns: columns, rows: rows, unicode: unicode)
        func dot(_ point: Chart.Point) -> (x: Int, y: Int) {
            (Int(((point.x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(canvas.dotWidth - 1)).rounded()),
             Int(((yRange.upperBound - point.y) / (yRange.upperBound - yRange.lowerBound) * Double(canvas.dotHeight - 1)).rounded()))
        }
        let chance = chart.series.count   // the diagonal's owner: drawn first, dim, under the curves
        if chart.unitSquare {
            canvas.line(dot(.init(0, 0)), dot(.init(1, 1)), series: chance, dotted: true)
        }
        for (index, series) in chart.series.enumerated() {
            let dots = series.points.map(dot)
            if dots.count == 1 { canvas.plot(dots[0].x, dots[0].y, series: index) }
            for (from, to) in zip(dots, dots.dropFirst()) { canvas.line(from, to, series: index, dotted: series.dashed) }
        }
        // Markers: where colour cannot tell the series apart (several, no colour, braille), and
        // wherever a curve has only one or two points, which would otherwise be lone dots.
        let markers = chart.markers
        let groups = Set(chart.series.indices.map(chart.group(of:)))
        let marked = unicode && !color && groups.count > 1
        for (index, series) in chart.series.enumerated() where unicode && (marked || series.points.count <= 2) {
            let symbol: Character = marked ? markers[index] : "●"
            let dots = series.points.map(dot)
            // A validation curve beside its training curve (one sweep run) is told apart by its dots.
            let partnered = series.dashed && chart.series.indices.contains { $0 != index && chart.group(of: $0) == chart.group(of: index) && !chart.series[$0].dashed }
            guard !partnered || dots.count <= 2 else { continue }
            // Every point of a short curve; on a long one three places spread along its length,
            // staggered by group so that markers of curves running close together do not coincide.
            let places = dots.count <= 4 ? dots : (0..<3).compactMap { step in
                along(dots, at: (Double(step) + 0.25 + 0.5 * Double(chart.group(of: index) % 7) / 7) / 3)
            }
            for at in places { canvas.mark(at.x, at.y, symbol, series: index) }
        }
        let vertical = unicode ? "│" : "|", tick = unicode ? "┤" : "+", corner = unicode ? "└" : "+", horizontal = unicode ? "─" : "-"
        let tickRows = Dictionary(yTicks.enumerated().map { index, value in
            (dot(.init(xRange.lowerBound, value)).y / (unicode ? 4 : 1), yLabels[index])
        }) { first, _ in first }
        var lines = title(chart.title)
        for row in 0..<rows {
            let label = tickRows[row] ?? ""
            lines.append(String(repeating: " ", count: margin - label.count - 1) + label + " " + (label.isEmpty ? vertical : tick)
                         + canvas.row(row) { $1 == chance ? self.style($0, "2") : self.color($0, palette: chart.group(of: $1)) })
        }
        lines.append(String(repeating: " ", count: margin) + corner + String(repeating: horizontal, count: columns))
        // x ticks at their own columns, each centred on its place, skipped where they would touch.
        let xTicks = Chart.ticks(xRange, count: max(2, min(6, columns / 12)), whole: chart.wholeNumbersOnX)
        var ticks = String(repeating: " ", count: margin + 1)
        for (value, label) in zip(xTicks, Chart.tickLabels(xTicks)) {
            let center = margin + 1 + dot(.init(value, yRange.lowerBound)).x / (unicode ? 2 : 1)
            let start = min(max(center - label.count / 2, margin + 1), margin + 1 + columns - label.count)
            guard start > ticks.count || ticks.count == margin + 1 && start >= ticks.count else { continue }
            ticks += String(repeating: " ", count: start - ticks.count) + label
        }
        lines.append(ticks)
        lines.append(String(repeating: " ", count: margin + 1 + max(0, (columns - chart.xLabel.count) / 2)) + chart.xLabel
                     + tr("   (y: \(chart.yLabel))"))
        let samples = chart.series.enumerated().map { index, series in
            guard unicode else { return String(repeating: DotCanvas.asciiMarks[index % DotCanvas.asciiMarks.count], count: 2) }
            let line = series.dashed ? "┅" : "━"
            return marked ? line + String(markers[index]) + line : line + line
        }
        var entries = chart.series.enumerated().map { index, series in
            color(samples[index], palette: chart.group(of: index)) + " " + series.name
        }
        var visible = chart.series.enumerated().map { samples[$0.offset].count + 1 + $0.element.name.count }
        if chart.unitSquare {
            let chance = tr("chance")
            entries.append(style(unicode ? "┅┅" : "..", "2") + " " + chance)
            visible.append(3 + chance.count)
        }
        // The legend, wrapped to the width.
        var legend = String(repeating: " ", count: margin + 1), used = margin + 1
        for (entry, length) in zip(entries, visible) {
            if used + length > min(width, 100) && used > margin + 1 {
                lines.append(legend)
                (legend, used) = (String(repeating: " ", count: margin + 1), margin + 1)
            }
            legend += entry + "   "
            used += length + 3
        }
        lines.append(legend)
        return lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n")
    }

    // MARK: - Heatmaps

    func render(_ heatmap: Heatmap) -> String {
        let cellWidth = max(heatmap.columnLabels.map(\.count).max() ?? 1, heatmap.cells.joined().map(\.count).max() ?? 1) + 2
        let labelWidth = max(heatmap.rowLabels.map(\.count).max() ?? 1, 1) + 1
        var lines = [style(heatmap.title, "1") + tr(" — rows: \(heatmap.rowTitle), columns: \(heatmap.columnTitle)")]
        lines.append(String(repeating: " ", count: labelWidth) + heatmap.columnLabels.map { pad($0, cellWidth) }.joined())
        for (row, label) in heatmap.rowLabels.enumerated() {
            let cells = heatmap.cells[row].enumerated().map { column, text in shaded(pad(text, cellWidth), heatmap.shades[row][column]) }
            lines.append(pad(label, labelWidth - 1) + " " + cells.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// A cell on a background from white to dark blue by `shade` (on a colour terminal); the text
    /// switches to white where the background is dark.
    private func shaded(_ text: String, _ shade: Double) -> String {
        guard color else { return text }
        let blues = [231, 195, 153, 117, 75, 33, 26, 19, 17]
        let step = Int((min(max(shade, 0), 1) * Double(blues.count - 1)).rounded())
        return "\u{1B}[48;5;\(blues[step]);38;5;\(step >= 5 ? 231 : 16)m\(text)\u{1B}[0m"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    // MARK: - Bars

    func render(_ bars: BarChart) -> String {
        let labelWidth = bars.labels.map(\.count).max() ?? 0
        let valueWidth = bars.valueTexts.map(\.count).max() ?? 0
        let barWidth = max(10, min(width, 100) - labelWidth - valueWidth - 4)
        let top = max(bars.values.max() ?? 1, 1e-12)
        let eighths = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var lines = title(bars.title)
        for (index, label) in bars.labels.enumerated() {
            let length = bars.values[index] / top * Double(barWidth)
            var bar: String
            if unicode {
                let whole = Int(length), fraction = Int((length - Double(whole)) * 8)
                bar = String(repeating: "█", count: whole) + (fraction > 0 ? eighths[fraction] : "")
            } else {
                bar = String(repeating: "#", count: Int(length.rounded()))
            }
            bar = index == bars.highlighted ? style(bar, "32") : color(bar, palette: 0)
            let visible = unicode ? Int(length) + (Int((length - Double(Int(length))) * 8) > 0 ? 1 : 0) : Int(length.rounded())
            lines.append(label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + (unicode ? " │" : " |") + bar
                         + String(repeating: " ", count: max(0, barWidth - visible)) + " " + bars.valueTexts[index])
        }
        return lines.joined(separator: "\n")
    }

    /// A picture's title in bold, folded to the width at word boundaries (a 60-column terminal
    /// broke `show activations`' title inside a word).
    private func title(_ text: String) -> [String] {
        fold(text, width: width).map { style($0, "1") }
    }

    // MARK: - Images

    func render(_ grid: ImageGrid) -> String {
        guard grid.images.first != nil else { return (title(grid.title) + [tr("(no images)")]).joined(separator: "\n") }
        // Taller than the screen, its top rows would scroll away: draw the images at half size.
        let full = renderFull(grid)
        guard let height, full.count >= height - 1, grid.images.allSatisfy({ $0.width >= 16 && $0.height >= 16 }) else {
            return full.joined(separator: "\n")
        }
        var halved = grid
        halved.images = grid.images.map(\.halved)
        return renderFull(halved).joined(separator: "\n")
    }

    private func renderFull(_ grid: ImageGrid) -> [String] {
        let first = grid.images[0]
        // A 3×3 kernel drawn one character a pixel is too small to read: repeat each pixel.
        let scale = first.width < 8 ? (8 + first.width - 1) / first.width : 1
        let drawnWidth = first.width * scale
        let cellWidth = max(drawnWidth, grid.images.map { $0.caption.count + 2 }.max() ?? 0) + 2
        let perRow = max(1, min(grid.columns, min(width, 160) / cellWidth))
        var lines = title(grid.title)
        if grid.signed {
            lines.append(color ? tr("(\(style(tr("red"), "38;5;196")): positive · \(style(tr("blue"), "38;5;21")): negative · black: 0)")
                         : unicode ? tr("(█ positive · ● negative · blank: 0)") : tr("(# positive · ~ negative · blank: 0)"))
        }
        for start in stride(from: 0, to: grid.images.count, by: perRow) {
            let images = grid.images[start..<min(start + perRow, grid.images.count)]
            let rendered = images.map { renderImage($0, scale: scale, signed: grid.signed) }
            for line in 0..<(rendered.map(\.count).max() ?? 0) {
                lines.append(rendered.map { image in
                    (line < image.count ? image[line] : String(repeating: " ", count: drawnWidth))
                        + String(repeating: " ", count: cellWidth - drawnWidth)
                }.joined())
            }
            lines.append(images.map { image in
                let mark = image.correct.map { $0 ? (unicode ? " ✓" : " ok") : (unicode ? " ✗" : " X") } ?? ""
                let text = color ? image.caption : image.caption + mark
                let padded = text.padding(toLength: cellWidth, withPad: " ", startingAt: 0)
                return image.correct.map { style(padded, $0 ? "32" : "31") } ?? padded
            }.joined())
            lines.append("")
        }
        return Array(lines.dropLast())
    }

    /// Two pixel rows per text line: the upper half block in the top pixel's colour over the
    /// bottom pixel's (colour terminals), else a shade character for the pair's mean. `scale`
    /// repeats each pixel that many times both ways.
    private func renderImage(_ image: ImageGrid.Image, scale: Int, signed: Bool) -> [String] {
        let (width, height) = (image.width * scale, image.height * scale)
        func pixel(_ row: Int, _ column: Int) -> Float {
            guard row < height else { return 0 }
            let value = image.pixels[row / scale * image.width + column / scale]
            return signed ? min(max(value, -1), 1) : min(max(value, 0), 1)
        }
        return stride(from: 0, to: height, by: 2).map { row in
            (0..<width).map { column in
                let (top, bottom) = (pixel(row, column), pixel(row + 1, column))
                if color && unicode {
                    let (fg, bg) = signed ? (Self.diverging(top), Self.diverging(bottom)) : (232 + Int(top * 23), 232 + Int(bottom * 23))
                    return "\u{1B}[38;5;\(fg);48;5;\(bg)m▀"
                }
                let mean = (top + bottom) / 2
                let ramp: [Character] = switch (unicode, signed, mean < 0) {
                case (true, true, true): [" ", "·", "∙", "•", "●"]
                case (true, _, _): [" ", "░", "▒", "▓", "█"]
                case (false, false, _): Array(" .:-=+*#%@")
                case (false, true, false): [" ", ".", "+", "*", "#"]
                case (false, true, true): [" ", ",", "-", "=", "~"]
                }
                return String(ramp[min(ramp.count - 1, Int(abs(mean) * Float(ramp.count)))])
            }.joined() + (color && unicode ? "\u{1B}[0m" : "")
        }
    }

    /// −1 … 1 in the 256-colour cube: blue through black to red.
    static func diverging(_ value: Float) -> Int {
        let level = Int((abs(value) * 5).rounded())
        return 16 + (value > 0 ? 36 * level : level)
    }
}

/// A grid of dots, two across and four down per character (braille), or one mark per character.
struct DotCanvas {
    static let asciiMarks: [Character] = Array("*o+x#@%&=~")
    let columns: Int
    let rows: Int
    let unicode: Bool
    private var bits: [UInt8]
    private var owners: [Int?]
    private var marks: [Int: (Character, Int)] = [:]

    init(columns: Int, rows: Int, unicode: Bool) {
        (self.columns, self.rows, self.unicode) = (columns, rows, unicode)
        bits = [UInt8](repeating: 0, count: columns * rows)
        owners = [Int?](repeating: nil, count: columns * rows)
    }

    var dotWidth: Int { columns * (unicode ? 2 : 1) }
    var dotHeight: Int { rows * (unicode ? 4 : 1) }

    mutating func plot(_ x: Int, _ y: Int, series: Int) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let (column, row) = unicode ? (x / 2, y / 4) : (x, y)
        if unicode {
            // Braille dot numbering: columns 1-2-3-7 and 4-5-6-8.
            let bit: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
            bits[row * columns + column] |= bit[y % 4][x % 2]
        }
        owners[row * columns + column] = series
    }

    /// A straight line of dots between two points (Bresenham); dotted: every other pair of dots.
    mutating func line(_ from: (x: Int, y: Int), _ to: (x: Int, y: Int), series: Int, dotted: Bool = false) {
        var (x, y) = from
        var step = 0
        let (dx, dy) = (abs(to.x - x), -abs(to.y - y))
        let (sx, sy) = (x < to.x ? 1 : -1, y < to.y ? 1 : -1)
        var error = dx + dy
        while true {
            if !dotted || !unicode || step % 4 < 2 { plot(x, y, series: series) }
            step += 1
            if x == to.x && y == to.y { break }
            let doubled = 2 * error
            if doubled >= dy { error += dy; x += sx }
            if doubled <= dx { error += dx; y += sy }
        }
    }

    /// A character drawn over the dots of its cell (a series' marker).
    mutating func mark(_ x: Int, _ y: Int, _ symbol: Character, series: Int) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let (column, row) = unicode ? (x / 2, y / 4) : (x, y)
        marks[row * columns + column] = (symbol, series)
    }

    /// One text row; `paint` colours a character by the series that drew there last.
    func row(_ row: Int, paint: (String, Int) -> String) -> String {
        (0..<columns).map { column in
            let index = row * columns + column
            if let (symbol, owner) = marks[index] { return paint(String(symbol), owner) }
            guard let owner = owners[index] else { return unicode ? "\u{2800}" : " " }
            let character = unicode ? String(UnicodeScalar(0x2800 + UInt32(bits[index]))!)
                : String(Self.asciiMarks[owner % Self.asciiMarks.count])
            return paint(character, owner)
        }.joined()
    }
}


extension ImageGrid.Image {
    /// Each 2×2 block of pixels averaged into one.
    var halved: ImageGrid.Image {
        let (w, h) = (width / 2, height / 2)
        let pixels = (0..<h).flatMap { row in
            (0..<w).map { column in
                let at = { (r: Int, c: Int) in self.pixels[(2 * row + r) * self.width + 2 * column + c] }
                return (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4
            }
        }
        return ImageGrid.Image(width: w, height: h, pixels: pixels, caption: caption, correct: correct)
    }
}

/// The dot at `fraction` of the way along a polyline, measured by its length on the screen.
private func along(_ dots: [(x: Int, y: Int)], at fraction: Double) -> (x: Int, y: Int)? {
    guard let first = dots.first else { return nil }
    let lengths = zip(dots, dots.dropFirst()).map { hypot(Double($1.x - $0.x), Double($1.y - $0.y)) }
    var remaining = fraction * lengths.reduce(0, +)
    for (index, length) in lengths.enumerated() {
        if remaining <= length, length > 0 {
            let t = remaining / length
            let (a, b) = (dots[index], dots[index + 1])
            return (Int((Double(a.x) + t * Double(b.x - a.x)).rounded()), Int((Double(a.y) + t * Double(b.y - a.y)).rounded()))
        }
        remaining -= length
    }
    return dots.last ?? first
}
