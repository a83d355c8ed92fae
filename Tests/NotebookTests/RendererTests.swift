import Foundation
import Testing
@testable import Notebook

@Suite struct TerminalRendererTests {
    let table = Table(headers: ["name", "count"], rows: [["a", "1"], ["bbb", "1,000"]], alignments: [.left, .right], footer: ["total 1,001"])

    @Test func tablesAlignAndFallBackToASCII() {
        #expect(TerminalRenderer().render(table) == "name   count\n────────────\na          1\nbbb    1,000\n────────────\ntotal 1,001")
        #expect(TerminalRenderer(unicode: false).render(table).contains("------------"))
    }

    @Test func colourOnlyWhenAsked() {
        #expect(TerminalRenderer(color: true).render(.note("hint")) == "\u{1B}[2mhint\u{1B}[0m")
        #expect(TerminalRenderer(color: false).render(.note("hint")) == "hint")
        #expect(TerminalRenderer(color: true).errorText("error: bad\n  x\n  ^") == "\u{1B}[1;31merror:\u{1B}[0m bad\n  x\n\u{1B}[32m  ^\u{1B}[0m")
    }

    @Test func environmentDecidesColourAndUnicode() {
        #expect(TerminalRenderer.forStandardOutput(environment: ["TERM": "xterm"], isTerminal: true).color)
        #expect(!TerminalRenderer.forStandardOutput(environment: ["TERM": "xterm", "NO_COLOR": "1"], isTerminal: true).color)
        #expect(!TerminalRenderer.forStandardOutput(environment: ["TERM": "dumb"], isTerminal: true).color)
        #expect(!TerminalRenderer.forStandardOutput(environment: ["TERM": "xterm"], isTerminal: false).color)
        #expect(!TerminalRenderer.forStandardOutput(environment: ["TERM": "dumb"]).unicode)
        #expect(!TerminalRenderer.forStandardOutput(environment: ["TERM": "xterm", "LANG": "C"]).unicode)
        #expect(TerminalRenderer.forStandardOutput(environment: ["TERM": "xterm", "LANG": "pt_BR.UTF-8"]).unicode)
    }

    @Test func progressFitsTheWidth() {
        let progress = Progress(label: "Epoch 3/30", done: 400, total: 800, detail: "loss 0.2113", secondsLeft: 1.5)
        let line = TerminalRenderer(width: 80).render(progress)
        #expect(line.hasPrefix("Epoch 3/30 ━━━━━━━━━━━━━━━"))
        #expect(line.hasSuffix(" 400/800 · loss 0.2113 · ETA 1.50s"))
        #expect(line.count <= 80)
        // 60 columns leave a 10-cell bar, half of it done, and three columns free for the "^C" echo.
        #expect(TerminalRenderer(width: 60, unicode: false).render(progress).hasPrefix("Epoch 3/30 [=====     ] 400/800"))
        // A sweep's long detail gives way, so the line never wraps (a wrapped line cannot be redrawn in place).
        let sweep = Progress(label: "Sweep", done: 30808, total: 151920, detail: "lr=0.01 epoch 10/30 · lr=0.1 epoch 10/30", secondsLeft: 15)
        for width in [40, 60, 80] {
            let drawn = TerminalRenderer(width: width, unicode: false).render(sweep)
            #expect(drawn.count <= width - 3, "\(width): \(drawn)")
            #expect(drawn.hasSuffix("ETA 15s"))
        }
        #expect(TerminalRenderer(width: 60, unicode: false).render(sweep).contains("· lr=0.01 epoc… · ETA 15s"))
        #expect(TerminalRenderer(width: 120, unicode: false).render(sweep).contains("· lr=0.01 epoch 10/30 · lr=0.1 epoch 10/30 · ETA"))
    }

