import CEditLine
import Foundation

/// `caderno run FILE.nb --step`: a pause before each cell. Enter runs the cell; any command typed
/// runs at once in the same session (with the REPL's line editing, history and completion), so a
/// student can look around mid-lesson; `continue` runs to the end; `quit` (or Ctrl-D) leaves.
/// Ctrl-C during a cell's training stops that cell and comes back to the pause.
final class Stepper {
    enum Choice {
        case run, runToEnd, quit
    }

    private let session: Session
    private let terminal: TerminalSink
    private let editor: LineEditor?
    private var interrupted = false

    init(session: Session, terminal: TerminalSink) {
        self.session = session
        self.terminal = terminal
        let interactive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        editor = interactive ? LineEditor(prompt: "step> ", historyPath: LineEditor.defaultHistoryPath(),
                                          completer: Completer(workingDirectory: session.workingDirectory)) : nil
        if editor != nil {
            session.interruptRequested = { [unowned self] in
                if caderno_take_interrupt() != 0 { interrupted = true }
                return interrupted
            }
        }
    }

    /// Whether Ctrl-C stopped the command that just ran; reading it clears it.
    func takeInterrupt() -> Bool {
        defer { interrupted = false }
        return interrupted
    }

    func pause(before cell: NotebookDocument.Cell, number: Int, of total: Int) -> Choice {
        let preview = cell.commands.map(\.text).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        terminal.write(terminal.renderer.style("── cell \(number) of \(total) (line \(cell.fenceLine)): "
                                               + preview.joined(separator: " · "), "2") + "\n")
        terminal.write(terminal.renderer.style(tr("   Enter runs it · a command runs now · continue · quit"), "2") + "\n")
        let repl = REPL(session: session, sink: terminal)
        while true {
            let line: String
            if let editor {
                switch editor.read() {
                case .endOfInput: return .quit
                case .interrupted: continue
                case .line(let text):
                    editor.remember(text)
                    _ = caderno_take_interrupt()
                    line = text
                }
            } else {
                terminal.write(tr("step> "))
                guard let text = readLine() else { return .quit }
                line = text
            }
            switch line.trimmingCharacters(in: .whitespaces).lowercased() {
            case "": return .run
            case "continue": return .runToEnd
            case "quit", "exit": return .quit
            default:
                repl.execute(line)
                _ = takeInterrupt()
                if session.wantsToQuit { return .quit }
            }
        }
    }
}
