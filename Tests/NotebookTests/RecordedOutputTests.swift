import Foundation
#if canImport(FoundationXML)
import FoundationXML   // XMLParser, on Linux (libxml2)
#endif
import Testing
@testable import Notebook

@Suite struct OutputCheckTests {
    let check = OutputCheck()

    @Test func wildcardsWithinALineAndAcrossLines() {
        #expect(check.matches(recorded: ["Loaded MNIST from ..."], actual: ["Loaded MNIST from /data/mnist"]))
        #expect(check.matches(recorded: ["a", "...", "z"], actual: ["a", "b", "c", "z"]))
        #expect(check.matches(recorded: ["a", "...", "z"], actual: ["a", "z"]))
        #expect(check.matches(recorded: ["...", "last"], actual: ["x", "y", "last"]))
        #expect(!check.matches(recorded: ["a", "...", "z"], actual: ["a", "b"]))
        #expect(!check.matches(recorded: ["Loaded MNIST from ..."], actual: ["Loaded Fashion-MNIST from /data"]))
        #expect(check.matches(recorded: ["x ... y ... z"], actual: ["x 1 y 2 z"]))
    }

    @Test func numbersWithinTheTolerance() {
        // The last digit shown may move by one; beyond that, a relative 0.001.
        #expect(check.lineMatches("loss 0.0856 · accuracy 97.55%", "loss 0.0857 · accuracy 97.54%"))
        #expect(check.lineMatches("accuracy 97.55%", "accuracy 97.61%"))                  // 0.06 ≤ 0.001 × 97.6
        #expect(!check.lineMatches("accuracy 97.55%", "accuracy 97.41%"))                // an accuracy that moved
        #expect(!check.lineMatches("loss 0.0856", "loss 0.0870"))
        #expect(!check.lineMatches("dense (Dense) (None, 128)", "dense (Dense) (None, 64)"))   // a shape that changed
        #expect(!check.lineMatches("60,000 images", "59,000 images"))
        #expect(OutputCheck(tolerance: 0.01).lineMatches("loss 0.0856", "loss 0.0860"))
        #expect(!check.lineMatches("loss 0.0856", "loss high"))
    }

    @Test func timingsNeverMismatch() {
        #expect(check.lineMatches("Epoch 1/3 · 0.41s · loss 0.2113", "Epoch 1/3 · 12s · loss 0.2113"))
        #expect(check.lineMatches("30 epochs in 6.71s.", "30 epochs in 1m15s."))
        #expect(check.lineMatches("took 12ms", "took 3.20s"))
        #expect(!check.lineMatches("Epoch 1/3 · 0.41s", "Epoch 2/3 · 0.41s"))
    }

    /// A table whose time column widens keeps its numbers: padding and rules match at any width.
    @Test func columnsThatWidenStillMatch() {
        let recorded = ["epoch     loss   accuracy    time", "─────────────────────────────────", "    1   0.2090     0.9347   1m25s"]
        let actual = ["epoch     loss   accuracy   time", "────────────────────────────────", "    1   0.2090     0.9347    34s"]
        #expect(check.matches(recorded: recorded, actual: actual))
        #expect(!check.matches(recorded: recorded, actual: ["epoch     loss   accuracy   time", "────", "    1   0.2590     0.9347    34s"]))
        #expect(!check.lineMatches("epoch loss", "epochloss"))
        #expect(!check.lineMatches("─────", "═════"))
        #expect(check.lineMatches("  7     1002", "7 1002"))
    }

    @Test func aUnifiedDiffShowsWhatChanged() {
        let recorded = ["a", "b", "c", "d", "e", "f", "g", "loss 0.50"]
        let actual = ["a", "b", "c", "d", "e", "f", "g", "loss 0.70", "extra"]
        #expect(check.diff(recorded: recorded, actual: actual) == [" …", " f", " g", "-loss 0.50", "+loss 0.70", "+extra"])
    }
}

@Suite(.serialized) struct CheckAndUpdateTests {
    let notebook = """
        ---
        title: Tiny
        ---

        # Data

        Load *it*.

        ```caderno
        load idx .
        normalize
        ```

        ```caderno
        #| output: ignore
        seed 3
        ```

        ```caderno
        build mlp 36-8-3
        compile lr=0.1
        train epochs=2 batch=16
        ```

        ```caderno
        #| error: expected
        train epoch=3
        ```

        The end.

        """

    func runner(_ directory: TemporaryDirectory) -> (NotebookRunner, () -> (String, String)) {
        var output = "", errors = ""
        let sink = TerminalSink(renderer: TerminalRenderer(width: 80, wraps: false), showsProgress: false,
                                standardOutput: { output += $0 }, standardError: { errors += $0 })
        return (NotebookRunner(session: Session(environment: [:], workingDirectory: directory.path), sink: sink),
                { (output.replacingOccurrences(of: directory.path, with: "DIR"), errors.replacingOccurrences(of: directory.path, with: "DIR")) })
    }

