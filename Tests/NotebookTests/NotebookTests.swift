import Foundation
import Testing
@testable import Notebook

@Suite struct NotebookDocumentTests {
    let text = """
        ---
        title: A test
        lang: en
        params:
          epochs: 3
          name: "tiny"
        ---

        # Heading

        Some *prose*.

        ```caderno
        #| output: ignore
        load idx .
        train epochs=${epochs}
        ```

        ```output
        Epoch 1/3 ...
        ```

        ```python
        print("prose, not a cell")
        ```

        ```caderno
        summary
        ```
        """

    @Test func frontMatterCellsOutputsAndLineNumbers() throws {
        let document = try NotebookDocument.parse(text)
        #expect(document.title == "A test")
        #expect(document.language == "en")
        #expect(document.parameters == ["epochs": "3", "name": "tiny"])
        #expect(document.cells.count == 2)
        let first = document.cells[0]
        #expect(first.fenceLine == 13)
        #expect(first.options == ["output": "ignore"])
        #expect(first.commands.map(\.text) == ["load idx .", "train epochs=${epochs}"])
        #expect(first.commands.map(\.number) == [15, 16])
        #expect(first.output?.map(\.text) == ["Epoch 1/3 ..."])
        #expect(document.cells[1].output == nil)
        guard case .prose(let between) = document.parts[2] else { Issue.record("expected prose"); return }
        #expect(between.contains { $0.text == #"print("prose, not a cell")"# })
    }

    @Test(arguments: [
        ("intro\n```caderno\nload mnist\n", "2: error: the code fence opened here (```caderno) is never closed"),
        ("---\ntitle: x\n", "1: error: the front matter opened here is never closed with '---'"),
        ("---\ncolour: blue\n---\n", "2: error: unknown front matter key 'colour' (known: title, lang, params, tolerance)"),
        ("---\njust words\n---\n", "2: error: front matter lines are 'key: value', got 'just words'"),
        ("text\n```output\nx\n```\n", "2: error: an output block must come right after a caderno cell"),
        ("```caderno\nseed 1\n```\n```output\n1\n```\n```output\n2\n```\n", "7: error: this cell already has an output block"),
        ("```caderno\n#|\nseed 1\n```\n", "2: error: a cell option is '#| key: value', like '#| output: ignore', got '#|'"),
        ("```caderno\n#|nocolon\nseed 1\n```\n", "2: error: a cell option is '#| key: value', like '#| output: ignore', got '#|nocolon'"),
        ("```caderno\n#| output: ignore\n#| frobnicate: yes\nseed 1\n```\n",
         "3: error: unknown cell option 'frobnicate'; the options are echo, error, output, tolerance"),
        ("```caderno\n#| outptu: ignore\nseed 1\n```\n", "2: error: unknown cell option 'outptu' (did you mean 'output'?); the options are echo, error, output, tolerance"),
        ("```caderno\n#| error: sometimes\nseed 1\n```\n", "2: error: '#| error:' takes expected, got 'sometimes'"),
        ("```caderno\n#| echo: false\n#| echo: true\n```\n", "3: error: the cell option 'echo' is given twice"),
    ])
    func malformedNotebooksNameTheLine(_ text: String, _ message: String) {
        do {
            _ = try NotebookDocument.parse(text)
            Issue.record("parsed without error")
        } catch {
            #expect("\(error)" == message)
        }
    }

    /// Parse then write gives the same bytes: the document model reads and writes.
    @Test(arguments: ["", "\n", "no newline at the end", "# Title\r\n\r\n```caderno\r\nseed 1\r\n```\r\n\r\n```output\r\nSeed 1\r\n```\r\n",
                      "```caderno\n#| output: ignore\nseed 2\n```\n\n\n```output\n  indented\n```\ntext right after\n\n\n"])
    func writingGivesBackTheBytes(_ text: String) throws {
        #expect(try NotebookDocument.parse(text).text == text)
    }

