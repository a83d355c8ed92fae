/// A message for a person, written as an English string literal: `"Loaded \(title) from \(path)"`.
/// Its key is the literal with each interpolation as `{}` (`Loaded {} from {}`), so a catalogue can
/// give the same message in another language; `english` is it as written. A message interpolated
/// into another stays a message, so it is translated too. Core builds messages (its errors carry
/// them) and never chooses a language: the front end translates.
public struct Message: ExpressibleByStringInterpolation, CustomStringConvertible, Sendable, Equatable {
    public let key: String
    public let arguments: [Argument]

    /// A value in a message: plain text (a number, a name, a path), or a message of its own.
    public indirect enum Argument: Sendable, Equatable, CustomStringConvertible {
        case text(String)
        case message(Message)
        public var description: String {
            switch self {
            case .text(let text): text
            case .message(let message): message.english
            }
        }
    }

    public init(stringLiteral value: String) {
        key = value
        arguments = []
    }

    public init(stringInterpolation: Interpolation) {
        key = stringInterpolation.key
        arguments = stringInterpolation.arguments
    }

    /// A message whose text is only known at run time (a help text from a table): its own key.
    public init(verbatim text: String) {
        key = text
        arguments = []
    }

    public struct Interpolation: StringInterpolationProtocol {
        var key = ""
        var arguments: [Argument] = []
        public init(literalCapacity: Int, interpolationCount: Int) {}
        public mutating func appendLiteral(_ literal: String) { key += literal }
        public mutating func appendInterpolation(_ value: some Any) {
            key += "{}"
            arguments.append(.text("\(value)"))
        }
        public mutating func appendInterpolation(_ message: Message) {
            key += "{}"
            arguments.append(.message(message))
        }
        /// An error that explains itself: its message, translated with the rest.
        public mutating func appendInterpolation(_ error: some Explained) {
            appendInterpolation(error.message)
        }
    }

    public var english: String { Message.fill(key, arguments.map(\.description)) }

    /// Messages are the same when they say the same: a literal equals the interpolation that reads alike.
    public static func == (lhs: Message, rhs: Message) -> Bool { lhs.english == rhs.english }
    public var description: String { english }

    /// `template` with its placeholders replaced: `{}` takes the next argument, `{2}` the second.
    public static func fill(_ template: String, _ arguments: [String]) -> String {
        var result = "", next = 0
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}"), after[..<close].allSatisfy(\.isNumber) else {
                result += "{"
                rest = after
                continue
            }
            let number = after[..<close]
            let index = number.isEmpty ? next : (Int(number) ?? 0) - 1
            if number.isEmpty { next += 1 }
            result += arguments.indices.contains(index) ? arguments[index] : "{\(number)}"
            rest = after[after.index(after: close)...]
        }
        return result + rest
    }
}

/// An error that says what went wrong as a `Message`, for the front end to show in its language.
public protocol Explained: Error, CustomStringConvertible {
    var message: Message { get }
}

extension Explained {
    public var description: String { message.english }
}
