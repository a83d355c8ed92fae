import Foundation

/// Writes blocks to standard output as they come; on a terminal, draws live progress on one
/// line (redrawn at most every 100 ms, cleared before the next block).
public final class TerminalSink: OutputSink {
    public let renderer: TerminalRenderer
    public let showsProgress: Bool
    private let standardOutput: (String) -> Void
    private let standardError: (String) -> Void
    private var progressShown = false
    private var lastDraw: UInt64 = 0

    /// `standardOutput` and `standardError` receive the text (tests capture it); by default the
    /// process's own streams, unbuffered.
    public init(renderer: TerminalRenderer = .forStandardOutput(), showsProgress: Bool = isatty(STDOUT_FILENO) == 1,
                standardOutput: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) },
                standardError: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.renderer = renderer
        self.showsProgress = showsProgress
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    public func emit(_ block: Block) {
        clearProgress()
        write(renderer.render(block) + "\n")
    }

    public func progress(_ progress: Progress?) {
        guard showsProgress else { return }
        guard let progress else { clearProgress(); return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw > 100_000_000 || progress.done == progress.total else { return }
        lastDraw = now
        write("\r\u{1B}[2K" + renderer.render(progress))
        progressShown = true
    }

    /// An error (or warning) on standard error, coloured when standard output is.
    public func error(_ text: String) {
        clearProgress()
        standardError(renderer.errorText(text) + "\n")
    }

    public func write(_ text: String) {
        standardOutput(text)
    }

    private func clearProgress() {
        guard progressShown else { return }
        write("\r\u{1B}[2K")
        progressShown = false
    }
}
