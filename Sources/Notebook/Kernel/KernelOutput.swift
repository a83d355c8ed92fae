import Foundation

/// A cell's output as Jupyter shows it: each block a `display_data` (text, and SVG for pictures,
/// exactly what `export` writes into an .ipynb), and live progress as one display updated in
/// place (`display_id`), throttled, emptied when the command ends, so only the epoch lines stay.
final class KernelOutput: OutputSink {
    unowned let kernel: Kernel
    let parent: JSONObject
    let silent: Bool
    /// The progress display of the command running now, once it has shown something.
    private var progressID: String?
    private var progressShown = false
    private var lastDraw: UInt64 = 0
    static let renderer = TerminalRenderer(width: 100, color: false, unicode: true, wraps: false)
    static let interval: UInt64 = 250_000_000

    init(kernel: Kernel, parent: JSONObject, silent: Bool) {
        (self.kernel, self.parent, self.silent) = (kernel, parent, silent)
    }

    func emit(_ block: Block) {
        guard !silent else { return }
        kernel.publish("display_data", ["data": Exporter.jupyterData(.block(block)), "metadata": JSONObject(), "transient": JSONObject()],
                       parent: parent)
    }

    func progress(_ progress: Progress?) {
        guard !silent else { return }
        guard let progress else {
            // Between epochs the bar empties but keeps its place, above the epoch lines.
            if progressShown { show(["text/plain": ""]) }
            progressShown = false
            return
        }
        let now = DispatchTime.now().uptimeNanoseconds
        guard !progressShown || now - lastDraw >= Self.interval || progress.done == progress.total else { return }
        lastDraw = now
        show(["text/plain": Self.renderer.render(progress), "text/html": Self.html(progress)])
        progressShown = true
    }

    /// The command is over: its progress display, if any, is left empty and the next command gets its own.
    func commandEnded() {
        if progressShown { show(["text/plain": ""]) }
        (progressID, progressShown) = (nil, false)
    }

    private func show(_ data: JSONObject) {
        if let progressID {
            kernel.publish("update_display_data", ["data": data, "metadata": JSONObject(), "transient": ["display_id": progressID]], parent: parent)
        } else {
            let id = UUID().uuidString.lowercased()
            progressID = id
            kernel.publish("display_data", ["data": data, "metadata": JSONObject(), "transient": ["display_id": id]], parent: parent)
        }
    }

    /// A native progress bar beside the terminal line's words, in the page's font (narrower than
    /// monospace, so it stays on one line), figures in even widths so they do not jitter.
    static func html(_ progress: Progress) -> String {
        let eta = progress.secondsLeft.map { tr(" · ETA \(formatDuration($0))") } ?? ""
        let detail = progress.detail.isEmpty ? "" : " · " + progress.detail
        return "<div style=\"display: flex; align-items: center; gap: 0.6em; font-variant-numeric: tabular-nums\">"
            + "<progress value=\"\(progress.done)\" max=\"\(max(progress.total, 1))\" style=\"width: 12em; flex: none\"></progress>"
            + "<span>" + Exporter.escape("\(progress.label) · \(progress.done)/\(progress.total)\(detail)\(eta)") + "</span></div>"
    }
}
