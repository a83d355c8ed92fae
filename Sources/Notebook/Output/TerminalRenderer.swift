import Foundation

/// Renders blocks for a terminal: plain text, aligned fields, box-drawn tables.
/// Colour (ANSI) only when asked — on a TTY without `NO_COLOR`; ASCII lines when the terminal
/// cannot show Unicode (`TERM=dumb`, or a locale that is not UTF-8).
public struct TerminalRenderer: Sendable {
    public var width: Int
    /// Rows on the screen, when known: tall pictures shrink to fit it.
    public var height: Int?
    public var color: Bool
    public var unicode: Bool
    /// Whether text wider than `width` is folded at word boundaries. Recordings keep each message
    /// on one line (a document's viewer folds it), so they compare the same at any width.
    public var wraps: Bool

    public init(width: Int = 80, height: Int? = nil, color: Bool = false, unicode: Bool = true, wraps: Bool = true) {
        self.width = width
        self.height = height
        self.color = color
        self.unicode = unicode
        self.wraps = wraps
    }

    /// Settings for standard output as it is now (`isTerminal`: whether it is a TTY).
    public static func forStandardOutput(environment: [String: String] = ProcessInfo.processInfo.environment,
                                         isTerminal: Bool = isatty(STDOUT_FILENO) == 1) -> TerminalRenderer {
        let tty = isTerminal
        var size = winsize()
        let measured = tty && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0
        let columns = measured ? Int(size.ws_col) : Int(environment["COLUMNS"] ?? "").flatMap { $0 > 0 ? $0 : nil } ?? 80
        let term = environment["TERM"] ?? ""
        let locale = environment["LC_ALL"] ?? environment["LC_CTYPE"] ?? environment["LANG"] ?? ""
        let utf8 = locale.isEmpty || locale.uppercased().contains("UTF-8") || locale.uppercased().contains("UTF8")
        return TerminalRenderer(width: columns, height: measured && size.ws_row > 0 ? Int(size.ws_row) : nil,
                                color: tty && environment["NO_COLOR"] == nil && term != "dumb",
                                unicode: term != "dumb" && utf8,
                                wraps: tty)   // piped into a file or a pager, a line stays whole
    }

    public func render(_ block: Block) -> String {
        switch block {
        case .text(let text):
            return wrap(text)
        case .note(let text):
            return style(wrap(text), "2")
        case .fields(let fields):
            let keyWidth = fields.map { $0.key.count }.max() ?? 0
            return fields.map { field in
                let value = fold(field.value, width: width - keyWidth - 2).joined(separator: "\n" + String(repeating: " ", count: keyWidth + 2))
                return style(field.key.padding(toLength: keyWidth, withPad: " ", startingAt: 0), "1") + "  " + value
            }.joined(separator: "\n")
        case .table(let table):
            return render(table)
        case .chart(let chart):
            return render(chart)
        case .heatmap(let heatmap):
            return render(heatmap)
        case .bars(let bars):
            return render(bars)
        case .images(let grid):
            return render(grid)
        }
    }