    @Test func progressIsDrawnOnOneLineAndClearedBeforeOutput() {
        var written = ""
        let sink = TerminalSink(renderer: TerminalRenderer(width: 60, unicode: false), showsProgress: true,
                                standardOutput: { written += $0 }, standardError: { _ in })
        sink.progress(Progress(label: "Epoch 1/2", done: 1, total: 4, detail: "loss 1.0000", secondsLeft: 3))
        sink.progress(Progress(label: "Epoch 1/2", done: 2, total: 4, detail: "loss 0.9000", secondsLeft: 2))   // within 100 ms: skipped
        sink.progress(Progress(label: "Epoch 1/2", done: 4, total: 4, detail: "loss 0.5000", secondsLeft: 0))   // the last: always drawn
        sink.emit(.text("Epoch 1/2 · done"))
        let parts = written.components(separatedBy: "\r\u{1B}[2K")
        #expect(parts.count == 4, "two draws, then a clear before the text")
        #expect(parts[1].hasPrefix("Epoch 1/2 [") && parts[1].hasSuffix(" 1/4 · loss 1.0000 · ETA 3.00s"))
        #expect(parts[2].contains(" 4/4 · loss 0.5000"))
        #expect(parts[3] == "Epoch 1/2 · done\n")
        // The terminal's own echo of a Ctrl-C ("^C", where the cursor was) is cleared too, so the
        // next block starts at the first column: before every block, not only after progress.
        written = ""
        sink.emit(.text("Interrupted"))
        #expect(written == "\r\u{1B}[2KInterrupted\n")
        var quiet = ""
        let piped = TerminalSink(renderer: TerminalRenderer(), showsProgress: false, standardOutput: { quiet += $0 }, standardError: { _ in })
        piped.progress(Progress(label: "Epoch 1/2", done: 1, total: 4, detail: "", secondsLeft: nil))
        #expect(quiet.isEmpty, "no progress when the output is not a terminal")
        piped.emit(.text("Interrupted"))
        #expect(quiet == "Interrupted\n", "and no terminal codes")
    }

    /// Without colour the bar's done and to-do parts differ in shape (one colour cannot tell them apart).
    @Test func progressBarWithoutColour() {
        let progress = Progress(label: "Epoch 1/2", done: 1, total: 2, detail: "", secondsLeft: nil)
        let plain = TerminalRenderer(width: 60, color: false).render(progress)
        #expect(plain.contains("━━━━━━━━━━━━━━━───────────────"), "\(plain)")
        #expect(TerminalRenderer(width: 60, color: true).render(progress).contains("\u{1B}[2m━━━"))
    }

    /// Messages fold at spaces; a line in columns continues under its last column.
    @Test func textFoldsAtWordsWithAHangingIndent() {
        let narrow = TerminalRenderer(width: 30)
        let message = "Compiled: Adam (lr 0.001) · loss cross-entropy of the predicted probabilities."
        let folded = narrow.render(.text(message)).split(separator: "\n").map(String.init)
        #expect(folded.allSatisfy { $0.count <= 30 }, "\(folded)")
        #expect(folded.joined(separator: " ") == message, "words are not cut")
        let listed = narrow.render(.text("  train    fit the compiled model on the training set")).split(separator: "\n")
        #expect(listed == ["  train    fit the compiled", "           model on the", "           training set"])
        #expect(TerminalRenderer(width: 30, wraps: false).render(.text(message)) == message)
        #expect(narrow.render(.fields([Field("loss", "0.2113 · accuracy 0.9391 · over 10,000 images")])) ==
                "loss  0.2113 · accuracy 0.9391\n      · over 10,000 images")
        let error = narrow.errorText("error: no such file: /a/rather/long/path/to/a/model.safetensors\n  load x\n       ^")
        #expect(error.split(separator: "\n").allSatisfy { $0.count <= 30 })
        #expect(error.hasSuffix("\n  load x\n       ^"), "the caret stays under its token")
    }

    @Test func tablesFoldTheirLastColumn() {
        let help = Table(headers: ["option", "value", "default", ""],
                         rows: [["lr", "X", "0.01", "the learning rate: how far each step goes along the gradient"]])
        let lines = TerminalRenderer(width: 60).render(help).split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.count <= 60 }, "\(lines)")
        #expect(lines.count == 4 && lines[0].hasSuffix("default"), "one header line, the row on two")
        #expect(lines[3].hasPrefix(String(repeating: " ", count: 26)) && lines[3].hasSuffix("gradient"))
    }

    @Test func pictureTitlesFoldAtWords() {
        let title = "Test image 0 (a 7) after conv2d_1: 4 of 64 maps of 11×11, each scaled to its largest"
        let grid = ImageGrid(title: title, columns: 4, images: [.init(width: 2, height: 2, pixels: [0, 1, 1, 0], caption: "1")])
        let lines = TerminalRenderer(width: 60).render(.images(grid)).split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.count <= 60 }, "\(lines)")
        #expect(lines[0].hasSuffix("11×11,") && lines[1] == "each scaled to its largest", "\(lines)")
        let empty = TerminalRenderer(width: 30).render(.images(ImageGrid(title: title, columns: 1, images: [])))
        #expect(empty.split(separator: "\n").allSatisfy { $0.count <= 30 } && empty.hasSuffix("(no images)"))
    }

    @Test func durations() {
        #expect(formatDuration(0.414) == "0.41s")
        #expect(formatDuration(42) == "42s")
        #expect(formatDuration(75) == "1m15s")
    }
}

