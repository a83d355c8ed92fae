import CEditLine
import Foundation

/// The read-eval-print loop. On a terminal: libedit, a prompt, history, completion; Ctrl-C
/// clears the line or stops training. Piped: no prompt, each command echoed before its output
/// (a transcript), and the first error ends the run with status 1 unless `keepGoing`.
public final class REPL {
    public let session: Session
    let sink: TerminalSink

    public init(session: Session = Session(), sink: TerminalSink = TerminalSink()) {
        self.session = session
        self.sink = sink
    }

    /// Runs until `quit`, end of input, or (piped, without `keepGoing`) an error. Returns the exit status.
    public func run(keepGoing: Bool = false) -> Int32 {
        isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 ? runInteractive() : runPiped(keepGoing: keepGoing)
    }

    func runInteractive() -> Int32 {
        guard let editor = LineEditor(prompt: "caderno> ", historyPath: LineEditor.defaultHistoryPath(),
                                      completer: Completer(workingDirectory: session.workingDirectory)) else {
            sink.error(tr("error: could not start the line editor; reading plain lines"))
            return runPiped(keepGoing: true)
        }
        session.interruptRequested = { caderno_take_interrupt() != 0 }
        sink.write(sink.renderer.wrap(tr("Caderno — type 'help' for the commands, Tab to complete, Ctrl-D to leave.")) + "\n")
        while !session.wantsToQuit {
            switch editor.read() {
            case .endOfInput:
                sink.write("\n")
                return 0
            case .interrupted:
                break   // the editor has shown ^C and ended the line; a fresh prompt follows
            case .line(let line):
                editor.remember(line)
                _ = caderno_take_interrupt()   // a Ctrl-C typed before Enter does not stop what comes next
                execute(line)
                if session.takeClearScreen() { sink.write("\u{1B}[H\u{1B}[2J\u{1B}[3J") }
            }
        }
        return 0
    }

    func runPiped(keepGoing: Bool) -> Int32 {
        var failed = false
        while !session.wantsToQuit, let line = readLine() {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            sink.handle(.command(line, shown: true))
            let succeeded = execute(line)
            _ = session.takeClearScreen()   // a transcript is not a screen
            if !succeeded {
                failed = true
                if !keepGoing { return 1 }
            }
        }
        return failed ? 1 : 0
    }

    /// Runs one line — its output and its error, if it fails, go out as run events, as a notebook
    /// replay's do; true when it succeeded.
    @discardableResult
    func execute(_ line: String) -> Bool {
        do {
            try session.execute(line, output: EventOutput(sink))
            return true
        } catch {
            sink.handle(.error((error as? CommandError)?.description ?? "error: " + tr(error: error), expected: false))
        }
        return false
    }
}
