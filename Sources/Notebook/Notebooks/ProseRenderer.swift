import Foundation

/// Markdown prose for a terminal: headings underlined, emphasis and code spans styled (or left
/// as plain text without colour), list items with bullets, paragraphs re-flowed to the width.
public struct ProseRenderer: Sendable {
    /// Width, colour and Unicode, as for the rest of the output.
    public var terminal: TerminalRenderer

    public init(_ terminal: TerminalRenderer = TerminalRenderer()) {
        self.terminal = terminal
    }

    private var color: Bool { terminal.color }
    private var unicode: Bool { terminal.unicode }

    public func render(_ lines: [String]) -> String {
        var output: [String] = []
        var paragraph: [String] = []
        var item: (indent: String, bullet: String, text: String)?
        var inFence = false
        func flush() {
            if let open = item {
                output += wrap(inline(open.text), indent: open.indent + open.bullet + " ",
                               continuation: open.indent + String(repeating: " ", count: open.bullet.count + 1))
            }
            if !paragraph.isEmpty { output += wrap(inline(paragraph.joined(separator: " ")), indent: "") }
            item = nil
            paragraph = []
        }
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if Fence(line) != nil {
                flush()
                inFence.toggle()
                continue
            }
            if inFence { output.append("    " + style(line, "36")); continue }
            if trimmed.isEmpty {
                flush()
                if output.last != "" { output.append("") }
            } else if let heading = heading(trimmed) {
                flush()
                if !output.isEmpty && output.last != "" { output.append("") }
                output += heading + [""]
            } else if let next = listItem(line) {
                flush()
                item = next
            } else if item != nil {
                item!.text += " " + trimmed   // a lazy continuation of the list item
            } else if trimmed.hasPrefix(">") {
                flush()
                output += wrap(inline(String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces)), indent: "│ ")
            } else {
                paragraph.append(trimmed)
            }
        }
        flush()
        while output.first == "" { output.removeFirst() }
        while output.last == "" { output.removeLast() }
        return output.joined(separator: "\n")
    }

    private func heading(_ line: String) -> [String]? {
        let level = line.prefix { $0 == "#" }.count
        guard (1...6).contains(level), line.dropFirst(level).first == " " else { return nil }
        let text = inline(String(line.dropFirst(level + 1)), plainStyle: true)
        let visible = stripped(text)
        switch level {
        case 1: return [style(text, "1"), style(String(repeating: unicode ? "═" : "=", count: visible.count), "1")]
        case 2: return [style(text, "1"), String(repeating: unicode ? "─" : "-", count: visible.count)]
        default: return [style(text, "1")]
        }
    }

    private func listItem(_ line: String) -> (indent: String, bullet: String, text: String)? {
        let indent = String(line.prefix { $0 == " " })
        let rest = line.dropFirst(indent.count)
        if let marker = rest.first, "-*+".contains(marker), rest.dropFirst().first == " " {
            return (indent, unicode ? "•" : "-", String(rest.dropFirst(2)))
        }
        let digits = rest.prefix { $0.isNumber }
        if !digits.isEmpty, rest.dropFirst(digits.count).first == ".", rest.dropFirst(digits.count + 1).first == " " {
            return (indent, digits + ".", String(rest.dropFirst(digits.count + 2)))
        }
        return nil
    }

    /// **bold**, *emphasis* / _emphasis_, `code`, [text](link) → styled text.
    func inline(_ text: String, plainStyle: Bool = false) -> String {
        var result = ""
        var rest = Substring(text)
        while let c = rest.first {
            if c == "`", let end = rest.dropFirst().firstIndex(of: "`") {
                let code = rest[rest.index(after: rest.startIndex)..<end]
                result += color ? style(String(code), "36") : "`\(code)`"
                rest = rest[rest.index(after: end)...]
            } else if rest.hasPrefix("**"), let end = rest.dropFirst(2).range(of: "**") {
                result += style(String(rest[rest.index(rest.startIndex, offsetBy: 2)..<end.lowerBound]), "1")
                rest = rest[end.upperBound...]
            } else if c == "*" || c == "_", rest.count > 1, rest.dropFirst().first != " ",
                      let end = rest.dropFirst().firstIndex(of: c), (c == "*" || rest.index(after: end) == rest.endIndex || !(rest[rest.index(after: end)].isLetter)) {
                result += style(String(rest[rest.index(after: rest.startIndex)..<end]), "3")
                rest = rest[rest.index(after: end)...]
            } else if c == "[", let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix("("),
                      let end = rest[close...].firstIndex(of: ")") {
                let label = rest[rest.index(after: rest.startIndex)..<close]
                let link = rest[rest.index(close, offsetBy: 2)..<end]
                result += String(label) + (color ? style(" (\(link))", "2") : " (\(link))")
                rest = rest[rest.index(after: end)...]
            } else {
                result.append(c)
                rest = rest.dropFirst()
            }
        }
        return result
    }

    /// Greedy word wrap by visible width (escape codes take no columns).
    func wrap(_ text: String, indent: String, continuation: String? = nil) -> [String] {
        let limit = max(20, min(terminal.width, 100))
        var lines: [String] = []
        var prefix = indent
        var words: [String] = []
        var visible = prefix.count
        for word in text.split(separator: " ").map(String.init) {
            let length = stripped(word).count
            if !words.isEmpty && visible + 1 + length > limit {
                lines.append(prefix + words.joined(separator: " "))
                prefix = continuation ?? String(repeating: " ", count: indent.count)
                words = []
                visible = prefix.count
            }
            visible += (words.isEmpty ? 0 : 1) + length
            words.append(word)
        }
        lines.append(prefix + words.joined(separator: " "))
        return lines
    }

    private func style(_ text: String, _ code: String) -> String {
        terminal.style(text, code)
    }

    private func stripped(_ text: String) -> String {
        text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
    }
}
