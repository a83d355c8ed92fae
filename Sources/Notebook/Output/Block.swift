/// What commands produce: structured output that renderers turn into a terminal screen,
/// Markdown or HTML. Commands never print.
public enum Block: Equatable, Sendable {
    /// A line or paragraph of plain text.
    case text(String)
    /// Secondary text: hints, what to do next (dim on a terminal).
    case note(String)
    /// Aligned "key: value" lines.
    case fields([Field])
    case table(Table)
}

public struct Field: Equatable, Sendable {
    public let key: String
    public let value: String
    public init(_ key: String, _ value: String) { self.key = key; self.value = value }
}

public struct Table: Equatable, Sendable {
    public enum Alignment: Equatable, Sendable { case left, right }

    public var headers: [String]
    public var rows: [[String]]
    public var alignments: [Alignment]
    /// Lines under the table (totals).
    public var footer: [String]

    public init(headers: [String], rows: [[String]], alignments: [Alignment]? = nil, footer: [String] = []) {
        self.headers = headers
        self.rows = rows
        self.alignments = alignments ?? headers.map { _ in .left }
        self.footer = footer
    }
}

/// Live progress while a command runs (a training epoch): shown on a terminal, never recorded.
public struct Progress: Equatable, Sendable {
    public let label: String       // "Epoch 3/30"
    public let done: Int
    public let total: Int
    public let detail: String      // "loss 0.2113"
    public let secondsLeft: Double?
}

/// Where a running command sends its output as it goes.
public protocol OutputSink: AnyObject {
    func emit(_ block: Block)
    /// Replaces the live progress line; nil clears it.
    func progress(_ progress: Progress?)
}

/// Keeps what a command emitted (for transcripts and notebooks) and passes it on.
public final class RecordingSink: OutputSink {
    public private(set) var blocks: [Block] = []
    private let next: OutputSink?

    public init(forwardingTo next: OutputSink? = nil) { self.next = next }

    public func emit(_ block: Block) {
        blocks.append(block)
        next?.emit(block)
    }

    public func progress(_ progress: Progress?) { next?.progress(progress) }
}
