import Foundation

/// Whether what a cell printed matches what the notebook recorded, as doctest and cram compare:
///
/// - `...` matches any text within a line, or any lines (none included) when alone on a line;
/// - numbers compare within a tolerance — relative (`tolerance`, 0.001 by default), and never
///   tighter than one unit in the last digit the recording shows — so another CPU's rounding
///   passes while an accuracy that moved or a shape that changed does not;
/// - durations (`0.41s`, `12ms`, `1m15s`) match any duration: timings never cause a mismatch;
/// - runs of spaces match runs of any length, and a rule (`────`) a rule of any length, so a table
///   whose columns widen for a longer duration still matches.
public struct OutputCheck: Sendable {
    public static let defaultTolerance = 0.001
    public var tolerance: Double

    public init(tolerance: Double = OutputCheck.defaultTolerance) {
        self.tolerance = tolerance
    }

    public func matches(recorded: [String], actual: [String]) -> Bool {
        let patterns = recorded.map(Pattern.init)
        // match[i][j]: recorded[i...] matches actual[j...].
        var match = [[Bool]](repeating: [Bool](repeating: false, count: actual.count + 1), count: recorded.count + 1)
        match[recorded.count][actual.count] = true
        for i in stride(from: recorded.count - 1, through: 0, by: -1) {
            let wildcard = patterns[i].isWildcard
            for j in stride(from: actual.count, through: 0, by: -1) {
                if wildcard {
                    match[i][j] = match[i + 1][j] || (j < actual.count && match[i][j + 1])
                } else {
                    match[i][j] = j < actual.count && matches(patterns[i], actual[j]) && match[i + 1][j + 1]
                }
            }
        }
        return match[0][0]
    }

    /// One recorded line against one printed line.
    public func lineMatches(_ recorded: String, _ actual: String) -> Bool {
        matches(Pattern(recorded), actual)
    }

    /// A recorded line made ready to compare: its regular expression is compiled once.
    struct Pattern {
        let line: String
        let isWildcard: Bool
        let rule: Character?
        let regex: NSRegularExpression?
        let numbers: [String]

        init(_ line: String) {
            self.line = line
            isWildcard = line.trimmingCharacters(in: .whitespaces) == "..."
            rule = OutputCheck.rule(line)
            let pattern = OutputCheck.pattern(for: line)
            regex = try? NSRegularExpression(pattern: pattern.regex)
            numbers = pattern.numbers
        }
    }

    func matches(_ pattern: Pattern, _ actual: String) -> Bool {
        if pattern.line == actual { return true }
        if let rule = pattern.rule { return Self.rule(actual) == rule }
        guard let regex = pattern.regex,
              let found = regex.firstMatch(in: actual, range: NSRange(actual.startIndex..., in: actual)) else { return false }
        for (index, expected) in pattern.numbers.enumerated() {
            guard let range = Range(found.range(at: index + 1), in: actual), let value = Double(actual[range]),
                  let wanted = Double(expected) else { return false }
            let decimals = expected.split(separator: ".").dropFirst().first.map { $0.prefix { $0.isNumber }.count } ?? 0
            let unit = decimals > 0 ? pow(10, -Double(decimals)) : 0
            guard abs(value - wanted) <= max(tolerance * max(abs(value), abs(wanted)), unit * 1.000001) else { return false }
        }
        return true
    }

    /// The character a line is drawn with when it is a horizontal rule (`───`, `━━━`, `---`, `===`).
    fileprivate static func rule(_ line: String) -> Character? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 3, let first = trimmed.first, "─━═-=".contains(first), trimmed.allSatisfy({ $0 == first }) else { return nil }
        return first
    }

    /// Literal text as a pattern, each run of spaces matching a run of any length (none, at the ends).
    private static func literal(_ text: Substring, atStart: Bool, atEnd: Bool) -> String {
        var pattern = "", spaces = 0
        func flush(_ isEdge: Bool) {
            if spaces > 0 { pattern += isEdge ? " *" : " +" }
            spaces = 0
        }
        for character in text {
            if character == " " { spaces += 1; continue }
            flush(atStart && pattern.isEmpty)
            pattern += NSRegularExpression.escapedPattern(for: String(character))
        }
        flush(atEnd || (atStart && pattern.isEmpty))
        return pattern
    }

    private static let token = try! NSRegularExpression(
        pattern: #"\.\.\.|\d+m\d+s\b|\d+(?:\.\d+)?(?:ms|s)\b|-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"#)

    /// A recorded line as a regular expression: text literally, `...` as anything, durations as
    /// any duration, numbers captured to compare with tolerance.
    fileprivate static func pattern(for line: String) -> (regex: String, numbers: [String]) {
        var regex = "^", numbers: [String] = []
        var last = line.startIndex
        for found in token.matches(in: line, range: NSRange(line.startIndex..., in: line)) {
            guard let range = Range(found.range, in: line) else { continue }
            regex += literal(line[last..<range.lowerBound], atStart: last == line.startIndex, atEnd: false)
            let text = String(line[range])
            if text == "..." {
                regex += ".*?"
            } else if text.last == "s" && text.first?.isNumber == true {
                regex += #"(?:\d+m\d+s|\d+(?:\.\d+)?(?:ms|s))"#
            } else {
                regex += #"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"#
                numbers.append(text)
            }
            last = range.upperBound
        }
        return (regex + literal(line[last...], atStart: last == line.startIndex, atEnd: true) + "$", numbers)
    }

    /// A unified diff of the recording against this run (lines that match count as the same),
    /// with a few lines of context around each change.
    public func diff(recorded: [String], actual: [String], context: Int = 2) -> [String] {
        // Longest common subsequence under `lineMatches`, from the end.
        let (n, m) = (recorded.count, actual.count)
        let patterns = recorded.map(Pattern.init)
        func same(_ i: Int, _ j: Int) -> Bool { patterns[i].isWildcard || matches(patterns[i], actual[j]) }
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = same(i, j) ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var lines: [(mark: Character, text: String)] = []
        var (i, j) = (0, 0)
        while i < n || j < m {
            if i < n, j < m, same(i, j) {
                lines.append((" ", actual[j])); i += 1; j += 1
            } else if i < n, j == m || lcs[i + 1][j] >= lcs[i][j + 1] {
                lines.append(("-", recorded[i])); i += 1
            } else {
                lines.append(("+", actual[j])); j += 1
            }
        }
        let changed = lines.indices.filter { lines[$0].mark != " " }
        let shown = Set(changed.flatMap { max(0, $0 - context)...min(lines.count - 1, $0 + context) })
        var output: [String] = []
        for index in lines.indices {
            if shown.contains(index) {
                output.append("\(lines[index].mark)\(lines[index].text)")
            } else if index > 0, shown.contains(index - 1) || output.isEmpty {
                output.append(" …")
            }
        }
        return output
    }
}
