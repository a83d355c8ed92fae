/// The type of an argument, with the range its values must fall in.
public enum ArgumentKind: Sendable {
    case integer(min: Int, max: Int? = nil)
    case number(Bounds)
    case choice([String])
    case flag                       // true/false, yes/no, on/off
    case path
    case sizes                      // 784-128-64-10
    case shape                      // 28x28x1
    case numbers(Bounds)            // one number or a list: 0.001,0.01,0.1
    case text

    /// Limits on a number, named the way messages say them.
    public enum Bounds: Sendable {
        case any
        case positive                // > 0
        case nonNegative             // ≥ 0
        case fraction                // 0 < x < 1
        case rate                    // 0 ≤ x < 1

        func violation(_ x: Double) -> String? {
            switch self {
            case .any: nil
            case .positive: x > 0 ? nil : "must be > 0"
            case .nonNegative: x >= 0 ? nil : "must be ≥ 0"
            case .fraction: x > 0 && x < 1 ? nil : "must be between 0 and 1 (exclusive)"
            case .rate: x >= 0 && x < 1 ? nil : "must be ≥ 0 and < 1"
            }
        }
    }

    /// How help shows the value: `N`, `X`, `relu|sigmoid|tanh`, …
    public var placeholder: String {
        switch self {
        case .integer: "N"
        case .number: "X"
        case .choice(let options): options.joined(separator: "|")
        case .flag: "true|false"
        case .path: "FILE"
        case .sizes: "784-128-10"
        case .shape: "28x28x1"
        case .numbers: "X,Y,…"
        case .text: "TEXT"
        }
    }
}

/// One named argument of a command: an option (`epochs=30`) or a positional.
public struct ArgumentSpec: Sendable {
    public let name: String
    public let kind: ArgumentKind
    public let defaultText: String?
    public let help: String
    /// The first positional values (sub-commands) this option belongs to; nil for all.
    public let only: [String]?

    public init(_ name: String, _ kind: ArgumentKind, default defaultText: String? = nil, _ help: String, only: [String]? = nil) {
        self.name = name
        self.kind = kind
        self.defaultText = defaultText
        self.help = help
        self.only = only
    }
}

/// The steps of the work, as `help` groups the commands.
public enum CommandGroup: String, CaseIterable, Sendable {
    case data, model, training, evaluation, files, session
}

/// A command: what it takes, how it is used, and a one-line summary for `help`.
public struct CommandSpec: Sendable {
    public let name: String
    public let group: CommandGroup
    public let summary: String
    public let usage: String
    public let example: String
    public let positionals: [ArgumentSpec]
    public let requiredPositionals: Int
    public let options: [ArgumentSpec]

    public init(_ name: String, group: CommandGroup, summary: String, usage: String, example: String,
                positionals: [ArgumentSpec] = [], required: Int = 0, options: [ArgumentSpec] = []) {
        self.name = name
        self.group = group
        self.summary = summary
        self.usage = usage
        self.example = example
        self.positionals = positionals
        self.requiredPositionals = required
        self.options = options
    }

    /// The options that apply after `subcommand` (the first positional).
    public func options(for subcommand: String?) -> [ArgumentSpec] {
        options.filter { spec in spec.only.map { only in subcommand.map(only.contains) ?? false } ?? true }
    }

    /// Checks a parsed line against this spec: names, counts, types and ranges.
    /// Every error points at the token it is about.
    public func validate(_ line: ParsedCommand) throws -> Arguments {
        var values: [String: ArgumentValue] = [:]
        let given = line.positionals
        func fail(_ message: String, _ range: SourceRange?) -> CommandError {
            CommandError(message, source: line.source, range: range)
        }
        if given.count > positionals.count {
            let extra = given[positionals.count]
            throw fail("'\(name)' takes \(positionals.isEmpty ? "no" : "at most \(positionals.count)") positional argument\(positionals.count == 1 ? "" : "s"); '\(extra.text)' is one too many (usage: \(usage))", extra.range)
        }
        for (spec, argument) in zip(positionals, given) {
            values[spec.name] = try Self.convert(argument, spec.kind, named: "'\(spec.name)'", line: line)
        }
        if given.count < requiredPositionals {
            let missing = positionals[given.count]
            let end = line.source.count
            throw fail("'\(name)' needs \(missing.help) (usage: \(usage))", SourceRange(end, end + 1))
        }
        let subcommand = given.first.map { $0.text.lowercased() }
        let applicable = options(for: subcommand)
        var seen: Set<String> = []
        for option in line.options {
            let key = option.key!
            guard let spec = applicable.first(where: { $0.name == key }) else {
                let target = subcommand.map { "'\(name) \($0)'" }
                let known = applicable.map(\.name)
                let hint = suggestion(for: key, among: known).map { " (did you mean '\($0)'?)" } ?? ""
                func owners(of option: String) -> String {
                    options.filter { $0.name == option }.flatMap { $0.only ?? [] }.map { "'\(name) \($0)'" }.joined(separator: " and ")
                }
                var elsewhere = ""
                if hint.isEmpty, let other = suggestion(for: key, among: options.map(\.name)) {
                    // The option exists, or nearly, but for another form of the command.
                    elsewhere = other == key ? " — it is an option of \(owners(of: key))"
                        : " (did you mean '\(other)'? it is an option of \(owners(of: other)))"
                }
                throw fail("unknown option '\(key)' for \(target ?? "'\(name)'")\(hint)\(elsewhere)", option.keyRange)
            }
            guard seen.insert(key).inserted else { throw fail("option '\(key)' is given twice", option.range) }
            values[key] = try Self.convert(option, spec.kind, named: key, line: line)
        }
        return Arguments(values: values, line: line)
    }

