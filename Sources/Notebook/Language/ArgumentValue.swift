import Core

/// What is wrong with a value as typed, said without the argument's name (tr("must be > 0, got 0")):
/// the spec that converts it puts the name in front and points the caret at the value.
struct ValueProblem: Error {
    let message: String
    /// A number past what the type holds (1e999, 99999999999999999999): the argument's limit then
    /// says what the largest allowed value is.
    var tooLarge = false
    init(_ message: String, tooLarge: Bool = false) { (self.message, self.tooLarge) = (message, tooLarge) }
}

/// What Tab offers for an argument's value.
public enum Completion: Sendable {
    case none
    case words([String])
    case paths
}

/// A type an argument's value can have. Each type converts the value as written and says how help
/// shows it; a command then reads it already converted (`arguments[Train.epochs]` is an `Int`).
public protocol ArgumentValue: Sendable {
    /// The value, or a `ValueProblem` saying what is wrong with it.
    static func parse(_ argument: CommandArgument) throws -> Self
    /// How help writes a value of this type: `N`, `X`, `relu|sigmoid|tanh`, `FILE`.
    static var placeholder: String { get }
    static var completion: Completion { get }
    /// How help writes this value as a default, and how a sub-command is named: `0.15`, `relu`.
    var shown: String { get }
}

extension ArgumentValue {
    public static var completion: Completion { .none }
}

extension Int: ArgumentValue {
    public static func parse(_ argument: CommandArgument) throws -> Int {
        guard case .number(let x) = argument.value, x == x.rounded() || x.isInfinite else {
            throw ValueProblem(tr("must be a whole number, got '\(argument.text)'"))
        }
        guard abs(x) < 1e15 else { throw ValueProblem(tr("is too large, got '\(argument.text)'"), tooLarge: true) }
        return Int(x)
    }
    public static var placeholder: String { "N" }
    public var shown: String { String(self) }
}

extension Double: ArgumentValue {
    public static func parse(_ argument: CommandArgument) throws -> Double {
        guard case .number(let x) = argument.value else {
            throw ValueProblem(tr("must be a number, got \(argument.value.kindName) '\(argument.text)'"))
        }
        guard x.isFinite else { throw ValueProblem(tr("is too large, got '\(argument.text)'"), tooLarge: true) }
        return x
    }
    public static var placeholder: String { "X" }
    public var shown: String { format(self) }
}

/// true/false, yes/no, on/off, 1/0.
extension Bool: ArgumentValue {
    public static func parse(_ argument: CommandArgument) throws -> Bool {
        switch argument.text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ValueProblem(tr("must be true or false, got '\(argument.text)'"))
        }
    }
    public static var placeholder: String { "true|false" }
    public static var completion: Completion { .words(["true", "false"]) }
    public var shown: String { self ? "true" : "false" }
}

/// Free text, as typed (a command name for `help`, say).
extension String: ArgumentValue {
    public static func parse(_ argument: CommandArgument) throws -> String { argument.text }
    public static var placeholder: String { "TEXT" }
    public var shown: String { self }
}

/// A file or folder, as typed; Tab completes it from the disk.
public struct FilePath: ArgumentValue, Equatable {
    public let text: String
    public init(_ text: String) { self.text = text }
    public static func parse(_ argument: CommandArgument) throws -> FilePath { FilePath(argument.text) }
    public static var placeholder: String { "FILE" }
    public static var completion: Completion { .paths }
    public var shown: String { text }
}

/// Layer sizes joined by '-': `784-128-64-10`.
public struct LayerSizes: ArgumentValue, Equatable {
    public let sizes: [Int]
    public static func parse(_ argument: CommandArgument) throws -> LayerSizes {
        guard case .sizes(let sizes, "-") = argument.value, sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
            throw ValueProblem(tr("must be layer sizes joined by '-', like 784-128-64-10, got '\(argument.text)'"))
        }
        return LayerSizes(sizes: sizes)
    }
    public static var placeholder: String { "784-128-10" }
    public var shown: String { sizes.map(String.init).joined(separator: "-") }
}

