import Foundation
import Ink

/// Caderno's version, as exports and `--version` give it.
public let cadernoVersion = "0.4.0"

/// The formats a session or a replay can be written in, by file extension.
public enum ExportFormat: String, CaseIterable, Sendable {
    case nb, md, html, ipynb

    public init?(path: String) {
        self.init(rawValue: (path as NSString).pathExtension.lowercased())
    }
}

/// A run written down for readers: a title, a line saying where it came from, then prose and
/// cells with their outputs.
public struct Transcript: Sendable {
    public var title: String
    public var origin: String?
    public var parts: [RunRecord.Part]

    public init(title: String, origin: String?, parts: [RunRecord.Part]) {
        (self.title, self.origin, self.parts) = (title, origin, parts)
    }
}

/// Writes transcripts as files. Pictures (charts, heatmaps, bars, digit grids) become SVG: files
/// beside a Markdown document, inline in HTML, `image/svg+xml` outputs in a Jupyter notebook.
enum Exporter {
    /// The files to write for `transcript` as `path`: the document first, then any pictures.
    static func files(_ transcript: Transcript, as format: ExportFormat, path: String) -> [(path: String, text: String)] {
        switch format {
        case .nb: [(path, notebook(transcript))]
        case .md: markdown(transcript, path: path)
        case .html: [(path, html(transcript))]
        case .ipynb: [(path, jupyter(transcript))]
        }
    }

