import CEditLine
import Foundation

/// libedit on a terminal: emacs bindings, history kept in a file, Ctrl-R search, Tab completion.
final class LineEditor {
    private let editor: OpaquePointer
    private let history: OpaquePointer
    private let historyPath: String
    let completer: Completer

    enum Input {
        case line(String)
        case interrupted      // Ctrl-C at the prompt
        case endOfInput       // Ctrl-D
    }

    init?(prompt: String, historyPath: String, completer: Completer) {
        setlocale(LC_CTYPE, "")   // so libedit reads and shows UTF-8
        guard let editor = caderno_el_open("caderno", prompt),
              let history = caderno_history_open(editor, 1000) else { return nil }
        self.editor = editor
        self.history = history
        self.historyPath = historyPath
        self.completer = completer
        try? FileManager.default.createDirectory(atPath: (historyPath as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        _ = caderno_history_load(history, historyPath)
        caderno_el_set_client(editor, Unmanaged.passUnretained(self).toOpaque())
        _ = caderno_el_bind(editor, "caderno-complete", "Complete the word", "^I") { editor, _ in
            guard let editor, let client = caderno_el_client(editor) else { return UInt8(CC_ERROR) }
            return Unmanaged<LineEditor>.fromOpaque(client).takeUnretainedValue().completeWord()
        }
        caderno_install_interrupt_handler()
    }

    deinit {
        caderno_history_close(history)
        caderno_el_close(editor)
    }

    func read() -> Input {
        var count: Int32 = 0
        guard let raw = el_gets(editor, &count), count > 0 else {
            // Ctrl-C on an empty line ends it with nothing in it: that is not Ctrl-D.
            if caderno_el_take_line_interrupt(editor) != 0 { return .interrupted }
            if caderno_take_interrupt() != 0 || (count == -1 && errno == EINTR) { return .interrupted }
            return .endOfInput
        }
        _ = caderno_take_interrupt()
        if caderno_el_take_line_interrupt(editor) != 0 { return .interrupted }   // Ctrl-C: drop the line
        var line = String(cString: raw)
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    /// Adds a line to the history and saves the file at once, so nothing is lost on a crash.
    func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        _ = caderno_history_enter(history, line)
        _ = caderno_history_save(history, historyPath)
    }

    private func completeWord() -> UInt8 {
        guard let info = el_line(editor) else { return UInt8(CC_ERROR) }
        let length = info.pointee.cursor - info.pointee.buffer
        let before = String(decoding: UnsafeRawBufferPointer(start: info.pointee.buffer, count: length), as: UTF8.self)
        let (partial, candidates) = completer.complete(before)
        guard !candidates.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
        let shared = commonPrefix(candidates)
        if shared.count > partial.count {
            var insertion = String(shared.dropFirst(partial.count))
            if candidates.count == 1, !shared.hasSuffix("="), !shared.hasSuffix("/") { insertion += " " }
            _ = el_insertstr(editor, insertion)
            return UInt8(CC_REFRESH)
        }
        guard candidates.count > 1 else { return UInt8(CC_REFRESH) }
        let listing = completionListing(candidates, width: TerminalRenderer.forStandardOutput().width)
        FileHandle.standardOutput.write(Data(("\n" + listing + "\n").utf8))
        return UInt8(CC_REDISPLAY)
    }

    /// `$XDG_STATE_HOME/caderno/history`, or `~/.local/state/caderno/history`.
    static func defaultHistoryPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return state + "/caderno/history"
    }
}