    @Test func theShippedNotebooksRoundTrip() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var seen = 0
        for folder in ["notebooks/en", "notebooks/pt"].map({ root.appendingPathComponent($0).path }) {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".nb") {
                let bytes = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
                let document = try NotebookDocument.parse(bytes)
                #expect(document.text == bytes, "\(name)")
                // Recordings are replayed on other machines (CI clones elsewhere): no absolute data paths.
                for line in bytes.split(separator: "\n") where line.hasPrefix("Loaded ") {
                    #expect(!line.contains(" from /"), "\(name): \(line)")
                }
                #expect(!bytes.contains(root.path), "\(name) names this checkout's folder")
                // Where the data was found depends on the machine (CADERNO_DATA set or not): a recording says `...`.
                #expect(!bytes.contains("$CADERNO_DATA/"), "\(name) records where the data was found")
                seen += 1
            }
        }
        #expect(seen == 12, "six notebooks in each language")
        // Only notebooks: replaying one leaves the model files it saves beside it (git ignores them).
        let names = {
            try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent($0).path)
                .filter { $0.hasSuffix(".nb") }.sorted()
        }
        #expect(try names("notebooks/en") == names("notebooks/pt"), "every notebook in both languages")
    }

    @Test func longerFencesAndTildesNest() throws {
        let document = try NotebookDocument.parse("````markdown\n```caderno\nnot a cell\n```\n````\n~~~caderno\nseed 1\n~~~\n")
        #expect(document.cells.map { $0.commands.map(\.text) } == [["seed 1"]])
    }
}

