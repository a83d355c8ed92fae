import Foundation

/// What the terminal and SVG charts share: where the ticks go, how their numbers read, and the
/// marker that tells a series apart without colour.
extension Chart {
    /// Round ticks across `range` (whole numbers only on a counting axis).
    static func ticks(_ range: ClosedRange<Double>, count: Int, whole: Bool) -> [Double] {
        niceTicks(range, count: count, minimumStep: whole ? 1 : 0)
    }

    /// Tick numbers in one format: as many decimals as the step needs, the same for every tick
    /// (0.50 1.00 1.50, never 0.5 1 1.50).
    static func tickLabels(_ ticks: [Double]) -> [String] {
        guard ticks.count > 1 else { return ticks.map(axisNumber) }
        let step = zip(ticks, ticks.dropFirst()).map { $1 - $0 }.min() ?? 1
        let largest = ticks.map(abs).max() ?? 0
        if largest >= 100_000 || (largest > 0 && largest < 0.001) { return ticks.map { String(format: "%.1e", $0) } }
        // A 1-2-5 step of m × 10^e needs −e decimals.
        let decimals = min(6, max(0, -Int((log10(step) + 1e-9).rounded(.down))))
        return ticks.map { String(format: "%.\(decimals)f", $0) }
    }

    /// One character per group of series, drawn on its curve where colour cannot tell them apart:
    /// the groups' first letters when those differ (the digits of a ROC chart), else shapes.
    var markers: [Character] {
        let groups = series.indices.map(group(of:))
        var firsts: [Int: Character] = [:]
        for (index, group) in groups.enumerated() where firsts[group] == nil { firsts[group] = series[index].name.first ?? "?" }
        let distinct = Set(firsts.values).count == firsts.count && firsts.values.allSatisfy { !$0.isWhitespace }
        let shapes = Array("●○■□▲△◆◇★☆")
        let ordered = Array(Set(groups)).sorted()
        return groups.map { group in
            distinct ? firsts[group]! : shapes[ordered.firstIndex(of: group)! % shapes.count]
        }
    }
}

/// Round tick values across `range`: steps of 1, 2 or 5 times a power of ten (at least
/// `minimumStep`), about `count` of them.
func niceTicks(_ range: ClosedRange<Double>, count: Int = 5, minimumStep: Double = 0) -> [Double] {
    let span = range.upperBound - range.lowerBound
    guard span > 0, span.isFinite else { return [range.lowerBound] }
    let rough = span / Double(count)
    let power = pow(10, (log10(rough)).rounded(.down))
    // The 1-2-5 step whose number of ticks comes nearest `count`.
    var step = [1.0, 2, 5, 10].map { $0 * power }.min { abs(span / $0 - Double(count)) < abs(span / $1 - Double(count)) }!
    step = max(step, minimumStep)
    var ticks: [Double] = []
    var tick = (range.lowerBound / step).rounded(.up) * step
    while tick <= range.upperBound + step * 1e-9 {
        ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
        tick += step
    }
    return ticks
}

/// Short axis numbers: 0.5, 12, 1.2e+03.
func axisNumber(_ x: Double) -> String {
    if x == x.rounded() && abs(x) < 100_000 { return String(Int(x)) }
    if abs(x) >= 0.01 && abs(x) < 100_000 { return String(format: "%.2f", x) }
    return String(format: "%.1e", x)
}
