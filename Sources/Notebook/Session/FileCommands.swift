import Foundation

extension Session {
    static let fileCommands: [Command] = [export]

    static let export = Command(spec: CommandSpec(
        "export", group: .files,
        summary: "write the session so far as a notebook (.nb), Markdown (.md), a web page (.html) or a Jupyter notebook (.ipynb)",
        usage: "export FILE.nb|FILE.md|FILE.html|FILE.ipynb [title=TEXT]",
        example: "export my-study.html",
        positionals: [ExportCommand.file],
        options: [ExportCommand.title]
    )) { session, arguments, output in
        let path = arguments[ExportCommand.file].text
        guard let format = ExportFormat(path: path) else {
            throw arguments.error("export writes .nb, .md, .html or .ipynb files, got '\(path)'", at: ExportCommand.file)
        }
        guard !session.state.log.isEmpty else { throw arguments.error("nothing to export yet — the session has run no commands") }
        let transcript = Transcript(title: arguments[ExportCommand.title] ?? "A Caderno session",
                                    origin: "Exported \(NotebookRunner.today()) by Caderno \(cadernoVersion) · seed \(session.seed)",
                                    parts: session.state.log.map { .cell($0) })
        let files = Exporter.files(transcript, as: format, path: session.resolve(path))
        for file in files {
            do {
                try writeAtomically(Data(file.text.utf8), to: file.path)
            } catch {
                throw arguments.error("cannot write \(file.path): \((error as NSError).localizedDescription)", at: ExportCommand.file)
            }
        }
        let commands = session.state.log.count
        output.emit(.note("Wrote \(path): \(commands) command\(commands == 1 ? "" : "s") and what \(commands == 1 ? "it" : "they") showed"
                          + (files.count > 1 ? ", with \(files.count - 1) picture\(files.count == 2 ? "" : "s") beside it." : ".")))
    }
}

private enum ExportCommand {
    static let file = Argument<FilePath>(required: "file", "the file to write: .nb, .md, .html or .ipynb")
    static let title = Argument<String?>("title", default: "A Caderno session", "the document's title")
}
