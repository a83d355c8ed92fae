/// One argument of a command with its type erased: what validation, help and completion need.
/// Commands declare `Argument<Value>`s; this is what they share.
public struct ArgumentSpec: ArgumentDeclaration, Sendable {
    public let name: String
    public let placeholder: String
    /// What help shows in its "default" column.
    public let defaultText: String?
    public let help: String
    /// The sub-commands (canonical first positionals) it belongs to; nil for all.
    public private(set) var only: [String]?
    /// A positional that must be given (for the sub-commands it belongs to).
    public let required: Bool
    /// What Tab offers, asked only when Tab is pressed (a command name's candidates are the commands,
    /// which include this one).
    let completions: @Sendable () -> Completion
    public var completion: Completion { completions() }
    /// One sentence that replaces every message about this argument, missing or wrong.
    let problem: String?
    /// One that replaces the message when this positional is missing.
    var missing: String?
    /// Converts and range-checks a value as written; the result is the declaring `Argument`'s `Value`.
    let convert: @Sendable (CommandArgument) throws -> any Sendable

    public var spec: ArgumentSpec { self }

    /// The same argument, for the sub-commands `names` only.
    func restricted(to names: [String]) -> ArgumentSpec {
        var copy = self
        copy.only = names
        return copy
    }

    func applies(to subcommand: String?) -> Bool {
        only.map { only in subcommand.map(only.contains) ?? false } ?? true
    }
}

/// Anything that declares an argument: an `Argument<Value>`, or a spec built elsewhere (the layer table's).
public protocol ArgumentDeclaration: Sendable {
    var spec: ArgumentSpec { get }
}

/// An argument of a command, typed: its default is written here once, and a command reads the value
/// converted and range-checked, `arguments[Train.epochs]` being an `Int`.
struct Argument<Value: ArgumentValue>: ArgumentDeclaration {
    private(set) var spec: ArgumentSpec
    let defaultValue: Value?

    private init(_ name: String, check limit: @escaping @Sendable (Value) -> String?, maximum: String? = nil, defaultValue: Value?,
                 defaultText: String?, help: String, only: [String]?, required: Bool, problem: String?) {
        self.defaultValue = defaultValue
        spec = ArgumentSpec(name: name, placeholder: Value.placeholder, defaultText: defaultText, help: help, only: only,
                            required: required, completions: { Value.completion }, problem: problem) { argument in
            let value: Value
            do {
                value = try Value.parse(argument)
            } catch let problem as ValueProblem where problem.tooLarge {
                throw ValueProblem(maximum.map { tr("is too large, at most \($0), got '\(argument.text)'") } ?? problem.message)
            }
            if let violation = limit(value) { throw ValueProblem(violation) }
            return value
        }
    }

    /// An argument with a default: reading it always gives a value.
    init(_ name: String, _ limit: Limit<Value> = .none, default value: Value, _ help: String,
                only: [String]? = nil, problem: String? = nil) {
        self.init(name, check: limit.violation, maximum: limit.maximum, defaultValue: value, defaultText: value.shown, help: help,
                  only: only, required: false, problem: problem)
    }

    /// A positional that must be given: reading it always gives a value.
    init(required name: String, _ limit: Limit<Value>, _ help: String, only: [String]? = nil, problem: String? = nil, missing: String? = nil) {
        self.init(name, check: limit.violation, maximum: limit.maximum, defaultValue: nil, defaultText: nil, help: help, only: only,
                  required: true, problem: problem)
        spec.missing = missing
    }

    init(required name: String, _ help: String, only: [String]? = nil, problem: String? = nil, missing: String? = nil) {
        self.init(required: name, .none, help, only: only, problem: problem, missing: missing)
    }

    /// An argument that may be left out, and then reads as nil; `defaultText` tells help what happens then.
    init<Wrapped>(_ name: String, _ limit: Limit<Wrapped>, default defaultText: String? = nil, _ help: String,
                         only: [String]? = nil) where Value == Wrapped? {
        let check = limit.violation
        self.init(name, check: { $0.flatMap(check) }, maximum: limit.maximum, defaultValue: .some(nil), defaultText: defaultText,
                  help: help, only: only, required: false, problem: nil)
    }