    func run(_ path: String, in directory: TemporaryDirectory, _ options: NotebookRunner.Options,
             overrides: [String: String] = [:]) -> (Int32, String, String) {
        let (runner, said) = runner(directory)
        let status = runner.run(file: path, overrides: overrides, options: options)
        let (output, errors) = said()
        return (status, output, errors)
    }

    @Test func updateRecordsThenCheckPassesThenAChangeFails() throws {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory)
        let path = directory.write("tiny.nb", Data(notebook.utf8))

        var (status, output, _) = run(path, in: directory, .init(mode: .check))
        #expect(status == 0 && output.contains("0 cells match the recorded output, 3 have none recorded"))

        (status, output, _) = run(path, in: directory, .init(mode: .update))
        #expect(status == 0 && output == "DIR/tiny.nb: recorded the output of 3 cells.\n")
        let updated = try String(contentsOfFile: path, encoding: .utf8)
        // Every byte of prose and commands kept; outputs added after their cells; the ignored cell left alone.
        let document = try NotebookDocument.parse(updated)
        #expect(document.cells.map { $0.output != nil } == [true, false, true, true])
        #expect(updated.replacing(#/\n\n```output\n(?:.*\n)*?```/#, with: "") == notebook)
        #expect(document.cells[2].output?.map(\.text).contains { $0.hasPrefix("Epoch 2/2 · ") } == true)
        #expect(document.cells[3].output?.first?.text == "error: unknown option 'epoch' for 'train' (did you mean 'epochs'?)")

        (status, output, _) = run(path, in: directory, .init(mode: .check))
        #expect(status == 0 && output == "DIR/tiny.nb: 3 cells match the recorded output\n")
        (status, output, _) = run(path, in: directory, .init(mode: .update))
        #expect(status == 0 && output.contains("nothing to update"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == updated)

        // A real change: the recorded accuracy moved. Reported with a diff at its line, exit 1.
        let changed = updated.replacing(#/Epoch 2/2 · (\S+) · loss (\S+) · accuracy \S+/#) { match in
            "Epoch 2/2 · \(match.1) · loss \(match.2) · accuracy 0.1234"
        }
        try changed.write(toFile: path, atomically: false, encoding: .utf8)
        let errors: String
        (status, output, errors) = run(path, in: directory, .init(mode: .check))
        #expect(status == 1)
        #expect(errors.contains("error: the output of the cell at line 28 differs from its recording\n--- recorded\n+++ this run\n"))
        #expect(errors.contains("\n-Epoch 2/2 · ") && errors.contains("accuracy 0.1234\n+Epoch 2/2 · "))
        #expect(errors.contains("DIR/tiny.nb: 2 cells match the recorded output, 1 differs"))
        // --update puts the run's output back, and only there.
        (status, output, _) = run(path, in: directory, .init(mode: .update))
        #expect(status == 0 && output.contains("recorded the output of 1 cell."))
        #expect(run(path, in: directory, .init(mode: .check)).0 == 0)
    }

    /// `run --export`: the replay as a page, and as a notebook that is the source with fresh recordings.
    @Test func aReplayExports() throws {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory)
        let path = directory.write("tiny.nb", Data(notebook.utf8))
        let (status, output, errors) = run(path, in: directory, .init(export: directory.path + "/tiny.html"))
        #expect(status == 0, "\(errors)")
        #expect(output.contains("caderno> train epochs=2 batch=16") && output.hasSuffix("Exported DIR/tiny.nb to DIR/tiny.html.\n"))
        let html = try String(contentsOfFile: directory.path + "/tiny.html", encoding: .utf8)
        #expect(html.contains("<h1>Tiny</h1>") && html.contains("<p>Load <em>it</em>.</p>") && html.contains("<p>The end.</p>"))
        #expect(html.contains("Replayed ") && html.contains("from tiny.nb"))
        #expect(html.contains("<pre class=\"error\">error: unknown option &#39;epoch&#39;") || html.contains("<pre class=\"error\">error: unknown option 'epoch'"))

        #expect(run(path, in: directory, .init(export: directory.path + "/copy.nb")).0 == 0)
        let copy = try String(contentsOfFile: directory.path + "/copy.nb", encoding: .utf8)
        #expect(copy.hasPrefix(notebook.prefix(60)))
        #expect(try NotebookDocument.parse(copy).cells.filter { $0.output != nil }.count == 3)
        #expect(run(directory.path + "/copy.nb", in: directory, .init(mode: .check)).0 == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == notebook, "exporting leaves the notebook itself alone")
    }

    @Test func parametersAreRefusedWhenRecordingsWouldBeChecked() throws {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory)
        let text = "---\ntitle: P\nparams:\n  epochs: 2\n---\n\n```caderno\nseed ${epochs}\n```\n\n```output\nSeed 2: ...\n```\n"
        let path = directory.write("p.nb", Data(text.utf8))
        #expect(run(path, in: directory, .init(mode: .check)).0 == 0)
        let (status, _, errors) = run(path, in: directory, .init(mode: .check), overrides: ["epochs": "1"])
        #expect(status == 1 && errors.contains("p.nb:7: error: the recorded outputs are for the notebook's own parameters"))
        let ignored = path.replacingOccurrences(of: "p.nb", with: "q.nb")
        try text.replacingOccurrences(of: "```caderno\n", with: "```caderno\n#| output: ignore\n").write(toFile: ignored, atomically: false, encoding: .utf8)
        #expect(run(ignored, in: directory, .init(mode: .check), overrides: ["epochs": "1"]).0 == 0)
    }
}

