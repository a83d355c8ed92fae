import Foundation
#if canImport(FoundationXML)
import FoundationXML   // XMLParser, on Linux (libxml2)
#endif
import Testing
@testable import Notebook

@Suite struct PictureTests {
    let chart = Chart(title: "Loss", xLabel: "epoch", yLabel: "loss",
                      series: [.init("loss", [.init(1, 1.0), .init(2, 0.5), .init(3, 0.25)]),
                               .init("val_loss", [.init(1, 0.9), .init(2, 0.6), .init(3, 0.55)])])
    let heatmap = Heatmap(title: "Confusion", rowTitle: "true", columnTitle: "predicted", rowLabels: ["a", "b"],
                          columnLabels: ["a", "b"], shades: [[1, 0], [0.25, 0.75]], cells: [["4", "0"], ["1", "3"]])
    let bars = BarChart(title: "Classes", labels: ["cat", "dog"], values: [3, 1.5], valueTexts: ["3", "1.5"], highlighted: 0)
    let grid = ImageGrid(title: "Digits", columns: 2, images: [
        .init(width: 8, height: 2, pixels: Array(repeating: [0, 1], count: 4).flatMap { $0 } + Array(repeating: [1, 0], count: 4).flatMap { $0 },
              caption: "1 → 1 99%", correct: true),
        .init(width: 8, height: 2, pixels: Array(repeating: 1, count: 8) + Array(repeating: 0, count: 8), caption: "7 → 1 60%", correct: false),
    ])