@Suite struct CompleterTests {
    let completer = Completer(workingDirectory: "/nonexistent")

    @Test func commandNamesThenOptionsThenValues() {
        #expect(completer.complete("tra").candidates == ["trace", "train"])
        #expect(completer.complete("trai").candidates == ["train"])
        #expect(completer.complete("s").candidates == ["save", "seed", "show", "split", "summary", "sweep"])
        #expect(completer.complete("train epo").candidates == ["epochs="])
        #expect(completer.complete("train ").candidates == ["batch=", "early-stop=", "epochs=", "shuffle=", "validation="])
        #expect(completer.complete("train epochs=3 ").candidates.contains("epochs=") == false)
        #expect(completer.complete("compile optimizer=a").candidates == ["optimizer=adam"])
        #expect(completer.complete("compile nesterov=").candidates == ["nesterov=false", "nesterov=true"])
        #expect(completer.complete("load f").candidates == ["fashion-mnist"])
        #expect(completer.complete("load mnist ").candidates == ["dir=", "limit=", "test-limit="])
        #expect(completer.complete("add dense 10 ").candidates == ["activation=", "init="])
        #expect(completer.complete("help tr").candidates == ["trace", "train"])
        #expect(completer.complete("nonsense ").candidates.isEmpty)
    }

    @Test func filePaths() throws {
        let directory = try TemporaryDirectory()
        directory.write("runs/a.nb", Data())
        directory.write("runs/b.nb", Data())
        directory.write("readme.md", Data())
        let completer = Completer(workingDirectory: directory.path)
        #expect(completer.complete("load idx r").candidates == ["readme.md", "runs/"])
        #expect(completer.complete("load idx runs/").candidates == ["runs/a.nb", "runs/b.nb"])
        #expect(completer.complete("load mnist dir=ru").candidates == ["dir=runs/"])
        #expect(commonPrefix(["runs/a.nb", "runs/b.nb"]) == "runs/")
    }

    @Test func aListingFitsTheTerminalAndShowsPathsByTheirLastPart() {
        let notebooks = ["01-mlp-sgd.nb", "02-mlp-from-scratch.nb", "03-cnn-keras.nb", "04-cnn-step-by-step.nb",
                         "05-learning-rates.nb", "06-fashion-mnist.nb"]
        let listing = completionListing(notebooks.map { "notebooks/en/" + $0 } + ["notebooks/en/old/"], width: 60)
        // The longest name (22) and a gap of two: two columns at 60, read down then across.
        #expect(listing == """
            01-mlp-sgd.nb           05-learning-rates.nb
            02-mlp-from-scratch.nb  06-fashion-mnist.nb
            03-cnn-keras.nb         old/
            04-cnn-step-by-step.nb
            """)
        let wide = completionListing(notebooks, width: 120)
        #expect(wide.split(separator: "\n").count == 2)
        #expect(wide.split(separator: "\n").allSatisfy { $0.count <= 120 })
        #expect(completionListing(["trace", "train"], width: 60) == "trace  train")
        // A name wider than the terminal still gets a line of its own, whole.
        #expect(completionListing(["a", String(repeating: "b", count: 70)], width: 60) == "a\n" + String(repeating: "b", count: 70))
    }
}
