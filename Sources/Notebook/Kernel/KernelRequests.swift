import CEditLine
import Foundation

/// The shell channel's requests. Each returns its reply's content.
extension Kernel {
    /// Runs a cell: its lines one by one in the session. The first error is published with its
    /// caret message and ends the cell; cells queued behind it are aborted, as IPython does, so
    /// "Run All" stops at the first failing cell.
    func execute(_ request: WireMessage) -> JSONObject {
        let content = request.content
        let code = content["code"] as? String ?? ""
        let silent = content["silent"] as? Bool ?? false
        if content["store_history"] as? Bool ?? !silent {
            executionCount += 1
            history.append((executionCount, code))
        }
        if !silent { publish("execute_input", ["code": code, "execution_count": executionCount], parent: request.header) }
        _ = caderno_take_interrupt()   // an interrupt sent while the kernel was idle does not stop this cell
        let output = KernelOutput(kernel: self, parent: request.header, silent: silent)
        var payload: [Any] = []
        for line in code.split(whereSeparator: \.isNewline).map(String.init) where !stopping.load(ordering: .acquiring) {
            do {
                try session.execute(line, output: output)
                output.commandEnded()
            } catch {
                output.commandEnded()
                let message = (error as? CommandError)?.description ?? "error: " + tr(error: error)
                var failure = Exporter.jupyterError(message)
                if !silent { publish("error", failure, parent: request.header) }
                failure["status"] = "error"
                failure["execution_count"] = executionCount
                if content["stop_on_error"] as? Bool ?? true { abortQueuedCells() }
                return failure
            }
            if session.takeClearScreen() { publish("clear_output", ["wait": false], parent: request.header) }
            if session.state.wantsToQuit {
                // The front end owns the kernel's life. IPython's `ask_exit` payload ends a terminal
                // console (and its kernel); a notebook page ignores it, so the note says what to do there.
                session.state.wantsToQuit = false
                payload = [["source": "ask_exit", "keepkernel": false]]
                output.emit(.note(tr("In a notebook, the kernel stops or starts afresh from its Kernel menu (Shut Down, Restart).")))
            }
        }
        return ["status": "ok", "execution_count": executionCount, "user_expressions": JSONObject(), "payload": payload]
    }

    /// Answers `aborted` to the cells already waiting, and handles anything else that waits.
    private func abortQueuedCells() {
        while ZMQSocket.poll([shell], milliseconds: 0)[0], let frames = try? shell.receive() {
            guard let request = read(frames, channel: .shell) else { continue }
            guard request.type == "execute_request" else {
                handle(request, from: shell, channel: .shell)
                continue
            }
            publish("status", ["execution_state": "busy"], parent: request.header)
            reply(to: request, on: shell, ["status": "aborted"])
            publish("status", ["execution_state": "idle"], parent: request.header)
        }
    }

    /// Tab: the REPL's completer on the line before the cursor.
    func complete(_ content: JSONObject) -> JSONObject {
        let (line, cursor) = lineBeforeCursor(content)
        let (partial, candidates) = Completer(workingDirectory: session.workingDirectory).complete(line)
        return ["status": "ok", "matches": candidates, "cursor_start": cursor - partial.unicodeScalars.count,
                "cursor_end": cursor, "metadata": JSONObject()]
    }

    /// Shift-Tab: `help` for the command under the cursor, or for the command its line starts with.
    func inspect(_ content: JSONObject) -> JSONObject {
        let (before, cursor) = lineBeforeCursor(content)
        let code = content["code"] as? String ?? ""
        let after = String(String.UnicodeScalarView(code.unicodeScalars.dropFirst(cursor))).prefix { !$0.isNewline }
        let line = before + after
        let wordStart = before.lastIndex(where: \.isWhitespace).map { before.index(after: $0) } ?? before.startIndex
        let word = String(before[wordStart...] + after.prefix { !$0.isWhitespace }).split(separator: "=").first.map(String.init) ?? ""
        let first = line.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        guard let name = [word, first].lazy.compactMap({ Session.command(named: $0.lowercased())?.spec.name }).first else {
            return ["status": "ok", "found": false, "data": JSONObject(), "metadata": JSONObject()]
        }
        let help = RecordingSink()
        try? session.execute("help \(name)", output: help)
        let text = help.blocks.map { Self.tooltipRenderer.render($0) }.joined(separator: "\n")
        return ["status": "ok", "found": true, "data": ["text/plain": text], "metadata": JSONObject()]
    }

    /// Help drawn for a tooltip (JupyterLab's holds about 66 columns): its tables folded to fit, no colour.
    static let tooltipRenderer = TerminalRenderer(width: 64, color: false, unicode: true, wraps: true)

    /// A command is one line, so a cell is complete unless one of its lines is not a command yet.
    func isComplete(_ content: JSONObject) -> JSONObject {
        let code = content["code"] as? String ?? ""
        for line in code.split(whereSeparator: \.isNewline) {
            do { try Session.check(String(line)) } catch { return ["status": "invalid"] }
        }
        return ["status": "complete"]
    }

    /// This kernel's cells: the last `n` (tail), those from `start` to `stop` (range), or those
    /// matching a glob `pattern` (search). Session 0 is the running one, as IPython numbers it.
    func historyReply(_ content: JSONObject) -> JSONObject {
        var entries = history
        switch content["hist_access_type"] as? String ?? "tail" {
        case "range":
            let start = content["start"] as? Int ?? 0
            let stop = content["stop"] as? Int ?? Int.max
            entries = entries.filter { $0.count >= start && $0.count < stop }
        case "search":
            let pattern = content["pattern"] as? String ?? "*"
            entries = entries.filter { fnmatch(pattern, $0.code, 0) == 0 }
            if content["unique"] as? Bool ?? false {
                var seen = Set<String>()
                entries = entries.reversed().filter { seen.insert($0.code).inserted }.reversed()
            }
            if let n = content["n"] as? Int { entries = Array(entries.suffix(n)) }
        default:
            entries = Array(entries.suffix(content["n"] as? Int ?? 10))
        }
        let withOutput = content["output"] as? Bool ?? false
        return ["status": "ok", "history": entries.map { [0, $0.count, withOutput ? [$0.code, NSNull()] : $0.code] as [Any] }]
    }

    /// The line the cursor is on, up to the cursor, and the cursor's place in the whole code
    /// (Unicode scalars, as protocol 5.2 counts).
    private func lineBeforeCursor(_ content: JSONObject) -> (line: String, cursor: Int) {
        let code = content["code"] as? String ?? ""
        let cursor = min(max(content["cursor_pos"] as? Int ?? code.unicodeScalars.count, 0), code.unicodeScalars.count)
        let before = String(String.UnicodeScalarView(code.unicodeScalars.prefix(cursor)))
        let line = before.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).last.map(String.init) ?? ""
        return (line, cursor)
    }
}
