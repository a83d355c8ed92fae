/// A `.nb` notebook: Markdown prose with `caderno` command cells, each optionally followed by an
/// `output` block of its recorded output, and optional front matter between `---` lines.
public struct NotebookDocument: Equatable, Sendable {
    public struct Line: Equatable, Sendable {
        public let text: String
        public let number: Int      // 1-based, in the file
        /// "\r" when the file ends this line with CRLF: kept, so writing the document back gives its bytes.
        var carriageReturn = ""

        public init(text: String, number: Int) {
            self.text = text
            self.number = number
        }

        var written: String { text + carriageReturn }
        var isBlank: Bool { text.allSatisfy(\.isWhitespace) }
    }

    public struct Cell: Equatable, Sendable {
        /// The fence lines around the body, as written.
        var opening: Line
        var closing: Line
        /// Every line between the fences: `#|` option lines first, then the commands.
        var body: [Line]
        /// `#| key: value` lines at the top of the cell: `output: ignore`, `error: expected`, `echo: false`.
        public var options: [String: String]
        /// The recorded output, when an `output` block follows the cell.
        var recorded: RecordedOutput?

        /// Command lines (`#|` option lines removed).
        public var commands: [Line] { Array(body.dropFirst(optionLineCount)) }
        public var fenceLine: Int { opening.number }
        public var output: [Line]? { recorded?.lines }

        var optionLineCount: Int { body.prefix { $0.text.trimmingCharacters(in: .whitespaces).hasPrefix("#|") }.count }
        var lines: [Line] { [opening] + body + [closing] + (recorded.map { $0.gap + [$0.opening] + $0.lines + [$0.closing] } ?? []) }
    }

    /// An `output` block after a cell, and the blank lines between them.
    struct RecordedOutput: Equatable, Sendable {
        var gap: [Line]
        var opening: Line
        var lines: [Line]
        var closing: Line
    }

    public enum Part: Equatable, Sendable {
        /// Markdown as written, blank lines included.
        case prose([Line])
        case cell(Cell)
    }

    /// The cell options there are, and the values each takes (nil: a number > 0).
    static let cellOptions: [String: [String]?] = ["output": ["ignore"], "error": ["expected"], "echo": ["true", "false"],
                                                   "tolerance": nil]

    public var title: String?
    public var language: String?
    /// Parameter defaults from the front matter (`params:` then indented `name: value` lines).
    public var parameters: [String: String] = [:]
    /// How far numbers may drift from the recorded outputs (`tolerance:` in the front matter).
    public var tolerance: Double?
    /// The front matter as written, `---` lines included.
    var frontMatter: [Line] = []
    public var parts: [Part] = []

    public var cells: [Cell] {
        parts.compactMap { if case .cell(let cell) = $0 { cell } else { nil } }
    }

    /// The document as text: what was parsed, byte for byte.
    public var text: String {
        (frontMatter + parts.flatMap { part -> [Line] in
            switch part {
            case .prose(let lines): lines
            case .cell(let cell): cell.lines
            }
        }).map(\.written).joined(separator: "\n")
    }

    /// The same document with new recorded outputs for some cells (by their index among the
    /// cells); every other byte stays as it was. A cell without an output block gets one, after a
    /// blank line.
    public func recording(_ outputs: [Int: [String]]) -> NotebookDocument {
        var copy = self
        var index = 0
        for (position, part) in parts.enumerated() {
            guard case .cell(var cell) = part else { continue }
            defer { index += 1 }
            guard let lines = outputs[index] else { continue }
            // New lines take the cell's line ending and fence; their numbers only place messages near the cell.
            func line(_ text: String) -> Line {
                var line = Line(text: text, number: cell.closing.number)
                line.carriageReturn = cell.closing.carriageReturn
                return line
            }
            let marker = Fence(cell.opening.text)?.marker ?? "```"
            cell.recorded = RecordedOutput(gap: cell.recorded?.gap ?? [line("")], opening: cell.recorded?.opening ?? line(marker + "output"),
                                           lines: lines.map(line), closing: cell.recorded?.closing ?? line(marker))
            copy.parts[position] = .cell(cell)
        }
        return copy
    }