    static func text(of output: RunRecord.Output) -> String {
        switch output {
        case .block(let block): RunRecord.recordingRenderer.render(block)
                .split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingTrailingSpaces }.joined(separator: "\n")
        case .error(let message): message
        }
    }

    static func picture(_ output: RunRecord.Output) -> String? {
        guard case .block(let block) = output else { return nil }
        return SVGRenderer().render(block)
    }

    // MARK: - .nb

    /// A notebook that replays as the session ran, its outputs recorded (`caderno run --check` passes).
    static func notebook(_ transcript: Transcript) -> String {
        var lines = ["---", "title: \(transcript.title)", "---", ""]
        for part in transcript.parts {
            switch part {
            case .prose(let prose):
                lines += prose + [""]
            case .cell(let cell):
                lines += ["```caderno"] + cell.options.sorted { $0.key < $1.key }.map { "#| \($0.key): \($0.value)" } + cell.commands + ["```", ""]
                if cell.options["output"] != "ignore", !cell.recordedText.isEmpty {
                    lines += ["```output"] + cell.recordedText + ["```", ""]
                }
            }
        }
        if let origin = transcript.origin { lines.insert(contentsOf: [origin, ""], at: 4) }
        return lines.joined(separator: "\n")
    }

    // MARK: - Markdown

    static func markdown(_ transcript: Transcript, path: String) -> [(path: String, text: String)] {
        let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let folder = (path as NSString).deletingLastPathComponent
        var pictures: [(path: String, text: String)] = []
        var lines = ["# \(transcript.title)", ""] + (transcript.origin.map { ["*\($0)*", ""] } ?? [])
        for part in transcript.parts {
            switch part {
            case .prose(let prose):
                lines += prose + [""]
            case .cell(let cell):
                lines += ["```sh"] + cell.commands.map { "caderno> " + $0 } + ["```", ""]
                var text: [String] = []
                func flushText() {
                    if !text.isEmpty { lines += ["```text"] + text + ["```", ""] }
                    text = []
                }
                for output in cell.outputs {
                    if let svg = picture(output), case .block(let block) = output {
                        flushText()
                        let name = "\(base)-\(pictures.count + 1).svg"
                        pictures.append(((folder.isEmpty ? name : folder + "/" + name), svg))
                        lines += ["![\(block.title ?? "picture")](\(name))", ""]
                    } else {
                        text += Self.text(of: output).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    }
                }
                flushText()
            }
        }
        return [(path, lines.joined(separator: "\n"))] + pictures
    }

    // MARK: - HTML

    /// One self-contained page: no script, no font, no remote reference; pictures inline.
    static func html(_ transcript: Transcript) -> String {
        let parser = MarkdownParser()
        var body = ["<h1>\(escape(transcript.title))</h1>"] + (transcript.origin.map { ["<p class=\"origin\">\(escape($0))</p>"] } ?? [])
        for part in transcript.parts {
            switch part {
            case .prose(let prose):
                body.append(parser.html(from: prose.joined(separator: "\n")))
            case .cell(let cell):
                body.append("<section class=\"cell\">")
                body.append("<pre class=\"commands\"><code>" + cell.commands.map { "<span class=\"prompt\">caderno&gt; </span>" + escape($0) }
                    .joined(separator: "\n") + "</code></pre>")
                // Consecutive lines of text (an epoch log) share one box.
                var text: [String] = []
                for output in cell.outputs {
                    if case .block(.text(let line)) = output { text.append(line); continue }
                    if !text.isEmpty { body.append(html(.block(.text(text.joined(separator: "\n"))))) }
                    text = []
                    body.append(html(output))
                }
                if !text.isEmpty { body.append(html(.block(.text(text.joined(separator: "\n"))))) }
                body.append("</section>")
            }
        }
        return """
            <!DOCTYPE html>
            <html lang="\(Language.current == .portuguese ? "pt-BR" : "en")">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="Caderno \(cadernoVersion)">
            <title>\(escape(transcript.title))</title>
            <style>
            \(stylesheet)
            </style>
            </head>
            <body>
            <main>
            \(body.joined(separator: "\n"))
            </main>
            </body>
            </html>

            """
    }

    static func html(_ output: RunRecord.Output) -> String {
        switch output {
        case .error(let message):
            return "<pre class=\"error\">\(escape(message))</pre>"
        case .block(let block):
            switch block {
            case .text(let text): return "<pre class=\"output\">\(escape(text))</pre>"
            case .note(let text): return "<p class=\"note\">\(escape(text))</p>"
            case .fields(let fields):
                return "<table class=\"fields\">" + fields.map { "<tr><th>\(escape($0.key))</th><td>\(escape($0.value))</td></tr>" }.joined() + "</table>"
            case .table(let table):
                let head = "<thead><tr>" + table.headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>"
                let rows = table.rows.map { row in
                    "<tr>" + row.enumerated().map { index, cell in
                        let right = table.alignments.indices.contains(index) && table.alignments[index] == .right
                        return right ? "<td class=\"number\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
                    }.joined() + "</tr>"
                }.joined()
                let foot = table.footer.isEmpty ? "" : "<tfoot>" + table.footer.map {
                    "<tr><td colspan=\"\(table.headers.count)\">\(escape($0))</td></tr>" }.joined() + "</tfoot>"
                return "<table>\(head)<tbody>\(rows)</tbody>\(foot)</table>"
            case .chart, .heatmap, .bars, .images:
                let svg = SVGRenderer().render(block) ?? ""
                let inline = svg.hasPrefix("<?xml") ? String(svg.drop { $0 != "\n" }.dropFirst()) : svg
                return "<figure>\(inline)</figure>"
            }
        }
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let stylesheet = """
        :root { color-scheme: light; --ink: #1d2329; --muted: #5b6570; --rule: #d8dde3; --code: #f5f7f9; --accent: #1f5fa8; }
        body { margin: 0; color: var(--ink); background: #fff; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
        h1, h2, h3 { line-height: 1.25; } h1 { font-size: 1.9rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem; }
        .origin, .note { color: var(--muted); } .origin { font-style: italic; }
        code, pre { font: 13.5px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
        :not(pre) > code { background: var(--code); padding: .1em .3em; border-radius: 3px; }
        pre { background: var(--code); padding: .7rem .9rem; border-radius: 6px; overflow-x: auto; white-space: pre; }
        .cell { margin: 1.2rem 0 1.6rem; }
        pre.commands { border-left: 4px solid var(--accent); }
        .prompt { color: var(--muted); user-select: none; }
        pre.output { background: #fff; border: 1px solid var(--rule); white-space: pre-wrap; overflow-wrap: anywhere; }
        pre.error { background: #fff4f4; border: 1px solid #f0c4c4; color: #8a1f1f; }
        table { border-collapse: collapse; margin: .6rem 0; font-size: .92rem; }
        th, td { padding: .25rem .7rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
        td.number { text-align: right; font-variant-numeric: tabular-nums; }
        thead th { border-bottom: 2px solid var(--ink); } tfoot td { color: var(--muted); border-bottom: none; }
        table.fields th { font-weight: 600; padding-left: 0; }
        figure { margin: .8rem 0; } figure svg { max-width: 100%; height: auto; }
        @media print { main { max-width: none; padding: 0; } pre { white-space: pre-wrap; } .cell, figure, table { break-inside: avoid; } }
        """

    // MARK: - Jupyter

    /// nbformat 4.5: prose as Markdown cells, each cell as a code cell with its outputs.
    static func jupyter(_ transcript: Transcript) -> String {
        var cells: [[String: Any]] = []
        func source(_ lines: [String]) -> [String] {
            lines.enumerated().map { $0.offset == lines.count - 1 ? $0.element : $0.element + "\n" }
        }
        func markdownCell(_ lines: [String]) {
            cells.append(["cell_type": "markdown", "id": "cell-\(cells.count + 1)", "metadata": [String: Any](), "source": source(lines)])
        }
        markdownCell(["# \(transcript.title)"] + (transcript.origin.map { ["", "*\($0)*"] } ?? []))
        var count = 0
        for part in transcript.parts {
            switch part {
            case .prose(let prose):
                markdownCell(prose)
            case .cell(let cell):
                count += 1
                let outputs: [[String: Any]] = cell.outputs.map { output in
                    if case .error(let message) = output { return jupyterError(message).merging(["output_type": "error"]) { $1 } }
                    var data: [String: Any] = jupyterData(output)
                    data["text/plain"] = source(text(of: output).split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
                    return ["output_type": "display_data", "data": data, "metadata": [String: Any]()]
                }
                cells.append(["cell_type": "code", "id": "cell-\(cells.count + 1)", "execution_count": count, "metadata": [String: Any](),
                              "source": source(cell.commands), "outputs": outputs])
            }
        }
        let notebook: [String: Any] = [
            "nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": ["kernelspec": KernelSpec.notebookKernelspec, "language_info": KernelSpec.languageInfo],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: notebook, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

extension Exporter {
    /// What Jupyter shows for an output, by MIME type: its text, and a picture's SVG. The Jupyter
    /// kernel sends the same, so a notebook it runs has the outputs `export` writes.
    static func jupyterData(_ output: RunRecord.Output) -> [String: Any] {
        var data: [String: Any] = ["text/plain": text(of: output)]
        if let svg = picture(output) { data["image/svg+xml"] = svg }
        return data
    }

    /// A command's error as Jupyter's error output: the message, then the line with its caret.
    static func jupyterError(_ message: String) -> [String: Any] {
        let lines = message.split(separator: "\n").map(String.init)
        return ["ename": "CommandError", "evalue": lines.first ?? "", "traceback": lines]
    }
}

extension Block {
    /// A picture's title, for alternative text.
    var title: String? {
        switch self {
        case .chart(let chart): chart.title
        case .heatmap(let heatmap): heatmap.title
        case .bars(let bars): bars.title
        case .images(let grid): grid.title
        case .text, .note, .fields, .table: nil
        }
    }
}
