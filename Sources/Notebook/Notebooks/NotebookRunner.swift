import Core
import Foundation

/// Replays a notebook top to bottom in one session, as a stream of run events: prose, each cell's
/// commands and what they produced. Stops at the first unexpected error with `FILE:LINE: error: …`.
///
/// Modes: a plain replay shows everything on the terminal; `check` compares each cell's output with
/// its recording and shows a diff for each that differs; `update` writes fresh recordings into the
/// file where they differ or are missing, keeping every other byte.
public final class NotebookRunner {
    public enum Mode: Sendable {
        case replay, check, update
    }

    public struct Options: Sendable {
        public var mode: Mode = .replay
        /// Write the replay to this file too: `.nb`, `.md`, `.html` or `.ipynb`.
        public var export: String?
        /// Pause before each cell (a plain replay only).
        public var step: Bool
        /// Speak this language (`--lang`) whatever the notebook's `lang:` says.
        public var language: Language?
        /// `--output-dir`: the folder the notebook's files go to (else its own folder).
        public var outputDirectory: String?
        /// `--allow-writes-anywhere`: a trusted notebook, whose commands may write any path.
        public var writesAnywhere: Bool
        public init(mode: Mode = .replay, export: String? = nil, step: Bool = false, language: Language? = nil,
                    outputDirectory: String? = nil, writesAnywhere: Bool = false) {
            self.outputDirectory = outputDirectory
            self.writesAnywhere = writesAnywhere
            self.mode = mode
            self.export = export
            self.step = step
            self.language = language
        }
    }

    public let session: Session
    let terminal: TerminalSink

    public init(session: Session = Session(), sink: TerminalSink = TerminalSink()) {
        self.session = session
        self.terminal = sink
    }

    /// The notebook at `path`, or nil after saying why it cannot be read.
    private func read(_ path: String) -> NotebookDocument? {
        do {
            if let problem = FileProblem.unreadable(path) { throw Unreadable(problem: problem) }
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return try NotebookDocument.parse(text)
        } catch let error as NotebookDocument.SyntaxError {
            terminal.error("\(path):\(error.description)")
        } catch let error as Unreadable {
            terminal.error(tr("error: cannot read \(path): \(error.problem)"))
        } catch {
            terminal.error(tr("error: cannot read \(path): \(FileProblem(error))"))
        }
        return nil
    }

    /// `caderno run FILE --params`: what -P can set, with each default and its kind.
    public func listParameters(file path: String) -> Int32 {
        guard let document = read(path) else { return 1 }
        guard !document.parameters.isEmpty else {
            terminal.emit(.note(tr("\((path as NSString).lastPathComponent) has no parameters.")))
            return 0
        }
        terminal.emit(.table(Table(headers: [tr("parameter"), tr("default"), tr("takes")], rows: document.parameters.sorted { $0.key < $1.key }.map {
            [$0.key, $0.value, trText(NotebookDocument.ParameterKind(default: $0.value).rawValue)]
        })))
        terminal.emit(.note(tr("Set one with -P, e.g. caderno run \(path) -P \(document.parameters.keys.sorted()[0])=\(document.parameters.sorted { $0.key < $1.key }[0].value)")))
        return 0
    }

    /// Reads and replays `path`; `overrides` replace parameter defaults. Returns the exit status.
    public func run(file path: String, overrides: [String: String] = [:], options: Options = Options()) -> Int32 {
        guard let document = read(path) else { return 1 }
        // The notebook's own language (its recorded outputs are in it), unless --lang says otherwise.
        let language = options.language ?? document.language.flatMap(Language.init(code:)) ?? Language.current
        // Relative paths start at the notebook's folder, and writes stay there (see `WritePolicy`).
        let folder = ((path as NSString).deletingLastPathComponent as NSString).isAbsolutePath
            ? (path as NSString).deletingLastPathComponent : session.workingDirectory + "/" + (path as NSString).deletingLastPathComponent
        session.notebookDirectory = (folder as NSString).standardizingPath
        session.outputDirectory = options.outputDirectory.map { ($0 as NSString).isAbsolutePath ? $0 : session.workingDirectory + "/" + $0 }
        session.writePolicy = options.writesAnywhere ? .anywhere : .inside([session.outputDirectory ?? session.notebookDirectory!])
        return Language.$current.withValue(language) { run(document, path: path, overrides: overrides, options: options) }
    }