    /// An error in the notebook file itself, at a line.
    public struct SyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "\(line): error: \(message)" }
    }

    public static func parse(_ text: String) throws -> NotebookDocument {
        var document = NotebookDocument()
        // Split as bytes: to Swift, "\r\n" is one Character, which a split at "\n" would never find.
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated().map { index, raw in
            let crlf = raw.last == UInt8(ascii: "\r")
            var line = Line(text: String(decoding: crlf ? raw.dropLast() : raw, as: UTF8.self), number: index + 1)
            if crlf { line.carriageReturn = "\r" }
            return line
        }
        var index = 0
        if lines.first?.text.trimmingCharacters(in: .whitespaces) == "---" {
            guard let end = lines.dropFirst().firstIndex(where: { $0.text.trimmingCharacters(in: .whitespaces) == "---" }) else {
                throw SyntaxError(line: 1, message: tr("the front matter opened here is never closed with '---'"))
            }
            try document.readFrontMatter(lines[1..<end])
            document.frontMatter = Array(lines[...end])
            index = end + 1
        }
        var prose: [Line] = []
        func flushProse() {
            if !prose.isEmpty { document.parts.append(.prose(prose)) }
            prose = []
        }
        while index < lines.count {
            let line = lines[index]
            guard let fence = Fence(line.text) else { prose.append(line); index += 1; continue }
            guard let close = lines[(index + 1)...].firstIndex(where: { fence.isClosed(by: $0.text) }) else {
                throw SyntaxError(line: line.number, message: tr("the code fence opened here (\(fence.marker)\(fence.info)) is never closed"))
            }
            let body = Array(lines[(index + 1)..<close])
            switch fence.info.lowercased() {
            case "caderno":
                flushProse()
                document.parts.append(.cell(try Cell(opening: line, body: body, closing: lines[close])))
            case "output":
                guard case .cell(var cell)? = document.parts.last, prose.allSatisfy(\.isBlank) else {
                    throw SyntaxError(line: line.number, message: tr("an output block must come right after a caderno cell"))
                }
                guard cell.recorded == nil else { throw SyntaxError(line: line.number, message: tr("this cell already has an output block")) }
                cell.recorded = RecordedOutput(gap: prose, opening: line, lines: body, closing: lines[close])
                prose = []
                document.parts[document.parts.count - 1] = .cell(cell)
            default:
                prose += lines[index...close]   // any other fenced block is part of the prose
            }
            index = close + 1
        }
        flushProse()
        return document
    }
    private mutating func readFrontMatter(_ lines: ArraySlice<Line>) throws {
        var inParameters = false
        for line in lines where !line.text.trimmingCharacters(in: .whitespaces).isEmpty && !line.text.hasPrefix("#") {
            let indented = line.text.first == " " || line.text.first == "\t"
            guard let colon = line.text.firstIndex(of: ":") else {
                throw SyntaxError(line: line.number, message: tr("front matter lines are 'key: value', got '\(line.text)'"))
            }
            let key = line.text[..<colon].trimmingCharacters(in: .whitespaces)
            var value = line.text[line.text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                value = String(value.dropFirst().dropLast())
            }
            if indented && inParameters {
                guard parameters.updateValue(value, forKey: key) == nil else {
                    throw SyntaxError(line: line.number, message: tr("the parameter '\(key)' is given twice"))
                }
                continue
            }
            inParameters = false
            switch key {
            case "title": title = value
            case "lang": language = value
            case "tolerance":
                guard let number = Double(value), number > 0, number.isFinite else {
                    throw SyntaxError(line: line.number, message: tr("'tolerance:' takes a number > 0, like 0.001, got '\(value)'"))
                }
                tolerance = number
            case "params":
                guard value.isEmpty else { throw SyntaxError(line: line.number, message: tr("'params:' takes indented 'name: value' lines below it")) }
                inParameters = true
            default:
                throw SyntaxError(line: line.number, message: tr("unknown front matter key '\(key)' (known: title, lang, params, tolerance)"))
            }
        }
    }
}