@Suite struct NotebookRunnerTests {
    func replay(_ text: String, overrides: [String: String] = [:]) throws -> (status: Int32, output: String, errors: String) {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory)
        let path = directory.write("test.nb", Data(text.utf8))
        var output = "", errors = ""
        let sink = TerminalSink(renderer: TerminalRenderer(width: 80, wraps: false), showsProgress: false,
                                standardOutput: { output += $0 }, standardError: { errors += $0 })
        let runner = NotebookRunner(session: Session(environment: [:], workingDirectory: directory.path), sink: sink)
        let status = runner.run(file: path, overrides: overrides)
        return (status, output.replacingOccurrences(of: directory.path, with: "DIR"), errors.replacingOccurrences(of: directory.path, with: "DIR"))
    }

    let notebook = """
        ---
        params:
          epochs: 2
        ---
        ## 1. Data

        Load **it**.

        ```caderno
        load idx .
        normalize
        ```

        ## 2. Train

        ```caderno
        build mlp 36-8-3
        compile lr=0.1
        train epochs=${epochs} batch=16
        ```
        """

    @Test func replaysProseAndCellsInOneSession() throws {
        let (status, output, errors) = try replay(notebook)
        #expect(status == 0, "\(errors)")
        #expect(output.hasPrefix("1. Data\n───────\n\nLoad it.\n\ncaderno> load idx .\nLoaded "))
        #expect(output.contains("caderno> train epochs=2 batch=16\nEpoch 1/2 · "))
        #expect(output.contains("Epoch 2/2 · "))
    }

    @Test func parametersCanBeOverriddenButNotInvented() throws {
        #expect(try replay(notebook, overrides: ["epochs": "1"]).output.contains("Epoch 1/1 · "))
        let (status, _, errors) = try replay(notebook, overrides: ["epoch": "1"])
        #expect(status == 1)
        #expect(errors == "error: DIR/test.nb has no parameter 'epoch' (did you mean 'epochs'?)\n")
    }

    /// `-P lr=abc` is refused before anything runs, by the kind of the parameter's default.
    @Test func parametersAreCheckedAgainstTheirDefaults() throws {
        let (status, output, errors) = try replay(notebook, overrides: ["epochs": "two"])
        #expect(status == 1 && output.isEmpty)
        #expect(errors == "error: -P epochs=two: this parameter is a whole number (its default is 2), got 'two'\n")
        #expect(NotebookDocument.parameterProblem("0.1", default: "0.01") == nil)
        #expect(NotebookDocument.parameterProblem("1", default: "0.01") == nil, "a whole number is a number")
        #expect(NotebookDocument.parameterProblem("0.5", default: "3") != nil)
        #expect(NotebookDocument.parameterProblem("yes", default: "true") != nil)
        #expect(NotebookDocument.parameterProblem("anything", default: "sgd") == nil)
    }

    /// Prose can name a parameter too, so -P epochs=1 does not leave "two passes" in the text.
    @Test func proseTakesParameters() throws {
        let text = "---\nparams:\n  epochs: 2\n---\n${epochs} passes; `${other}` stays.\n\n```caderno\nseed 1\n```\n"
        #expect(try replay(text).output.hasPrefix("2 passes; `${other}` stays."))
        #expect(try replay(text, overrides: ["epochs": "7"]).output.hasPrefix("7 passes"))
    }

    @Test func listsItsParameters() throws {
        let directory = try TemporaryDirectory()
        let path = directory.write("p.nb", Data("---\nparams:\n  lr: 0.01\n  epochs: 3\n---\nText.\n".utf8))
        var output = ""
        let sink = TerminalSink(renderer: TerminalRenderer(width: 80, wraps: false), showsProgress: false, standardOutput: { output += $0 }, standardError: { _ in })
        #expect(NotebookRunner(sink: sink).listParameters(file: path) == 0)
        #expect(output.hasPrefix("parameter   default   takes\n──"))
        #expect(output.contains("epochs      3         a whole number\nlr          0.01      a number\n"))
        var errors = ""
        let failing = TerminalSink(renderer: TerminalRenderer(width: 80, wraps: false), showsProgress: false, standardOutput: { _ in }, standardError: { errors += $0 })
        #expect(NotebookRunner(sink: failing).listParameters(file: directory.path) == 1)
        #expect(errors == "error: cannot read \(directory.path): it is a folder, not a file\n")
        errors = ""
        #expect(NotebookRunner(sink: failing).listParameters(file: directory.path + "/none.nb") == 1)
        #expect(errors == "error: cannot read \(directory.path)/none.nb: no such file\n")
    }

    @Test func theFirstErrorStopsWithFileAndLine() throws {
        let (status, output, errors) = try replay("Intro.\n\n```caderno\nseed 1\ntrain epoch=3\nseed 2\n```\n")
        #expect(status == 1)
        #expect(errors == "DIR/test.nb:5: error: unknown option 'epoch' for 'train' (did you mean 'epochs'?)\n  train epoch=3\n        ^~~~~\n")
        #expect(!output.contains("seed 2"))
    }

    @Test func expectedErrorsAreShownAndReplayGoesOn() throws {
        let text = "```caderno\n#| error: expected\ntrain\n```\n\n```caderno\nseed 3\n```\n"
        let (status, output, _) = try replay(text)
        #expect(status == 0)
        #expect(output.contains("caderno> train\nerror: no data yet — try: load mnist\n"))
        #expect(output.contains("Seed 3:"))
        let unexpected = try replay("```caderno\n#| error: expected\nseed 3\n```\n")
        #expect(unexpected.status == 1)
        #expect(unexpected.errors == "DIR/test.nb:1: error: this cell is marked '#| error: expected', but every command in it ran\n")
    }

    @Test func echoFalseRunsTheCommandsWithoutShowingThem() throws {
        let (status, output, errors) = try replay("```caderno\n#| echo: false\nseed 7\n```\n\n```caderno\nseed 8\n```\n")
        #expect(status == 0, "\(errors)")
        #expect(!output.contains("caderno> seed 7") && output.contains("Seed 7: weights"))
        #expect(output.contains("caderno> seed 8\nSeed 8: weights"))
    }

    @Test func anUnclosedFenceIsAnErrorAtItsLine() throws {
        let (status, _, errors) = try replay("# T\n\n```caderno\nseed 1\n")
        #expect(status == 1)
        #expect(errors == "DIR/test.nb:3: error: the code fence opened here (```caderno) is never closed\n")
    }

    @Test func theShippedNotebooksParseAndUseOnlyKnownCommands() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folders = ["notebooks/en", "notebooks/pt"].map { root.appendingPathComponent($0).path }
        var seen = 0
        for folder in folders {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".nb") {
                let document = try NotebookDocument.parse(try String(contentsOfFile: folder + "/" + name, encoding: .utf8))
                #expect(document.title != nil, "\(name)")
                for cell in document.cells {
                    for line in cell.commands {
                        let parsed = try Parser.parse(line.text, parameters: document.parameters)
                        guard let parsed else { continue }
                        let spec = try #require(Session.command(named: parsed.name)?.spec, "\(name):\(line.number)")
                        _ = try spec.validate(parsed)
                    }
                }
                seen += 1
            }
        }
        #expect(seen >= 2)
    }
}

@Suite struct ProseRendererTests {
    @Test func headingsListsEmphasisAndWrapping() {
        let prose = ProseRenderer(TerminalRenderer(width: 30))
        let text = prose.render([
            "# Title", "", "Some *emphasis*, **bold** and `code` in a paragraph that is long enough",
            "to wrap.", "", "- first item that also runs on", "  past the width", "2. second", "", "### Small",
        ])
        #expect(text == """
            Title
            ═════

            Some emphasis, bold and `code`
            in a paragraph that is long
            enough to wrap.

            • first item that also runs on
              past the width
            2. second

            Small
            """)
    }

    @Test func colourAndASCII() {
        let colored = ProseRenderer(TerminalRenderer(width: 80, color: true)).render(["Use `load mnist` **now**"])
        #expect(colored == "Use \u{1B}[36mload mnist\u{1B}[0m \u{1B}[1mnow\u{1B}[0m")
        #expect(ProseRenderer(TerminalRenderer(width: 80, unicode: false)).render(["## Two", "- item"]) == "Two\n---\n\n- item")
    }
}