    @Test func brailleChartWithAxesAndLegend() {
        let text = TerminalRenderer(width: 60).render(.chart(chart))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "Loss")
        // Ticks at round numbers in one format, inside a padded range: no curve runs along the frame.
        let labels = lines.compactMap { line in line.firstIndex(of: "┤").map { line[..<$0].trimmingCharacters(in: .whitespaces) } }
        #expect(labels == ["1.0", "0.8", "0.6", "0.4"], "\(labels)")
        #expect(text.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) }, "braille dots")
        // Without colour the two curves differ by their marks, named in the legend.
        #expect(lines.last!.contains("━l━ loss") && lines.last!.contains("━v━ val_loss"), "\(lines.last!)")
        #expect(text.contains("l") && lines.dropFirst().dropLast(3).joined().contains("v"))
        #expect(lines.allSatisfy { $0.count <= 60 })
        // Epochs: whole-number ticks only (never 1.50), and one epoch is a marker, not a lone dot.
        var epochs = chart
        epochs.wholeNumbersOnX = true
        let ticks = TerminalRenderer(width: 60).render(.chart(epochs)).split(separator: "\n").dropLast(2).last!
        #expect(ticks.split(separator: " ") == ["1", "2", "3"], "\(ticks)")
        let one = Chart(title: "One", xLabel: "epoch", yLabel: "loss", series: [.init("loss", [.init(1, 0.3)])], wholeNumbersOnX: true)
        let drawn = TerminalRenderer(width: 60, color: true).render(.chart(one))
        #expect(drawn.contains("●"))
        #expect(drawn.split(separator: "\n").dropLast(2).last!.trimmingCharacters(in: .whitespaces) == "1")
    }

    /// ROC: a square, the chance diagonal, and the table's AUC digits in the legend.
    @Test func rocIsASquareWithItsChanceLine() {
        let roc = Chart(title: "ROC", xLabel: "false positive rate", yLabel: "true positive rate",
                        series: (0..<3).map { .init("\($0) (AUC 0.9998)", [.init(0, 0), .init(0.01, 0.97), .init(1, 1)]) }, unitSquare: true)
        let lines = TerminalRenderer(width: 100).render(.chart(roc)).split(separator: "\n").map(String.init)
        let plotRows = lines.filter { $0.contains("┤") || $0.contains("│") }
        let plotWidth = plotRows[0].split(separator: "┤", maxSplits: 1)[1].count
        #expect(plotRows.count * 2 == plotWidth, "twice as many columns as rows: square on a terminal")
        #expect(lines.contains { $0.contains("┅┅ chance") })
        #expect(lines.contains { $0.contains("━0━ 0 (AUC 0.9998)") }, "marks are the class digits")
        #expect(plotRows.last!.hasPrefix("0.0 ┤") && plotRows.first!.hasPrefix("1.0 ┤"))
        let svg = SVGRenderer().render(.chart(roc))!
        #expect(svg.contains("stroke-dasharray=\"4 4\"") && svg.contains(">chance</text>"))
        #expect(svg.contains(">0.0</text>") && svg.contains(">1.0</text>") && !svg.contains(">1</text>"), "one number format")
    }

    @Test func asciiChartWhenTheTerminalCannotShowUnicode() {
        let text = TerminalRenderer(width: 60, unicode: false).render(.chart(chart))
        #expect(text.allSatisfy { $0.isASCII })
        #expect(text.contains("*") && text.contains("o"))
        #expect(text.contains("** loss") && text.contains("oo val_loss"))
    }

    @Test func heatmapBarsAndImagesInText() {
        #expect(TerminalRenderer().render(.heatmap(heatmap)) == "Confusion — rows: true, columns: predicted\n    a  b\na   4  0\nb   1  3")
        let colored = TerminalRenderer(color: true).render(.heatmap(heatmap))
        #expect(colored.contains("\u{1B}[48;5;17;38;5;231m  4\u{1B}[0m"), "the full cell is darkest, with white text")
        let barText = TerminalRenderer(width: 40).render(.bars(bars)).split(separator: "\n").map(String.init)
        #expect(barText[1].hasPrefix("cat │████"))
        #expect(barText[1].hasSuffix(" 3") && barText[2].hasSuffix(" 1.5"))
        let images = TerminalRenderer(width: 80, unicode: false).render(.images(grid))
        // One text row per two pixel rows: the mean of (0, 1) and of (1, 0) is 0.5, the middle of the ramp.
        #expect(images == "Digits\n++++++++     ++++++++     \n1 → 1 99% ok 7 → 1 60% X  ")
        // A 3×3 kernel is too small to read one character a pixel: each pixel is repeated three times.
        let kernel = ImageGrid(title: "k", columns: 1, images: [.init(width: 3, height: 3, pixels: [1, 0, -1, 1, 0, -1, 1, 0, -1], caption: "1")],
                               signed: true)
        let drawn = TerminalRenderer(width: 80, unicode: false).render(.images(kernel)).split(separator: "\n").map(String.init)
        #expect(drawn[1] == "(# positive · ~ negative · blank: 0)")
        #expect(drawn[2] == "###   ~~~  " && drawn.count == 2 + 5 + 1)
        let half = TerminalRenderer(width: 80, color: true).render(.images(grid))
        #expect(half.contains("\u{1B}[38;5;232;48;5;255m▀"), "black over white: the top pixel is the foreground")
        #expect(half.contains("\u{1B}[31m"), "a wrong prediction in red")
    }

    /// `show errors n=9` at 110×45 used to be 48 rows: its top scrolled away. It now fits, at half size.
    @Test func imageGridsFitTheScreensHeight() {
        let digit = ImageGrid.Image(width: 28, height: 28, pixels: (0..<784).map { Float($0 % 28) / 27 },
                                    caption: "true 3 · predicted 5 (87%)", correct: false)
        let grid = ImageGrid(title: "Errors", columns: 10, images: Array(repeating: digit, count: 9))
        let tall = TerminalRenderer(width: 110).render(.images(grid)).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(tall.count >= 45)
        let fitted = TerminalRenderer(width: 110, height: 45).render(.images(grid)).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(fitted.count < 44, "\(fitted.count) rows")
        #expect(fitted.filter { $0.contains("true 3") }.count == tall.filter { $0.contains("true 3") }.count, "the same rows of images")
        #expect(TerminalRenderer(width: 110, height: 100).render(.images(grid)).split(separator: "\n", omittingEmptySubsequences: false).count == tall.count)
    }

    @Test(arguments: ["chart", "heatmap", "bars", "images"])
    func svgDocumentsAreWellFormed(_ kind: String) throws {
        let block: Block = switch kind {
        case "chart": .chart(chart)
        case "heatmap": .heatmap(heatmap)
        case "bars": .bars(bars)
        default: .images(grid)
        }
        let svg = try #require(SVGRenderer().render(block))
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(SVGRenderer().render(.text("no picture")) == nil)
    }

    @Test func svgDrawsEverySeriesAndEscapesText() throws {
        let svg = try #require(SVGRenderer().render(.chart(Chart(title: "a < b & c", xLabel: "x", yLabel: "y", series: chart.series))))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.contains("a &lt; b &amp; c"))
        let cells = try #require(SVGRenderer().render(.heatmap(heatmap)))
        #expect(cells.components(separatedBy: "<rect").count - 1 == 1 + 4, "the background and one square per cell")
    }
}

