/// What a run produces, in order. Replaying a notebook and typing in the REPL produce the same
/// events; sinks consume them — the terminal shows them as they come, a `RunRecorder` writes
/// them down for checks and exports. Progress is live only: nothing records it.
public enum RunEvent: Sendable {
    /// Markdown prose, as written.
    case prose([String])
    /// A cell begins: its options (`output: ignore` …), then its commands.
    case cellStarted(options: [String: String])
    /// A command as it runs, parameters filled in; `echo: false` cells still send it (`shown` false).
    case command(String, shown: Bool)
    case block(Block)
    /// A command's error (message, then the line with the caret), expected or not.
    case error(String, expected: Bool)
    case cellEnded
    case progress(Progress?)
}

/// Something that consumes a run's events.
public protocol RunSink: AnyObject {
    func handle(_ event: RunEvent)
}

/// A run written down: prose and cells, each cell with what its commands produced.
public struct RunRecord: Sendable {
    public struct Cell: Sendable {
        public var options: [String: String]
        public var commands: [String]
        public var outputs: [Output] = []
    }

    public enum Output: Sendable, Equatable {
        case block(Block)
        case error(String)
    }

    public enum Part: Sendable {
        case prose([String])
        case cell(Cell)
    }

    public var parts: [Part] = []

    public var cells: [Cell] {
        parts.compactMap { if case .cell(let cell) = $0 { cell } else { nil } }
    }
}

/// Records a run's events into a `RunRecord`.
public final class RunRecorder: RunSink {
    public private(set) var record = RunRecord()
    private var cell: RunRecord.Cell?

    public init() {}

    public func handle(_ event: RunEvent) {
        switch event {
        case .prose(let lines): record.parts.append(.prose(lines))
        case .cellStarted(let options): cell = RunRecord.Cell(options: options, commands: [])
        case .command(let line, _): cell?.commands.append(line)
        case .block(let block): cell?.outputs.append(.block(block))
        case .error(let message, _): cell?.outputs.append(.error(message))
        case .cellEnded:
            if let cell { record.parts.append(.cell(cell)) }
            cell = nil
        case .progress: break
        }
    }
}

extension RunRecord.Cell {
    /// The recorded form of what the cell printed: plain text at a fixed width, Unicode without
    /// colour, so a file reads the same on every terminal and diffs well.
    public var recordedText: [String] {
        outputs.flatMap { output -> [String] in
            let text = switch output {
            case .block(let block): RunRecord.recordingRenderer.render(block)
            case .error(let message): message
            }
            return text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingTrailingSpaces }
        }
    }
}

extension RunRecord {
    /// How recorded outputs are drawn: 80 columns, Unicode, no colour.
    public static let recordingRenderer = TerminalRenderer(width: 80, color: false, unicode: true, wraps: false)
}

/// Sends each event to several sinks (the terminal and a recorder, say).
public final class FanOut: RunSink {
    let sinks: [RunSink]
    public init(_ sinks: [RunSink]) { self.sinks = sinks }
    public func handle(_ event: RunEvent) { for sink in sinks { sink.handle(event) } }
}

/// What a session's commands emit, turned into run events.
final class EventOutput: OutputSink {
    let sink: RunSink
    init(_ sink: RunSink) { self.sink = sink }
    func emit(_ block: Block) { sink.handle(.block(block)) }
    func progress(_ progress: Progress?) { sink.handle(.progress(progress)) }
}

extension String {
    var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