    init<Wrapped>(_ name: String, default defaultText: String? = nil, _ help: String, only: [String]? = nil) where Value == Wrapped? {
        self.init(name, Limit<Wrapped>.none, default: defaultText, help, only: only)
    }
}

extension Optional: ArgumentValue where Wrapped: ArgumentValue {
    public static func parse(_ argument: CommandArgument) throws -> Wrapped? { try Wrapped.parse(argument) }
    public static var placeholder: String { Wrapped.placeholder }
    public static var completion: Completion { Wrapped.completion }
    public var shown: String { map(\.shown) ?? "" }
}

/// The steps of the work, as `help` groups the commands.
public enum CommandGroup: String, CaseIterable, Sendable {
    case data, model, training, evaluation, files, session

    /// The steps of the work itself, which a transcript keeps (files and session tools it leaves out).
    var isTheWork: Bool { [.data, .model, .training, .evaluation].contains(self) }
}

/// A command: what it takes, how it is used, and a one-line summary for `help`.
public struct CommandSpec: Sendable {
    public let name: String
    public let group: CommandGroup
    public let summary: String
    public let usage: String
    public let example: String
    public let positionals: [ArgumentSpec]
    public let options: [ArgumentSpec]

    public init(_ name: String, group: CommandGroup, summary: String, usage: String, example: String,
                positionals: [any ArgumentDeclaration] = [], options: [any ArgumentDeclaration] = []) {
        self.name = name
        self.group = group
        self.summary = summary
        self.usage = usage
        self.example = example
        self.positionals = positionals.map(\.spec)
        self.options = options.map(\.spec)
    }

    /// The options that apply after `subcommand` (the first positional, canonically named).
    public func options(for subcommand: String?) -> [ArgumentSpec] {
        options.filter { $0.applies(to: subcommand) }
    }

    /// The positionals that apply after `subcommand`; the first one always does.
    public func positionals(for subcommand: String?) -> [ArgumentSpec] {
        positionals.enumerated().filter { $0.offset == 0 || $0.element.applies(to: subcommand) }.map(\.element)
    }

    /// The sub-command a line names: its first positional, canonically named, when that one is a choice.
    func subcommand(of line: ParsedCommand) -> String? {
        guard let first = positionals.first, let given = line.positionals.first,
              let value = try? first.convert(given) as? any ArgumentValue else { return nil }
        return value.shown.lowercased()
    }