    public func render(_ table: Table) -> String {
        let columns = table.headers.count
        var widths = (0..<columns).map { column in
            ([table.headers] + table.rows).map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        // Too wide for the screen: the widest columns fold onto more lines (help's prose first, as
        // it is the widest), each down to its header's width and its longest word. If even that is
        // too wide, each row is stacked: its first cell, then the others under it, one a line.
        var rows = table.rows
        let gaps = 3 * max(columns - 1, 0)
        if wraps, columns > 0, widths.reduce(0, +) + gaps > width {
            let least = (0..<columns).map { column in
                ([table.headers] + table.rows).map { row in
                    row.indices.contains(column) ? Self.pieces(row[column]).map(\.text.count).max() ?? 0 : 0
                }.max() ?? 0
            }
            guard least.reduce(0, +) + gaps <= width else { return stacked(table) }
            while widths.reduce(0, +) + gaps > width,
                  let widest = widths.indices.filter({ widths[$0] > least[$0] }).max(by: { (widths[$0], $0) < (widths[$1], $1) }) {
                let next = widths.enumerated().filter { $0.offset != widest }.map(\.element).max() ?? 0
                let excess = widths.reduce(0, +) + gaps - width
                widths[widest] = max(least[widest], widths[widest] - max(1, min(excess, widths[widest] - next)))
            }
            rows = table.rows.flatMap { row -> [[String]] in
                guard row.count == columns else { return [row] }
                let cells = row.enumerated().map { fold($1, width: widths[$0]) }
                return (0..<(cells.map(\.count).max() ?? 1)).map { line in cells.map { line < $0.count ? $0[line] : "" } }
            }
        }
        func line(_ cells: [String], header: Bool = false) -> String {
            (0..<columns).map { column in
                let cell = cells.indices.contains(column) ? cells[column] : ""
                let pad = String(repeating: " ", count: max(0, widths[column] - cell.count))
                let text = table.alignments[column] == .right ? pad + cell : cell + pad
                return header ? style(text, "1") : text
            }.joined(separator: "   ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let rule = String(repeating: unicode ? "─" : "-", count: min(width, widths.reduce(0, +) + 3 * max(columns - 1, 0)))
        var lines = [line(table.headers, header: true), rule] + rows.map { line($0) }
        if !table.footer.isEmpty { lines += [rule] + table.footer.map(wrap) }
        return lines.joined(separator: "\n")
    }

    /// A table too wide to fold, a row at a time: `lr` then `  value    X`, `  default  0.01`, and
    /// the cells of unnamed columns as indented prose.
    func stacked(_ table: Table) -> String {
        let labelWidth = table.headers.dropFirst().map(\.count).max() ?? 0
        var lines: [String] = []
        for row in table.rows {
            lines.append(style(row.first ?? "", "1"))
            // Unnamed columns (the prose) first: what an option is matters more than its default.
            let order = row.indices.dropFirst().sorted { (table.headers[safe: $0]?.isEmpty == false ? 1 : 0, $0) < (table.headers[safe: $1]?.isEmpty == false ? 1 : 0, $1) }
            for (column, cell) in order.map({ ($0, row[$0]) }) where !cell.isEmpty {
                let header = table.headers.indices.contains(column) ? table.headers[column] : ""
                let indent = header.isEmpty ? 4 : 2 + labelWidth + 2
                let label = header.isEmpty ? "    " : "  " + header.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + "  "
                lines.append(label + fold(cell, width: max(8, width - indent)).joined(separator: "\n" + String(repeating: " ", count: indent)))
            }
        }
        if !table.footer.isEmpty { lines += table.footer.map(wrap) }
        return lines.joined(separator: "\n")
    }

    /// `text` folded to the width at spaces. A line laid out in columns (`  train    fit the
    /// model…`, `usage:   …`) continues under its last column; other lines under their own indent.
    public func wrap(_ text: String) -> String {
        guard wraps else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let line = String(line)
            guard line.count > width else { return line }
            let hang = Self.hangingIndent(line, width: width)
            let first = fold(line, width: width, continuing: width - hang)
            return first.enumerated().map { $0 == 0 ? $1 : String(repeating: " ", count: hang) + $1 }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Where a folded line's continuation starts: after a gap of two or more spaces in its first
    /// half (a column), else under the line's leading spaces.
    static func hangingIndent(_ line: String, width: Int) -> Int {
        let characters = Array(line)
        let leading = characters.prefix { $0 == " " }.count
        var index = leading
        while index < min(characters.count, width / 2) {
            if characters[index] == " ", index + 1 < characters.count, characters[index + 1] == " " {
                var end = index
                while end < characters.count, characters[end] == " " { end += 1 }
                return end < width / 2 ? end : leading
            }
            index += 1
        }
        return leading
    }

    /// `text` cut where a line may break: after a run of spaces (kept with the next piece as its
    /// gap) or after `|`, `,` or `/` (kept: `sgd|adam|…` lists, paths).
    static func pieces(_ text: String) -> [(gap: String, text: String)] {
        var pieces: [(gap: String, text: String)] = [], gap = "", piece = ""
        for character in text {
            if character == " " {
                if !piece.isEmpty { pieces.append((gap, piece)); (gap, piece) = ("", "") }
                gap.append(" ")
                continue
            }
            piece.append(character)
            if "|,/".contains(character) { pieces.append((gap, piece)); (gap, piece) = ("", "") }
        }
        if !piece.isEmpty { pieces.append((gap, piece)) }
        return pieces
    }

    /// `text` in lines of at most `width` characters (`continuing` after the first), broken where
    /// `pieces` allows; the gap at a break is dropped, other gaps kept. A piece longer than a line is cut.
    func fold(_ text: String, width: Int, continuing: Int? = nil) -> [String] {
        guard wraps, text.count > width, width > 0 else { return [text] }
        var lines: [String] = [], current = "", limit = width
        for (index, piece) in Self.pieces(text).enumerated() {
            if index == 0 || current.count + piece.gap.count + piece.text.count <= limit {
                current += piece.gap + piece.text
            } else {
                lines.append(current)
                limit = max(1, continuing ?? width)
                current = piece.text
            }
            while current.count > limit {
                lines.append(String(current.prefix(limit)))
                current = String(current.dropFirst(limit))
                limit = max(1, continuing ?? width)
            }
        }
        lines.append(current)
        return lines
    }

    /// One line: `Epoch 3/30 ━━━━━━━━━━╺━━━━━━━  412/797 · loss 0.2113 · ETA 2s`, fitted to the width.
    /// `Epoch 3/30 ━━━━━━━━━━━━━━━ 400/800 · loss 0.2113 · ETA 1.50s`, shorter than the width: a
    /// progress line that wraps cannot be redrawn in place. The bar shrinks first, then the detail.
    public func render(_ progress: Progress) -> String {
        let counter = "\(progress.done)/\(progress.total)"
        let eta = progress.secondsLeft.map { tr(" · ETA \(formatDuration($0))") } ?? ""
        let brackets = unicode ? 0 : 2
        // Three columns stay free: the terminal echoes Ctrl-C as "^C" after the line, and a line
        // that wraps cannot be cleared in place.
        let free = 3
        let room = width - free - (progress.label.count + 1 + 10 + brackets + 1 + counter.count + 3 + eta.count)
        let detail = progress.detail.count <= room ? progress.detail : room > 1 ? progress.detail.prefix(room - 1) + "…" : ""
        let tail = " \(counter)\(detail.isEmpty ? "" : " · " + detail)\(eta)"
        let barWidth = max(3, min(30, width - free - progress.label.count - 1 - brackets - tail.count))
        let filled = progress.total > 0 ? barWidth * progress.done / progress.total : 0
        let bar = unicode
            // Without colour, done and to do must differ in shape: heavy line, then light.
            ? style(String(repeating: "━", count: filled), "32") + style(String(repeating: color ? "━" : "─", count: barWidth - filled), "2")
            : "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: barWidth - filled) + "]"
        return progress.label + " " + bar + tail
    }

    public func errorText(_ text: String) -> String {
        // The message folds; the echoed command and its caret must stay as they are, and so must a
        // `file:line: error:` line, which editors and scripts read whole (as compilers leave theirs).
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .map { line in ["error: ", "warning: ", "note: "].contains { line.hasPrefix($0) } ? wrap(line) : line }
        guard color, let first = lines.first else { return lines.joined(separator: "\n") }
        let colored = first.hasPrefix("error:") ? style("error:", "1;31") + first.dropFirst(6) : first
        return ([colored] + lines.dropFirst().map { $0.trimmingCharacters(in: .whitespaces).allSatisfy { "^~".contains($0) } && !$0.trimmingCharacters(in: .whitespaces).isEmpty ? style($0, "32") : $0 })
            .joined(separator: "\n")
    }

    public func style(_ text: String, _ code: String) -> String {
        color && !text.isEmpty ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}

/// 0.41 → "0.41s", 75 → "1m15s".
public func formatDuration(_ seconds: Double) -> String {
    if seconds < 10 { return String(format: "%.2fs", seconds) }
    if seconds < 60 { return String(format: "%.0fs", seconds) }
    return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
