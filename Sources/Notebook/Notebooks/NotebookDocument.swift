/// A `.nb` notebook: Markdown prose with `caderno` command cells, each optionally followed by an
/// `output` block of its recorded output, and optional front matter between `---` lines.
public struct NotebookDocument: Equatable, Sendable {
    public struct Line: Equatable, Sendable {
        public let text: String
        public let number: Int      // 1-based, in the file
    }

    public struct Cell: Equatable, Sendable {
        /// Command lines (`#|` option lines removed).
        public var commands: [Line]
        /// `#| key: value` lines at the top of the cell: `output: ignore`, `error: expected`.
        public var options: [String: String]
        public var fenceLine: Int
        /// The recorded output, when an `output` block follows the cell.
        public var output: [Line]?
    }

    public enum Part: Equatable, Sendable {
        case prose([Line])
        case cell(Cell)
    }

    public var title: String?
    public var language: String?
    /// Parameter defaults from the front matter (`params:` then indented `name: value` lines).
    public var parameters: [String: String] = [:]
    public var parts: [Part] = []

    public var cells: [Cell] {
        parts.compactMap { if case .cell(let cell) = $0 { cell } else { nil } }
    }

    /// An error in the notebook file itself, at a line.
    public struct SyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "\(line): error: \(message)" }
    }

    public static func parse(_ text: String) throws -> NotebookDocument {
        var document = NotebookDocument()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map {
            Line(text: $0.element.hasSuffix("\r") ? String($0.element.dropLast()) : String($0.element), number: $0.offset + 1)
        }
        var index = 0
        if lines.first?.text.trimmingCharacters(in: .whitespaces) == "---" {
            guard let end = lines.dropFirst().firstIndex(where: { $0.text.trimmingCharacters(in: .whitespaces) == "---" }) else {
                throw SyntaxError(line: 1, message: "the front matter opened here is never closed with '---'")
            }
            try document.readFrontMatter(lines[1..<end])
            index = end + 1
        }
        var prose: [Line] = []
        func flushProse() {
            if prose.contains(where: { !$0.text.trimmingCharacters(in: .whitespaces).isEmpty }) { document.parts.append(.prose(prose)) }
            prose = []
        }
        while index < lines.count {
            let line = lines[index]
            guard let fence = Fence(line.text) else { prose.append(line); index += 1; continue }
            guard let close = lines[(index + 1)...].firstIndex(where: { fence.isClosed(by: $0.text) }) else {
                throw SyntaxError(line: line.number, message: "the code fence opened here (\(fence.marker)\(fence.info)) is never closed")
            }
            let body = Array(lines[(index + 1)..<close])
            switch fence.info.lowercased() {
            case "caderno":
                flushProse()
                document.parts.append(.cell(Cell(body: body, fenceLine: line.number)))
            case "output":
                guard case .cell(var cell)? = document.parts.last, prose.allSatisfy({ $0.text.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                    throw SyntaxError(line: line.number, message: "an output block must come right after a caderno cell")
                }
                guard cell.output == nil else { throw SyntaxError(line: line.number, message: "this cell already has an output block") }
                prose = []
                cell.output = body
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
                throw SyntaxError(line: line.number, message: "front matter lines are 'key: value', got '\(line.text)'")
            }
            let key = line.text[..<colon].trimmingCharacters(in: .whitespaces)
            var value = line.text[line.text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                value = String(value.dropFirst().dropLast())
            }
            if indented && inParameters {
                parameters[key] = value
                continue
            }
            inParameters = false
            switch key {
            case "title": title = value
            case "lang": language = value
            case "params":
                guard value.isEmpty else { throw SyntaxError(line: line.number, message: "'params:' takes indented 'name: value' lines below it") }
                inParameters = true
            default:
                throw SyntaxError(line: line.number, message: "unknown front matter key '\(key)' (known: title, lang, params)")
            }
        }
    }
}

extension NotebookDocument.Cell {
    init(body: [NotebookDocument.Line], fenceLine: Int) {
        var options: [String: String] = [:]
        var commands: [NotebookDocument.Line] = []
        for line in body {
            let trimmed = line.text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#|"), commands.isEmpty {
                let option = trimmed.dropFirst(2).split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                options[option[0]] = option.count > 1 ? option[1] : ""
            } else {
                commands.append(line)
            }
        }
        self.init(commands: commands, options: options, fenceLine: fenceLine, output: nil)
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
