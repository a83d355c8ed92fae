/// A value written in a command: `0.01`, `relu`, `"my file.nb"`, `0.001,0.01`, `784-128-10`, `28x28x1`.
public enum Value: Equatable, Sendable {
    case number(Double)
    case word(String)
    case string(String)
    case list([Value])
    /// Sizes joined by `-` (layer widths) or `x` (an image shape).
    case sizes([Int], separator: Character)

    /// How the value reads in messages.
    public var kindName: String {
        switch self {
        case .number: tr("a number")
        case .word: tr("a word")
        case .string: tr("a quoted string")
        case .list: tr("a list")
        case .sizes(_, let separator): separator == "x" ? tr("a shape") : tr("a list of sizes")
        }
    }
}

/// A span of columns in the command line (0-based, end exclusive), for carets under errors.
public struct SourceRange: Equatable, Sendable {
    public let start: Int
    public let end: Int
    public init(_ start: Int, _ end: Int) { self.start = start; self.end = max(end, start + 1) }
}

/// One argument as written: a positional value, or `key=value`.
public struct CommandArgument: Equatable, Sendable {
    public let key: String?
    public let value: Value
    public let text: String          // the value as typed
    public let range: SourceRange    // the whole argument
    public let keyRange: SourceRange?
    public let valueRange: SourceRange
}

/// A parsed command line: `name [positional…] [key=value…]`.
public struct ParsedCommand: Equatable, Sendable {
    public let source: String        // the line after parameter substitution
    public let name: String
    public let nameRange: SourceRange
    public let arguments: [CommandArgument]

    public var positionals: [CommandArgument] { arguments.filter { $0.key == nil } }
    public var options: [CommandArgument] { arguments.filter { $0.key != nil } }
}

/// An error in a command, pointing at the place in the line it is about.
public struct CommandError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public let source: String?
    public let range: SourceRange?

    public init(_ message: String, source: String? = nil, range: SourceRange? = nil) {
        self.message = message
        self.source = source
        self.range = range
    }

    /// The message, then the line with a caret under the bad token:
    ///
    ///     error: unknown option 'epoch' for 'train' (did you mean 'epochs'?)
    ///       train epoch=3
    ///             ^~~~~
    public var description: String {
        var text = "error: " + message
        if let source, let range {
            let width = max(1, min(range.end, source.count) - range.start)
            text += "\n  " + source + "\n  " + String(repeating: " ", count: range.start)
                + "^" + String(repeating: "~", count: width - 1)
        }
        return text
    }
}