@Suite struct EvaluationCommandTests {
    /// A trained model on the tiny dataset, with a validation split.
    func trained() throws -> SessionHarness {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "split validation=0.2", "build mlp 36-8-3", "compile lr=0.1", "train epochs=6 batch=8")
        return h
    }

    @Test func metricsReportAndConfusionMatrix() throws {
        let h = try trained()
        let text = try h.run("metrics")
        #expect(text.hasPrefix("accuracy   100.00% of 30 test images\nprecision  100.00% (weighted average)"))
        #expect(text.contains("           0      1.0000   1.0000     1.0000        10"))
        #expect(text.contains("weighted avg      1.0000   1.0000     1.0000        30"))
        #expect(text.contains("Confusion matrix (test) — rows: true, columns: predicted\n     0   1   2\n0   10   0   0"))
        #expect(try h.run("metrics on=validation average=macro").contains("(macro average)"))
    }

    @Test func rocTableAndCurves() throws {
        let h = try trained()
        let text = try h.run("roc")
        #expect(text.contains("macro avg   1.0000") && text.contains("micro avg   1.0000"))
        #expect(text.contains("ROC curves, one class against the rest (test)"))
    }

    @Test func plotsNeedWhatTheyDraw() throws {
        let h = try SessionHarness()
        try h.run("load idx .")
        #expect(h.failure("plot loss") == "no training yet — train first, e.g. train epochs=5")
        #expect(h.failure("plot confusion") == "no model yet — try: build mlp 784-128-64-10")
        #expect(try h.run("plot classes").hasPrefix("Images per class (train, 90)\n0 │"))
        try h.run("normalize", "build mlp 36-8-3", "compile lr=0.1", "train epochs=2 batch=16")
        #expect(try h.run("plot loss").hasPrefix("Loss per epoch"))
        #expect(try h.run("plot accuracy").contains("━━ accuracy"))
    }

    @Test func showAndPredictDrawDigits() throws {
        let h = try trained()
        let samples = try h.run("show samples n=4")
        #expect(samples.hasPrefix("4 test images at random"))
        #expect(samples.contains("✓"))
        // Nothing wrong: said in words, not as an empty grid.
        #expect(try h.run("show errors") == "The model gets every one of the 30 test images right: no errors to show.")
        #expect(try h.run("show image 5 on=train").hasPrefix("Train image 5"))
        #expect(h.failure("show image 30") == "the test set has 30 images: 0 to 29")
        #expect(h.failure("show image") == "'show image' and 'show activations' need the image's index, e.g. show image 42")

        let predicted = try h.run("predict 3")
        #expect(predicted.contains("Predicted probabilities\n0 │"))
        // Test image 3 is a 0 (labels cycle 0, 1, 2), and the model gets every test image right.
        #expect(try #require(predicted.split(separator: "\n").last).wholeMatch(of: /Predicted 0 with \d+\.\d%; the true label is 0\./) != nil)
    }

    @Test func aFailedShowDrawsNothingFromTheSeededSource() throws {
        let (failing, clean) = (try trained(), try trained())
        #expect(failing.failure("show samples 3") == "'show samples' takes no index")
        let sample = try failing.run("show samples n=4")
        #expect(sample == (try clean.run("show samples n=4")))
        #expect(sample != (try clean.run("show samples n=4")), "a second draw differs: the comparison can tell")
    }

    @Test func picturesGoToSVGFilesAtomically() throws {
        let h = try trained()
        #expect(h.failure("plot confusion to=missing/confusion.svg")?.hasPrefix("cannot write \(h.directory.path)/missing/confusion.svg") == true)
        let path = h.directory.path + "/confusion.svg"
        #expect(try h.run("plot confusion to=confusion.svg") == "Wrote confusion.svg.")
        let svg = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(XMLParser(data: svg).parse())
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.directory.path).filter { $0.contains(".tmp-") }.isEmpty)
        #expect(h.failure("plot loss to=loss.png") == "to= takes an .svg file name, got 'loss.png'")
        #expect(try h.run("show samples n=4 to=samples.svg") == "Wrote samples.svg.")
    }
}

@Suite struct TickTests {
    func same(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-9 }
    }

    @Test func ticksAreRoundNumbers() {
        #expect(same(niceTicks(1...5), [1, 2, 3, 4, 5]))
        #expect(same(niceTicks(0...1), [0, 0.2, 0.4, 0.6, 0.8, 1]))
        #expect(same(niceTicks(1...30), [5, 10, 15, 20, 25, 30]))
        #expect(same(niceTicks(0.6...2.26), [1, 1.5, 2]))
        #expect(same(niceTicks(3...3), [3]))
    }
}
