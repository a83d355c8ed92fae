import Foundation

/// Writes blocks to standard output as they come; on a terminal, draws live progress on one
/// line (redrawn at most every 100 ms) and clears the line before the next block.
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

    /// On a terminal the line is cleared before every block, not only after live progress: the
    /// terminal itself echoes a Ctrl-C (or keys typed while training runs) where the cursor is,
    /// and a block written after that echo starts two columns late and folds past the edge
    /// ("keeps eve/ry" at 60 columns). The echo is replaced by what the Ctrl-C did.
    private func clearProgress() {
        guard showsProgress else { return }
        write("\r\u{1B}[2K")
        progressShown = false
    }
}
