import Foundation

/// Renders blocks for a terminal: plain text, aligned fields, box-drawn tables.
/// Colour (ANSI) only when asked — on a TTY without `NO_COLOR`; ASCII lines when the terminal
/// cannot show Unicode (`TERM=dumb`, or a locale that is not UTF-8).
public struct TerminalRenderer: Sendable {
    public var width: Int
    public var color: Bool
    public var unicode: Bool

    public init(width: Int = 80, color: Bool = false, unicode: Bool = true) {
        self.width = width
        self.color = color
        self.unicode = unicode
    }

    /// Settings for standard output as it is now (`isTerminal`: whether it is a TTY).
    public static func forStandardOutput(environment: [String: String] = ProcessInfo.processInfo.environment,
                                         isTerminal: Bool = isatty(STDOUT_FILENO) == 1) -> TerminalRenderer {
        let tty = isTerminal
        var size = winsize()
        let columns = tty && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
        let term = environment["TERM"] ?? ""
        let locale = environment["LC_ALL"] ?? environment["LC_CTYPE"] ?? environment["LANG"] ?? ""
        let utf8 = locale.isEmpty || locale.uppercased().contains("UTF-8") || locale.uppercased().contains("UTF8")
        return TerminalRenderer(width: columns,
                                color: tty && environment["NO_COLOR"] == nil && term != "dumb",
                                unicode: term != "dumb" && utf8)
    }

    public func render(_ block: Block) -> String {
        switch block {
        case .text(let text):
            return text
        case .note(let text):
            return style(text, "2")
        case .fields(let fields):
            let keyWidth = fields.map { $0.key.count }.max() ?? 0
            return fields.map { style($0.key.padding(toLength: keyWidth, withPad: " ", startingAt: 0), "1") + "  " + $0.value }
                .joined(separator: "\n")
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
        let widths = (0..<columns).map { column in
            ([table.headers] + table.rows).map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        func line(_ cells: [String], header: Bool = false) -> String {
            (0..<columns).map { column in
                let cell = cells.indices.contains(column) ? cells[column] : ""
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                let text = table.alignments[column] == .right ? pad + cell : cell + pad
                return header ? style(text, "1") : text
            }.joined(separator: "   ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let rule = String(repeating: unicode ? "─" : "-", count: min(width, widths.reduce(0, +) + 3 * max(columns - 1, 0)))
        var lines = [line(table.headers, header: true), rule] + table.rows.map { line($0) }
        if !table.footer.isEmpty { lines += [rule] + table.footer }
        return lines.joined(separator: "\n")
    }

    /// One line: `Epoch 3/30 ━━━━━━━━━━╺━━━━━━━  412/797 · loss 0.2113 · ETA 2s`, fitted to the width.
    /// `Epoch 3/30 ━━━━━━━━━━━━━━━ 400/800 · loss 0.2113 · ETA 1.50s`, shorter than the width: a
    /// progress line that wraps cannot be redrawn in place. The bar shrinks first, then the detail.
    public func render(_ progress: Progress) -> String {
        let counter = "\(progress.done)/\(progress.total)"
        let eta = progress.secondsLeft.map { " · ETA " + formatDuration($0) } ?? ""
        let brackets = unicode ? 0 : 2
        let room = width - 1 - (progress.label.count + 1 + 10 + brackets + 1 + counter.count + 3 + eta.count)
        let detail = progress.detail.count <= room ? progress.detail : room > 1 ? progress.detail.prefix(room - 1) + "…" : ""
        let tail = " \(counter)\(detail.isEmpty ? "" : " · " + detail)\(eta)"
        let barWidth = max(3, min(30, width - 1 - progress.label.count - 1 - brackets - tail.count))
        let filled = progress.total > 0 ? barWidth * progress.done / progress.total : 0
        let bar = unicode
            ? style(String(repeating: "━", count: filled), "32") + style(String(repeating: "━", count: barWidth - filled), "2")
            : "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: barWidth - filled) + "]"
        return progress.label + " " + bar + tail
    }

    public func errorText(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard color, let first = lines.first else { return text }
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
