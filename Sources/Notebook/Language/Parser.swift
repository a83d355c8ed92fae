/// Turns one line of the command language into a `ParsedCommand`.
///
/// Grammar: words separated by blanks; `#` outside quotes starts a comment; `key=value` is an
/// option; values are numbers, words, "quoted strings" (with \" and \\), lists joined by commas
/// and sizes joined by `-` or `x`. `${name}` is replaced by a notebook parameter first.
public enum Parser {
    /// nil for a blank or comment-only line.
    public static func parse(_ line: String, parameters: [String: String] = [:]) throws -> ParsedCommand? {
        let source = try substitute(line, parameters: parameters)
        let chunks = try split(source)
        guard let first = chunks.first else { return nil }
        // `?` is `help`, as in IPython: `?`, `? train`.
        if first.text == "?" && !first.quoted {
            let arguments = try chunks.dropFirst().map { try argument($0, in: source) }
            return ParsedCommand(source: source, name: "help", nameRange: first.range, arguments: arguments)
        }
        guard first.quoted == false, first.text.first?.isLetter == true,
              first.text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw CommandError(tr("a command starts with its name, e.g. 'load mnist'"), source: source, range: first.range)
        }
        let arguments = try chunks.dropFirst().map { try argument($0, in: source) }
        return ParsedCommand(source: source, name: first.text.lowercased(), nameRange: first.range, arguments: arguments)
    }

    // MARK: - Parameters

    static func substitute(_ line: String, parameters: [String: String]) throws -> String {
        var result = ""
        var rest = Substring(line)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else {
                let column = line.distance(from: line.startIndex, to: start.lowerBound)
                throw CommandError(tr("'${' is not closed with '}'"), source: line, range: SourceRange(column, line.count))
            }
            let name = String(rest[start.upperBound..<close])
            guard let value = parameters[name] else {
                let column = line.distance(from: line.startIndex, to: start.lowerBound)
                let known = parameters.keys.sorted()
                let hint = suggestion(for: name, among: known).map { tr(" (did you mean '\($0)'?)") }
                    ?? (known.isEmpty ? tr(" (this notebook has no parameters)") : "")
                throw CommandError(tr("unknown parameter '\(name)'\(hint)"), source: line,
                                   range: SourceRange(column, column + name.count + 3))
            }
            result += value
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// `${name}` replaced wherever `name` is a parameter; anything else (prose showing the syntax) stays.
    static func substituteKnown(_ text: String, parameters: [String: String]) -> String {
        guard text.contains("${") else { return text }
        var result = text
        for (name, value) in parameters { result = result.replacingOccurrences(of: "${\(name)}", with: value) }
        return result
    }

    // MARK: - Splitting into chunks

    struct Chunk {
        var text: String
        var range: SourceRange
        var quoted: Bool
        /// Column where `=` splits key and value, if it does (outside quotes).
        var equals: Int?
        var valueQuoted: Bool
    }

    static func split(_ source: String) throws -> [Chunk] {
        var chunks: [Chunk] = []
        let characters = Array(source)
        var i = 0
        while i < characters.count {
            if characters[i].isWhitespace { i += 1; continue }
            if characters[i] == "#" { break }
            let start = i
            var text = ""
            var quotedAt: Int?
            var equals: Int?
            var valueQuoted = false
            while i < characters.count, !characters[i].isWhitespace {
                let c = characters[i]
                if c == "\"" || c == "'" {
                    if i == start { quotedAt = i }
                    if let equals, i == equals + 1 { valueQuoted = true }
                    let quote = c
                    i += 1
                    var closed = false
                    while i < characters.count {
                        if characters[i] == "\\", i + 1 < characters.count { text.append(characters[i + 1]); i += 2; continue }
                        if characters[i] == quote { closed = true; i += 1; break }
                        text.append(characters[i]); i += 1
                    }
                    if !closed { throw CommandError(tr("this quote is not closed"), source: source, range: SourceRange(start, characters.count)) }
                    continue
                }
                if c == "#" && quotedAt == nil { break }
                if c == "=" && equals == nil && quotedAt == nil { equals = i; text.append(c); i += 1; continue }
                text.append(c)
                i += 1
            }
            chunks.append(Chunk(text: text, range: SourceRange(start, i), quoted: quotedAt != nil,
                                equals: equals, valueQuoted: valueQuoted))
            if i < characters.count, characters[i] == "#" { break }
        }
        return chunks
    }

    // MARK: - Arguments and values

    static func argument(_ chunk: Chunk, in source: String) throws -> CommandArgument {
        guard let equals = chunk.equals else {
            let value = chunk.quoted ? Value.string(chunk.text) : try value(chunk.text, source: source, range: chunk.range)
            return CommandArgument(key: nil, value: value, text: chunk.text, range: chunk.range, keyRange: nil, valueRange: chunk.range)
        }
        let offset = equals - chunk.range.start
        let key = String(chunk.text.prefix(offset)).lowercased()
        let rawValue = String(chunk.text.dropFirst(offset + 1))
        let keyRange = SourceRange(chunk.range.start, equals)
        let valueRange = SourceRange(equals + 1, chunk.range.end)
        guard !key.isEmpty else { throw CommandError(tr("an option needs a name before '='"), source: source, range: chunk.range) }
        guard !rawValue.isEmpty || chunk.valueQuoted else {
            throw CommandError(tr("option '\(key)' needs a value after '='"), source: source, range: chunk.range)
        }
        let value = chunk.valueQuoted ? Value.string(rawValue) : try value(rawValue, source: source, range: valueRange)
        return CommandArgument(key: key, value: value, text: rawValue, range: chunk.range, keyRange: keyRange, valueRange: valueRange)
    }

    static func value(_ text: String, source: String, range: SourceRange) throws -> Value {
        if text.contains(",") {
            let items = text.split(separator: ",", omittingEmptySubsequences: false)
            guard !items.contains(where: \.isEmpty) else {
                throw CommandError(tr("a list has an empty item: '\(text)'"), source: source, range: range)
            }
            return .list(try items.map { try value(String($0), source: source, range: range) })
        }
        // Decimal numbers only: Double() also reads `nan`, `inf` and hexadecimal (`0x10` would be 16).
        if isDecimal(text), let number = Double(text) {
            return .number(number)   // 1e999 reads as infinity; the argument's type says it is too large
        }
        for separator in ["x", "-"] as [Character] where text.contains(separator) {
            let parts = text.split(separator: separator, omittingEmptySubsequences: false)
            if parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
                guard let sizes = Optional(parts.compactMap { Int($0) }), sizes.count == parts.count else {
                    throw CommandError(tr("a size is too large: '\(text)'"), source: source, range: range)
                }
                return .sizes(sizes, separator: separator)
            }
        }
        return .word(text)
    }

    /// `12`, `-0.5`, `.5`, `1e-3`, `+2`: digits with an optional sign, point and exponent.
    static func isDecimal(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
        let mantissa = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard mantissa.contains(where: \.isNumber), mantissa.filter({ $0 == "." }).count <= 1 else { return false }
        rest = rest.dropFirst(mantissa.count)
        guard let e = rest.first else { return true }
        guard e == "e" || e == "E" else { return false }
        rest = rest.dropFirst()
        if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
        return !rest.isEmpty && rest.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