    static func convert(_ argument: CommandArgument, _ kind: ArgumentKind, named name: String,
                        line: ParsedCommand) throws -> ArgumentValue {
        let range = argument.valueRange
        func fail(_ message: String) -> CommandError { CommandError(message, source: line.source, range: range) }
        func number(_ value: Value, _ bounds: ArgumentKind.Bounds) throws -> Double {
            guard case .number(let x) = value else { throw fail("\(name) must be a number, got \(value.kindName) '\(argument.text)'") }
            if let violation = bounds.violation(x) { throw fail("\(name) \(violation), got \(format(x))") }
            return x
        }
        switch kind {
        case .integer(let min, let max):
            guard case .number(let x) = argument.value, x == x.rounded(), abs(x) < 1e15 else {
                throw fail("\(name) must be a whole number, got '\(argument.text)'")
            }
            let n = Int(x)
            if n < min { throw fail("\(name) must be ≥ \(min), got \(n)") }
            if let max, n > max { throw fail("\(name) must be ≤ \(max), got \(n)") }
            return .integer(n)
        case .number(let bounds):
            return .number(try number(argument.value, bounds))
        case .numbers(let bounds):
            if case .list(let items) = argument.value { return .numbers(try items.map { try number($0, bounds) }) }
            return .numbers([try number(argument.value, bounds)])
        case .choice(let options):
            let word = argument.text.lowercased()
            guard options.contains(word) else {
                let hint = suggestion(for: word, among: options).map { "did you mean '\($0)'? " } ?? ""
                throw fail("\(name) can't be '\(argument.text)': \(hint)choose \(options.joined(separator: ", "))")
            }
            return .text(word)
        case .flag:
            switch argument.text.lowercased() {
            case "true", "yes", "on", "1": return .flag(true)
            case "false", "no", "off", "0": return .flag(false)
            default: throw fail("\(name) must be true or false, got '\(argument.text)'")
            }
        case .path, .text:
            return .text(argument.text)
        case .sizes:
            if case .sizes(let sizes, "-") = argument.value, sizes.allSatisfy({ $0 > 0 }) { return .sizes(sizes) }
            throw fail("\(name) must be layer sizes joined by '-', like 784-128-64-10, got '\(argument.text)'")
        case .shape:
            if case .sizes(let sizes, "x") = argument.value, sizes.allSatisfy({ $0 > 0 }) { return .sizes(sizes) }
            if case .number(let x) = argument.value, x > 0, x == x.rounded() { return .sizes([Int(x)]) }
            throw fail("\(name) must be a shape like 28x28x1 (height×width×channels), got '\(argument.text)'")
        }
    }
}

enum ArgumentValue: Equatable, Sendable {
    case integer(Int)
    case number(Double)
    case numbers([Double])
    case text(String)
    case flag(Bool)
    case sizes([Int])
}

/// Validated arguments by name, typed.
public struct Arguments: Sendable {
    let values: [String: ArgumentValue]
    public let line: ParsedCommand

    public func has(_ name: String) -> Bool { values[name] != nil }

    public func integer(_ name: String) -> Int? {
        if case .integer(let n) = values[name] { return n }
        return nil
    }

    public func number(_ name: String) -> Double? {
        switch values[name] {
        case .number(let x): x
        case .integer(let n): Double(n)
        default: nil
        }
    }

    public func numbers(_ name: String) -> [Double]? {
        if case .numbers(let xs) = values[name] { return xs }
        return nil
    }

    public func text(_ name: String) -> String? {
        if case .text(let s) = values[name] { return s }
        return nil
    }

    public func flag(_ name: String) -> Bool? {
        if case .flag(let b) = values[name] { return b }
        return nil
    }

    public func sizes(_ name: String) -> [Int]? {
        if case .sizes(let s) = values[name] { return s }
        return nil
    }

    /// The range of the argument named `name` (its value), for errors found after validation.
    public func range(of name: String) -> SourceRange? {
        if let option = line.options.first(where: { $0.key == name }) { return option.valueRange }
        return nil
    }

    /// An error about argument `name` (or the whole line), pointing at it.
    public func error(_ message: String, at name: String? = nil, positional: Int? = nil) -> CommandError {
        var range = name.flatMap(range(of:))
        if let positional, line.positionals.indices.contains(positional) { range = line.positionals[positional].range }
        return CommandError(message, source: line.source, range: range ?? line.nameRange)
    }
}

/// 0.01 → "0.01", 30.0 → "30", 1e-05 → "1e-05".
public func format(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
    var text = "\(x)"
    if text.hasSuffix(".0") { text.removeLast(2) }
    return text
}