extension NotebookDocument.Cell {
    /// A cell from its lines; its `#|` option lines are checked here, so a mistyped option is an
    /// error at its line rather than silently ignored.
    init(opening: NotebookDocument.Line, body: [NotebookDocument.Line], closing: NotebookDocument.Line) throws {
        var options: [String: String] = [:]
        for line in body {
            let trimmed = line.text.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("#|") else { break }
            let parts = trimmed.dropFirst(2).split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            func fail(_ message: String) -> NotebookDocument.SyntaxError { .init(line: line.number, message: message) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw fail(tr("a cell option is '#| key: value', like '#| output: ignore', got '\(trimmed)'"))
            }
            let (key, value) = (parts[0], parts[1])
            guard let allowed = NotebookDocument.cellOptions[key] else {
                let known = NotebookDocument.cellOptions.keys.sorted()
                let hint = suggestion(for: key, among: known).map { tr(" (did you mean '\($0)'?)") } ?? ""
                throw fail(tr("unknown cell option '\(key)'\(hint); the options are \(known.joined(separator: ", "))"))
            }
            if let values = allowed {
                guard values.contains(value) else { throw fail(tr("'#| \(key):' takes \(values.joined(separator: " or ")), got '\(value)'")) }
            } else {
                guard let number = Double(value), number > 0, number.isFinite else { throw fail(tr("'#| \(key):' takes a number > 0, got '\(value)'")) }
            }
            guard options.updateValue(value, forKey: key) == nil else { throw fail(tr("the cell option '\(key)' is given twice")) }
        }
        self.init(opening: opening, closing: closing, body: body, options: options, recorded: nil)
    }
}

/// A Markdown code fence: three or more backticks or tildes, and an info string.
struct Fence {
    let marker: String
    let info: String

    init?(_ line: String) {
        let trimmed = line.drop { $0 == " " }
        guard line.count - trimmed.count < 4, let first = trimmed.first, first == "`" || first == "~" else { return nil }
        let marker = trimmed.prefix { $0 == first }
        guard marker.count >= 3 else { return nil }
        let info = trimmed.dropFirst(marker.count).trimmingCharacters(in: .whitespaces)
        if first == "`" && info.contains("`") { return nil }
        self.marker = String(marker)
        self.info = info.split(separator: " ").first.map(String.init) ?? ""
    }

    func isClosed(by line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count >= marker.count && trimmed.allSatisfy { $0 == marker.first }
    }
}

extension NotebookDocument {
    /// What a parameter's default makes it: a whole number, a number, true/false, or any text.
    public enum ParameterKind: String, CaseIterable, Sendable {
        case wholeNumber = "a whole number", number = "a number", boolean = "true or false", text = "text"

        public init(default value: String) {
            self = Int(value) != nil ? .wholeNumber : Double(value) != nil ? .number : ["true", "false"].contains(value) ? .boolean : .text
        }

        func accepts(_ value: String) -> Bool {
            switch self {
            case .wholeNumber: Int(value) != nil
            case .number: Double(value).map(\.isFinite) ?? false
            case .boolean: ["true", "false"].contains(value)
            case .text: true
            }
        }
    }

    /// Why `value` cannot replace a parameter whose default is `defaultValue` (nil: it can), so
    /// `-P lr=abc` is refused before anything runs rather than failing in the middle of the notebook.
    public static func parameterProblem(_ value: String, default defaultValue: String) -> String? {
        let kind = ParameterKind(default: defaultValue)
        return kind.accepts(value) ? nil : tr("this parameter is \(trText(kind.rawValue)) (its default is \(defaultValue)), got '\(value)'")
    }
}
