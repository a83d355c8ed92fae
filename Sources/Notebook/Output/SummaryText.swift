import Core
import Foundation

/// A model summary as Keras prints it: one row per layer, then the totals with their size.
///
///     Layer (type)             Output Shape         Param #
///     dense (Dense)            (None, 128)          100,480
///     …
///     Total params: 109,386 (427.29 KB)
public func summaryTable(_ summary: ModelSummary) -> Table {
    // A layer and its attached activation are one row, as in Keras.
    let rows = summary.rows.filter { $0.attachedTo == nil }.map { row in
        ["\(row.name) (\(row.kind))", kerasShape(row.outputShape), groupedThousands(row.parameterCount)]
    }
    let size = readableBytes(summary.totalBytes)
    return Table(headers: [tr("Layer (type)"), tr("Output Shape"), tr("Param #")], rows: rows, alignments: [.left, .left, .right],
                 footer: [tr("Total params: \(groupedThousands(summary.totalParameters)) (\(size))"),
                          tr("Trainable params: \(groupedThousands(summary.totalParameters)) (\(size))"),
                          tr("Non-trainable params: 0 (0.00 B)")])
}

/// The summary as plain text.
public func renderSummary(_ summary: ModelSummary) -> String {
    TerminalRenderer().render(summaryTable(summary))
}

/// A per-sample shape as Keras writes a batch of them: (None, 128); images channels-last, (None, 26, 26, 32).
public func kerasShape(_ shape: [Int]) -> String {
    let ordered = shape.count == 3 ? [shape[1], shape[2], shape[0]] : shape
    return "(None, " + ordered.map(String.init).joined(separator: ", ") + ")"
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