/// One sample's shape as typed, height×width×channels (`28x28x1`), or a number of features
/// (`784`); kept as the library counts it, C×H×W.
public struct InputShape: ArgumentValue, Equatable {
    public let shape: [Int]
    public static func parse(_ argument: CommandArgument) throws -> InputShape {
        switch argument.value {
        case .sizes(let sizes, "x") where sizes.count == 3 && !sizes.contains(0):
            return InputShape(shape: [sizes[2], sizes[0], sizes[1]])
        case .number(let n) where n >= 1 && n == n.rounded() && n < 1e15:
            return InputShape(shape: [Int(n)])
        default:
            throw ValueProblem(tr("must be a shape like 28x28x1 (height×width×channels) or a number of features, got '\(argument.text)'"))
        }
    }
    public static var placeholder: String { "28x28x1" }
    public var shown: String { shape.count == 3 ? "\(shape[1])x\(shape[2])x\(shape[0])" : shape.map(String.init).joined(separator: "x") }
}

// MARK: - Limits

/// A range a converted value must fall in, named the way messages say it.
public struct Limit<Value>: Sendable {
    /// nil when the value is inside; otherwise what is wrong (tr("must be > 0, got 0")).
    let violation: @Sendable (Value) -> String?
    /// The largest value allowed, as written in a message, when there is one.
    var maximum: String?
    public init(maximum: String? = nil, _ violation: @escaping @Sendable (Value) -> String?) {
        (self.maximum, self.violation) = (maximum, violation)
    }

    public static var none: Limit { Limit { _ in nil } }
}

extension Limit where Value == Double {
    public static var positive: Limit { Limit { $0 > 0 ? nil : tr("must be > 0, got \(format($0))") } }
    public static var nonNegative: Limit { Limit { $0 >= 0 ? nil : tr("must be ≥ 0, got \(format($0))") } }
    /// 0 < x < 1: a fraction held out.
    public static var fraction: Limit { Limit { $0 > 0 && $0 < 1 ? nil : tr("must be between 0 and 1 (exclusive), got \(format($0))") } }
    /// low ≤ x ≤ high.
    public static func within(_ range: ClosedRange<Double>) -> Limit {
        Limit(maximum: format(range.upperBound)) { range.contains($0) ? nil : $0 < range.lowerBound ? tr("must be ≥ \(format(range.lowerBound)), got \(format($0))")
            : tr("must be ≤ \(format(range.upperBound)), got \(format($0))") }
    }
    /// 0 ≤ x < 1: momentum, dropout, Adam's betas.
    public static var rate: Limit { Limit { $0 >= 0 && $0 < 1 ? nil : tr("must be ≥ 0 and < 1, got \(format($0))") } }
}

extension Limit where Value == Int {
    public static func atLeast(_ low: Int) -> Limit { Limit { $0 >= low ? nil : tr("must be ≥ \(low), got \($0)") } }
    public static func within(_ range: ClosedRange<Int>) -> Limit {
        Limit(maximum: String(range.upperBound)) { $0 < range.lowerBound ? tr("must be ≥ \(range.lowerBound), got \($0)")
            : $0 > range.upperBound ? tr("must be ≤ \(range.upperBound), got \($0)") : nil }
    }
}

/// 0.01 → "0.01", 30.0 → "30", 1e-05 → "1e-05".
public func format(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
    var text = "\(x)"
    if text.hasSuffix(".0") { text.removeLast(2) }
    return text
}

/// One value or several separated by commas, each of `Element`: `lr=0.001,0.01,0.1`.
public struct ValueList<Element: ArgumentValue>: ArgumentValue {
    public let values: [Element]
    public static func parse(_ argument: CommandArgument) throws -> ValueList {
        guard case .list(let items) = argument.value else { return ValueList(values: [try Element.parse(argument)]) }
        let texts = argument.text.split(separator: ",").map(String.init)
        return ValueList(values: try zip(items, texts).map { item, text in
            try Element.parse(CommandArgument(key: argument.key, value: item, text: text, range: argument.range,
                                              keyRange: argument.keyRange, valueRange: argument.valueRange))
        })
    }
    public static var placeholder: String { "\(Element.placeholder),\(Element.placeholder),…" }
    public var shown: String { values.map(\.shown).joined(separator: ",") }
}

extension Limit {
    /// Every value of a list within `limit`.
    public static func each<Element>(_ limit: Limit<Element>) -> Limit where Value == ValueList<Element> {
        Limit(maximum: limit.maximum) { list in list.values.lazy.compactMap(limit.violation).first }
    }
}