@Suite(.serialized) struct ExportTests {
    /// A trained session in a fresh folder that has exported `file`.
    func exported(_ file: String) throws -> (SessionHarness, String) {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory)
        let h = try session(in: directory)
        let said = try h.run("export \(file)")
        return (h, said)
    }

    func session(in directory: TemporaryDirectory) throws -> SessionHarness {
        let h = try SessionHarness(directory: directory)
        try h.run("load idx .", "normalize", "split validation=0.2", "build mlp 36-8-3", "compile lr=0.1", "train epochs=2 batch=16",
                  "evaluate", "metrics", "plot loss", "show samples n=4")
        _ = h.failure("train epoch=2")   // failed: left out
        try h.run("help train", "history")  // change nothing: left out
        return h
    }

    @Test func anExportedNotebookReplaysWithCheck() throws {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory)
        let h = try session(in: directory)
        #expect(try h.run("export study.nb title=\"My study\"").contains("Wrote study.nb: 10 commands"))
        let text = try String(contentsOfFile: directory.path + "/study.nb", encoding: .utf8)
        #expect(text.hasPrefix("---\ntitle: My study\n---\n\nExported "))
        #expect(text.contains("by Caderno \(cadernoVersion) · seed 42"))
        #expect(!text.contains("epoch=2") && !text.contains("help train") && !text.contains("history"))
        let document = try NotebookDocument.parse(text)
        #expect(document.cells.count == 10 && document.cells.allSatisfy { $0.output != nil })

        var output = "", errors = ""
        let sink = TerminalSink(renderer: TerminalRenderer(width: 80, wraps: false), showsProgress: false,
                                standardOutput: { output += $0 }, standardError: { errors += $0 })
        let runner = NotebookRunner(session: Session(environment: [:], workingDirectory: directory.path), sink: sink)
        #expect(runner.run(file: directory.path + "/study.nb", options: .init(mode: .check)) == 0, "\(errors)")
        #expect(output.contains("10 cells match the recorded output"))
    }

    @Test func htmlIsOnePageWithNothingRemoteAndSVGThatParses() throws {
        let (h, _) = try exported("study.html")
        let html = try String(contentsOfFile: h.directory.path + "/study.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<title>A Caderno session</title>"))
        for remote in ["src=", "href=", "url(", "@import", "<script", "<link"] { #expect(!html.contains(remote), "\(remote)") }
        #expect(html.contains("<table>") && html.contains("<span class=\"prompt\">caderno&gt; </span>train epochs=2 batch=16"))
        let svgs = html.matches(of: #/<svg[\s\S]*?</svg>/#).map { String($0.output) }
        #expect(svgs.count == 3)   // the confusion matrix, the loss curve, the digits
        for svg in svgs {
            let parser = XMLParser(data: Data(svg.utf8))
            #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        }
    }

    @Test func markdownLinksItsPicturesWrittenBeside() throws {
        let (h, said) = try exported("study.md")
        let directory = h.directory
        #expect(said.contains("with 3 pictures beside it"))
        let markdown = try String(contentsOfFile: directory.path + "/study.md", encoding: .utf8)
        #expect(markdown.contains("```sh\ncaderno> train epochs=2 batch=16\n```\n\n```text\nEpoch 1/2 · "))
        for index in 1...3 {
            #expect(markdown.contains("](study-\(index).svg)"))
            #expect(XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/study-\(index).svg"))).parse())
        }
    }

    /// The real other side: the `nbformat` package validates the notebook (make test installs it).
    @Test func jupyterNotebookValidatesWithNbformat() throws {
        let (h, _) = try exported("study.ipynb")
        let directory = h.directory
        let python = try #require(PythonTools.interpreter(with: "nbformat"), "no Python with nbformat: run the tests through 'make test'")
        let script = """
            import json, sys, nbformat
            nb = nbformat.read(sys.argv[1], as_version=4)
            nbformat.validate(nb)
            kinds = [c.cell_type for c in nb.cells]
            svg = sum('image/svg+xml' in o.get('data', {}) for c in nb.cells if c.cell_type == 'code' for o in c.outputs)
            print(nb.metadata.kernelspec.name, kinds.count('code'), svg)
            """
        let result = try PythonTools.run(python, script, directory.path + "/study.ipynb")
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == "caderno 10 3\n")
    }
}