    private func run(_ document: NotebookDocument, path: String, overrides: [String: String], options: Options) -> Int32 {
        if let unknown = overrides.keys.sorted().first(where: { document.parameters[$0] == nil }) {
            let known = document.parameters.keys.sorted()
            let hint = suggestion(for: unknown, among: known).map { tr(" (did you mean '\($0)'?)") }
                ?? (known.isEmpty ? tr(" (it has none)") : tr(" (it has \(known.joined(separator: ", ")))"))
            terminal.error(tr("error: \(path) has no parameter '\(unknown)'\(hint)"))
            return 1
        }
        for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
            // A value is one token: `-P "lr=0.5 optimizer=adam"` must not slip an option into a command.
            if value.isEmpty || value.contains(where: { $0.isWhitespace || "\"'#=".contains($0) }) || value.contains("${") {
                terminal.error(tr("error: -P \(name)=\(value): a parameter's value is one word or number, without spaces, quotes, '#' or '='"))
                return 1
            }
            if let problem = NotebookDocument.parameterProblem(value, default: document.parameters[name]!) {
                terminal.error(tr("error: -P \(name)=\(value): \(problem)"))
                return 1
            }
        }
        if options.mode != .replay, !overrides.isEmpty,
           let recorded = document.cells.first(where: { $0.output != nil && $0.options["output"] != "ignore" }) {
            terminal.error(tr("\(path):\(recorded.fenceLine): error: the recorded outputs are for the notebook's own parameters, so ")
                           + tr("\(options.mode == .check ? "--check" : "--update") cannot take -P (mark a cell '#| output: ignore' to leave it out)"))
            return 1
        }
        return run(document, file: path, parameters: document.parameters.merging(overrides) { $1 }, options: options)
    }

    public func run(_ document: NotebookDocument, file: String, parameters: [String: String] = [:], options: Options = Options()) -> Int32 {
        session.parameters = parameters
        let recorder = RunRecorder()
        // A check or an update shows only what goes wrong, and progress while it trains.
        let events = FanOut([options.mode == .replay ? terminal : TerminalAlerts(terminal), recorder])
        if let title = document.title { events.handle(.prose(["# " + title])) }
        var fresh: [Int: [String]] = [:]
        var (matched, differing, unrecorded) = (0, 0, 0)
        var stepper = options.step && options.mode == .replay ? Stepper(session: session, terminal: terminal) : nil
        for (index, cell) in document.cells.enumerated() {
            // Prose before this cell, then the cell.
            for part in prose(before: index, in: document) { events.handle(.prose(part)) }
            switch stepper?.pause(before: cell, number: index + 1, of: document.cells.count) {
            case .quit?: return 0
            case .runToEnd?: stepper = nil
            case .run?, nil: break
            }
            guard run(cell, file: file, events: events, stepper: stepper), let done = recorder.record.cells.last else { return 1 }
            if session.wantsToQuit { break }
            guard cell.options["output"] != "ignore" else { continue }
            let actual = done.recordedText
            let check = OutputCheck(tolerance: cell.options["tolerance"].flatMap(Double.init) ?? document.tolerance ?? OutputCheck.defaultTolerance)
            guard let recorded = cell.output?.map(\.text) else {
                unrecorded += 1
                if !actual.isEmpty { fresh[index] = actual }
                continue
            }
            if check.matches(recorded: recorded, actual: actual) {
                matched += 1
                continue
            }
            differing += 1
            fresh[index] = actual
            if options.mode == .check {
                let first = cell.output?.first?.number ?? cell.fenceLine
                terminal.error([tr("\(file):\(first): error: the output of the cell at line \(cell.fenceLine) differs from its recording"),
                                tr("--- recorded"), tr("+++ this run")].joined(separator: "\n") + "\n"
                               + check.diff(recorded: recorded, actual: actual).joined(separator: "\n"))
            }
        }
        for part in prose(before: document.cells.count, in: document) where !session.wantsToQuit { events.handle(.prose(part)) }

        if let export = options.export {
            // A notebook exports as itself with fresh recordings; other formats from the record.
            let outputs = Dictionary(uniqueKeysWithValues: zip(document.cells, recorder.record.cells).enumerated().compactMap { index, pair in
                pair.0.options["output"] == "ignore" ? nil : (index, pair.1.recordedText)
            })
            let parts = Array(recorder.record.parts.dropFirst(document.title == nil ? 0 : 1))   // the title is the export's own
            let transcript = Transcript(title: document.title ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension,
                                        origin: tr("Replayed \(Self.today()) by Caderno \(cadernoVersion) from \((file as NSString).lastPathComponent)"),
                                        parts: parts)
            guard let format = ExportFormat(path: export) else {
                terminal.error(tr("error: --export takes a .nb, .md, .html or .ipynb file, got '\(export)'"))
                return 1
            }
            let files = format == .nb ? [(export, document.recording(outputs).text)] : Exporter.files(transcript, as: format, path: export)
            do {
                for file in files { try AtomicFile.write(Data(file.1.utf8), to: file.0) }
            } catch {
                terminal.error("error: " + tr(error: error))
                return 1
            }
            terminal.write(tr("Exported \(file) to \(export)\(files.count > 1 ? tr(" (and \(files.count - 1) picture\(files.count == 2 ? "" : "s") beside it)") : "").\n"))
        }
        switch options.mode {
        case .replay:
            return 0
        case .check:
            let summary = tr("\(file): \(matched) cell\(matched == 1 ? "" : "s") match\(matched == 1 ? "es" : "") the recorded output")
                + (differing > 0 ? ", \(differing) differ\(differing == 1 ? "s" : "")" : "")
                + (unrecorded > 0 ? tr(", \(unrecorded) ha\(unrecorded == 1 ? "s" : "ve") none recorded (--update records it)") : "")
            differing > 0 ? terminal.error(summary) : terminal.write(summary + "\n")
            return differing > 0 ? 1 : 0
        case .update:
            guard !fresh.isEmpty else {
                terminal.write(tr("\(file): every recorded output matches; nothing to update.\n"))
                return 0
            }
            do {
                try AtomicFile.write(Data(document.recording(fresh).text.utf8), to: file)
            } catch {
                terminal.error("error: " + tr(error: error))
                return 1
            }
            terminal.write(tr("\(file): recorded the output of \(fresh.count) cell\(fresh.count == 1 ? "" : "s").\n"))
            return 0
        }
    }

    /// 2026-11-24
    static func today() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }

    /// The prose parts that stand before cell `index` (after the one before it), blank ones left out.
    private func prose(before index: Int, in document: NotebookDocument) -> [[String]] {
        var cells = 0, result: [[String]] = []
        for part in document.parts {
            switch part {
            case .cell: cells += 1
            case .prose(let lines) where cells == index && !lines.allSatisfy(\.isBlank):
                // `${epochs}` in prose too, so "-P epochs=1" does not leave "thirty passes" in the text.
                result.append(lines.map { Parser.substituteKnown($0.text, parameters: session.parameters) })
            case .prose: break
            }
            if cells > index { break }
        }
        return result
    }

    private func run(_ cell: NotebookDocument.Cell, file: String, events: RunSink, stepper: Stepper? = nil) -> Bool {
        let expectsError = cell.options["error"] == "expected"
        let output = EventOutput(events)
        var failed = false
        events.handle(.cellStarted(options: cell.options))
        defer { events.handle(.cellEnded) }
        for line in cell.commands where !line.text.trimmingCharacters(in: .whitespaces).isEmpty {
            // The line as it runs, parameters filled in (a bad one is reported just below).
            let shown = (try? Parser.substitute(line.text, parameters: session.parameters)) ?? line.text
            events.handle(.command(shown, shown: cell.options["echo"] != "false"))
            do {
                try session.execute(line.text, output: output)
                if stepper?.takeInterrupt() == true { break }   // Ctrl-C: back to the pause
            } catch {
                let message = (error as? CommandError)?.description ?? "error: " + tr(error: error)
                if expectsError {
                    events.handle(.error(message, expected: true))
                    failed = true
                    continue
                }
                events.handle(.error("\(file):\(line.number): \(message)", expected: false))
                return false
            }
        }
        if expectsError && !failed {
            events.handle(.error(tr("\(file):\(cell.fenceLine): error: this cell is marked '#| error: expected', but every command in it ran"),
                                 expected: false))
            return false
        }
        return true
    }
}

/// During a check or an update: only unexpected errors and live progress reach the terminal.
final class TerminalAlerts: RunSink {
    let terminal: TerminalSink
    init(_ terminal: TerminalSink) { self.terminal = terminal }

    func handle(_ event: RunEvent) {
        switch event {
        case .error(_, expected: false), .progress: terminal.handle(event)
        default: break
        }
    }
}

extension TerminalSink: RunSink {
    public func handle(_ event: RunEvent) {
        switch event {
        case .prose(let lines):
            write(ProseRenderer(renderer).render(lines) + "\n\n")
        case .cellStarted:
            break
        case .command(let line, let shown):
            if shown { write(renderer.style("caderno> ", "2") + line + "\n") }
        case .block(let block):
            emit(block)
        case .error(let message, let expected):
            if expected { write(message + "\n") } else { error(message) }
        case .cellEnded:
            write("\n")
        case .progress(let progress):
            self.progress(progress)
        }
    }
}

/// A notebook path that is not a plain file (a folder, a pipe), found before reading it.
private struct Unreadable: Error {
    let problem: Message
}
