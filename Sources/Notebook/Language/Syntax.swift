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
        self.message = shortened(visible(message))
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
            // Control characters are shown escaped (an ESC echoed raw would drive the terminal), so
            // the caret is placed by the width each character takes when shown.
            var characters = Array(source), range = range
            // A line of a megabyte is shown as a window around the caret, not echoed whole.
            if characters.count > 240 {
                let from = max(0, min(range.start - 60, characters.count - 200))
                let to = min(characters.count, max(range.start + 140, from + 200))
                characters = (from > 0 ? Array("…") : []) + characters[from..<to] + (to < characters.count ? Array("…") : [])
                let shift = from > 0 ? from - 1 : 0
                range = SourceRange(range.start - shift, min(range.end - shift, characters.count))
            }
            let source = String(characters)
            func shownWidth(_ slice: ArraySlice<Character>) -> Int { slice.reduce(0) { $0 + visible(String($1)).count } }
            let start = shownWidth(characters.prefix(range.start))
            let width = max(1, shownWidth(characters[min(range.start, characters.count)..<min(range.end, characters.count)]))
            text += "\n  " + visible(source) + "\n  " + String(repeating: " ", count: start)
                + "^" + String(repeating: "~", count: width - 1)
        }
        return text
    }
}

/// `text` with control characters written as escapes (`\e`, `\0`, `\x07`), as a shell's `printf %q`
/// would: an error that quotes what was typed must not let it ring, clear or recolour the terminal.
func visible(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) }) else {
        return text
    }
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x1B: result += "\\e"
        case 0: result += "\\0"
        case 0x0A, 0x09: result.unicodeScalars.append(scalar)
        case 0..<0x20, 0x7F, 0x80..<0xA0: result += "\\x" + String(format: "%02x", scalar.value)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// `text` with each word longer than 120 characters cut to its ends and its length, so an error
/// about a megabyte-long token is still one line.
func shortened(_ text: String) -> String {
    guard text.count > 120 else { return text }
    return text.split(separator: " ", omittingEmptySubsequences: false).map { word in
        word.count > 120 ? "\(word.prefix(40))…\(word.suffix(20)) (\(word.count) characters)" : String(word)
    }.joined(separator: " ")
}
