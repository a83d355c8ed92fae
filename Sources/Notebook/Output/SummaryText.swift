import Core
import Foundation

/// A model summary as Keras prints it: one row per layer, then the totals with their size.
///
///     Layer (type)             Output Shape         Param #
///     dense (Dense)            (None, 128)          100,480
///     …
///     Total params: 109,386 (427.29 KB)
public func renderSummary(_ summary: ModelSummary) -> String {
    let header = ["Layer (type)", "Output Shape", "Param #"]
    let rows = summary.rows.map { row in
        ["\(row.name) (\(row.kind))",
         "(None, " + row.outputShape.map(String.init).joined(separator: ", ") + ")",
         groupedThousands(row.parameterCount)]
    }
    let widths = (0..<3).map { column in ([header] + rows).map { $0[column].count }.max()! }
    func line(_ cells: [String]) -> String {
        cells[0].padding(toLength: widths[0] + 3, withPad: " ", startingAt: 0)
            + cells[1].padding(toLength: widths[1] + 3, withPad: " ", startingAt: 0)
            + String(repeating: " ", count: widths[2] - cells[2].count) + cells[2]
    }
    let rule = String(repeating: "─", count: widths.reduce(6, +))
    let total = summary.totalParameters
    return ([line(header), rule] + rows.map(line) + [rule,
        "Total params: \(groupedThousands(total)) (\(readableBytes(summary.totalBytes)))",
        "Trainable params: \(groupedThousands(total)) (\(readableBytes(summary.totalBytes)))",
        "Non-trainable params: 0 (0.00 B)",
    ]).joined(separator: "\n")
}

/// 109386 → "109,386".
public func groupedThousands(_ value: Int) -> String {
    let digits = String(value.magnitude)
    let grouped = digits.reversed().enumerated().reduce(into: "") { text, pair in
        if pair.offset > 0 && pair.offset % 3 == 0 { text.append(",") }
        text.append(pair.element)
    }
    return (value < 0 ? "-" : "") + String(grouped.reversed())
}

/// Sizes in 1024-byte units with two decimals, as Keras writes them: 437544 → "427.29 KB".
public func readableBytes(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var size = Double(bytes)
    var unit = 0
    while size >= 1024 && unit < units.count - 1 {
        size /= 1024
        unit += 1
    }
    return String(format: "%.2f %@", size, units[unit])
}
