import Foundation

/// Replays a notebook top to bottom in one session: prose rendered for the terminal, each cell's
/// commands echoed and run. Stops at the first unexpected error with `FILE:LINE: error: …`.
public final class NotebookRunner {
    public let session: Session
    let sink: TerminalSink

    public init(session: Session = Session(), sink: TerminalSink = TerminalSink()) {
        self.session = session
        self.sink = sink
    }

    /// Reads and replays `path`; `overrides` replace parameter defaults. Returns the exit status.
    public func run(file path: String, overrides: [String: String] = [:]) -> Int32 {
        let document: NotebookDocument
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            document = try NotebookDocument.parse(text)
        } catch let error as NotebookDocument.SyntaxError {
            sink.error("\(path):\(error.description)")
            return 1
        } catch {
            sink.error("error: cannot read \(path): \((error as NSError).localizedDescription)")
            return 1
        }
        if let unknown = overrides.keys.sorted().first(where: { document.parameters[$0] == nil }) {
            let known = document.parameters.keys.sorted()
            let hint = suggestion(for: unknown, among: known).map { " (did you mean '\($0)'?)" }
                ?? (known.isEmpty ? " (it has none)" : " (it has \(known.joined(separator: ", ")))")
            sink.error("error: \(path) has no parameter '\(unknown)'\(hint)")
            return 1
        }
        return run(document, file: path, parameters: document.parameters.merging(overrides) { $1 })
    }

    public func run(_ document: NotebookDocument, file: String, parameters: [String: String] = [:]) -> Int32 {
        session.parameters = parameters
        let prose = ProseRenderer(sink.renderer)
        if let title = document.title { sink.write(prose.render(["# " + title]) + "\n\n") }
        for part in document.parts {
            switch part {
            case .prose(let lines):
                if lines.allSatisfy(\.isBlank) { break }   // the blank lines between two cells
                sink.write(prose.render(lines.map(\.text)) + "\n\n")
            case .cell(let cell):
                guard run(cell, file: file) else { return 1 }
                sink.write("\n")
            }
            if session.wantsToQuit { break }
        }
        return 0
    }

    private func run(_ cell: NotebookDocument.Cell, file: String) -> Bool {
        let expectsError = cell.options["error"] == "expected"
        var failed = false
        for line in cell.commands where !line.text.trimmingCharacters(in: .whitespaces).isEmpty {
            // Echo the line as it runs, parameters filled in (a bad one is reported just below).
            let shown = (try? Parser.substitute(line.text, parameters: session.parameters)) ?? line.text
            if cell.options["echo"] != "false" { sink.write(sink.renderer.style("caderno> ", "2") + shown + "\n") }
            do {
                try session.execute(line.text, output: sink)
            } catch {
                let message = (error as? CommandError)?.description ?? "error: \(error)"
                if expectsError {
                    sink.write(message + "\n")
                    failed = true
                    continue
                }
                sink.error("\(file):\(line.number): \(message)")
                return false
            }
        }
        if expectsError && !failed {
            sink.error("\(file):\(cell.fenceLine): error: this cell is marked '#| error: expected', but every command in it ran")
            return false
        }
        return true
    }
}