    /// Checks a parsed line against this spec — names, counts, types and ranges — and converts every
    /// value. Every error points at the token it is about.
    public func validate(_ line: ParsedCommand) throws -> Arguments {
        func fail(_ message: String, _ range: SourceRange?) -> CommandError {
            CommandError(message, source: line.source, range: range)
        }
        func convert(_ argument: CommandArgument, _ spec: ArgumentSpec, named name: String) throws -> any Sendable {
            do {
                return try spec.convert(argument)
            } catch let problem as ValueProblem {
                throw fail(spec.problem.map(trText) ?? "\(name) \(problem.message)", argument.valueRange)
            }
        }
        var values: [String: any Sendable] = [:]
        var ranges: [String: SourceRange] = [:]
        let given = line.positionals
        // The first positional picks the form of the command, and with it the arguments that apply.
        if let first = positionals.first, let argument = given.first { _ = try convert(argument, first, named: "'\(first.name)'") }
        let subcommand = subcommand(of: line)
        let form = subcommand.map { "'\(name) \($0)'" } ?? "'\(name)'"
        let applicable = positionals(for: subcommand)
        // Each value before the count: `build mlp 784 128 10` is sizes not joined by '-', which
        // says more than "one too many".
        for (spec, argument) in zip(applicable, given) {
            values[spec.name] = try convert(argument, spec, named: "'\(spec.name)'")
            ranges[spec.name] = argument.range
        }
        if given.count > applicable.count {
            let extra = given[applicable.count]
            // A form that takes nothing after its name ('add relu 3') is told what it does not take;
            // one that takes a value and got more ('build input 28x28x1 5') is told it got one too many.
            if subcommand != nil, applicable.count == 1,
               let other = positionals.first(where: { spec in !applicable.contains { $0.name == spec.name } }) {
                throw fail(tr("\(form) takes no \(other.name)"), extra.range)
            }
            throw fail(tr("'\(name)' takes \(applicable.isEmpty ? "no" : "at most \(applicable.count)") positional argument\(applicable.count == 1 ? "" : "s"); '\(extra.text)' is one too many (usage: \(usage))"), extra.range)
        }
        if let missing = applicable.dropFirst(given.count).first(where: \.required) {
            let end = line.source.count
            let range = given.count > 0 ? given[given.count - 1].range : line.nameRange
            let message = (missing.missing ?? missing.problem).map(trText)
            throw fail(message ?? tr("\(form) needs \(trText(missing.help)) (usage: \(usage))"), message == nil ? SourceRange(end, end + 1) : range)
        }
        let options = options(for: subcommand)
        for option in line.options {
            let key = option.key ?? ""
            guard let spec = options.first(where: { $0.name == key }) else {
                throw fail(unknownOption(key, subcommand: subcommand, applicable: options), option.keyRange)
            }
            guard values[key] == nil else { throw fail(tr("option '\(key)' is given twice"), option.range) }
            values[key] = try convert(option, spec, named: key)
            ranges[key] = option.valueRange
        }
        return Arguments(values: values, ranges: ranges, line: line, subcommand: subcommand)
    }

    private func unknownOption(_ key: String, subcommand: String?, applicable: [ArgumentSpec]) -> String {
        let target = subcommand.map { "'\(name) \($0)'" } ?? "'\(name)'"
        let hint = suggestion(for: key, among: applicable.map(\.name)).map { tr(" (did you mean '\($0)'?)") } ?? ""
        func owners(of option: String) -> String {
            options.filter { $0.name == option }.flatMap { $0.only ?? [] }.map { "'\(name) \($0)'" }.joined(separator: " and ")
        }
        var elsewhere = ""
        if hint.isEmpty, let other = suggestion(for: key, among: options.map(\.name)) {
            // The option exists, or nearly, but for another form of the command.
            elsewhere = other == key ? tr(" — it is an option of \(owners(of: key))")
                : tr(" (did you mean '\(other)'? it is an option of \(owners(of: other)))")
        }
        return tr("unknown option '\(key)' for \(target)\(hint)\(elsewhere)")
    }
}

/// A line's arguments, validated and converted: read them with the `Argument` that declared them.
public struct Arguments: Sendable {
    let values: [String: any Sendable]
    /// Where each given argument stands in the line (an option's value, a whole positional).
    let ranges: [String: SourceRange]
    public let line: ParsedCommand
    /// The first positional, canonically named, when the command has forms (`load mnist`, `show errors`).
    public let subcommand: String?

    /// The value given for `argument`, else its default.
    subscript<Value>(_ argument: Argument<Value>) -> Value {
        if let value = values[argument.spec.name] as? Value { return value }
        guard let fallback = argument.defaultValue else {
            preconditionFailure("'\(argument.spec.name)' is required, and validation let it through missing")
        }
        return fallback
    }

    /// Whether the line gave `argument` (rather than leaving it to its default).
    public func has(_ argument: some ArgumentDeclaration) -> Bool { values[argument.spec.name] != nil }

    /// An error about `argument` (or the whole line), pointing at it.
    public func error(_ message: String, at argument: (any ArgumentDeclaration)? = nil) -> CommandError {
        CommandError(message, source: line.source, range: argument.flatMap { ranges[$0.spec.name] } ?? line.nameRange)
    }
}

