import Foundation
import Testing
@testable import Notebook

/// Everything that runs the binary, one test at a time: a child spawned while another test's
/// pipes are open would hold them open too.
@Suite(.serialized) struct BinaryTests {}

extension BinaryTests {
@Suite struct PipedModeTests {
    @Test func aScriptReadsAsATranscriptAndStopsAtTheFirstError() throws {
        let (status, output, errors) = try runPiped([], input: "seed 3\n\nbogus\nseed 4\n")
        #expect(status == 1)
        #expect(output == "caderno> seed 3\nSeed 3: weights, shuffling, splits and dropout all draw from it from now on.\ncaderno> bogus\n")
        #expect(errors == "error: unknown command 'bogus' — type 'help' for the list\n  bogus\n  ^~~~~\n")
    }

    @Test func keepGoingRunsEverythingButStillFails() throws {
        let (status, output, _) = try runPiped(["--keep-going"], input: "seed 3\nbogus\nseed 4\n")
        #expect(status == 1)
        #expect(output.hasSuffix("caderno> seed 4\nSeed 4: weights, shuffling, splits and dropout all draw from it from now on.\n"))
    }

    @Test func aCleanScriptExitsZeroAndQuitStops() throws {
        let (status, output, errors) = try runPiped([], input: "seed 1\nquit\nseed 2\n")
        #expect(status == 0)
        #expect(errors.isEmpty)
        #expect(output.contains("caderno> quit\n"))
        #expect(!output.contains("seed 2"))
    }

    /// The language from --lang, else the locale; --version; a notebook's parameters listed.
    @Test func languageVersionAndParameters() throws {
        let portuguese = try runPiped(["--lang", "pt"], input: "seed 3\nbogus\n", environment: ["LANG": "en_US.UTF-8"])
        #expect(portuguese.output.contains("Semente 3:") && portuguese.errors.hasPrefix("error: comando desconhecido 'bogus'"))
        let fromLocale = try runPiped([], input: "seed 3\n", environment: ["LANG": "pt_BR.UTF-8", "LC_ALL": ""])
        #expect(fromLocale.output.contains("Semente 3:"))
        let english = try runPiped(["--lang", "en"], input: "seed 3\n", environment: ["LANG": "pt_BR.UTF-8"])
        #expect(english.output.contains("Seed 3:"))
        #expect(try runPiped(["--version"], input: "").output == "Caderno \(cadernoVersion)\n")
        let directory = try TemporaryDirectory()
        let notebook = directory.write("p.nb", Data("---\nlang: pt\nparams:\n  epochs: 3\n---\n```caderno\nseed 1\n```\n".utf8))
        let listed = try runPiped(["run", notebook, "--params"], input: "", environment: ["LANG": "C"])
        #expect(listed.output.contains("epochs      3         a whole number"), "\(listed.output)")
        let replayed = try runPiped(["run", notebook], input: "", environment: ["LANG": "C"])
        #expect(replayed.output.contains("Semente 1:"), "the notebook's lang: wins over the locale")
        #expect(try runPiped(["run", "--lang", "en", notebook], input: "").output.contains("Seed 1:"), "and --lang over lang:")
    }

    @Test func aWholeTrainingScriptOnTinyData() throws {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory)
        let script = "load idx .\nnormalize\nbuild mlp 36-8-3\ncompile lr=0.1\ntrain epochs=2 batch=16\nevaluate\n"
        let (status, output, errors) = try runPiped([], input: script, directory: directory.path)
        #expect(status == 0, "\(errors)")
        #expect(output.contains("caderno> train epochs=2 batch=16\nEpoch 1/2 · "))
        #expect(!output.contains("\u{1B}["), "no escape codes when the output is not a terminal")
        #expect(output.contains("caderno> evaluate\ntest  loss "))
    }
}

}

extension BinaryTests {
@Suite struct TerminalREPLTests {
    let state: TemporaryDirectory
    let environment: [String: String]

    init() throws {
        state = try TemporaryDirectory()
        environment = ["XDG_STATE_HOME": state.path, "HOME": state.path, "TERM": "xterm", "NO_COLOR": "1"]
    }

    @Test func tabCompletesCommandsAndOptions() throws {
        let terminal = try PseudoTerminal(environment: environment)
        #expect(terminal.waitFor("caderno> "))
        // libedit redraws completions with cursor moves, so judge by what the completed line does:
        // "train epochs=2" with no data says what to do first; "trai epo2" would be an unknown command.
        let mark = terminal.end
        terminal.type("trai\tepo\t2\r")
        #expect(terminal.waitFor("no data yet — try: load mnist", after: mark))
        let next = terminal.end
        terminal.type("sum\tnow\r")
        #expect(terminal.waitFor("'summary' takes no positional arguments; 'now' is one too many", after: next))
    }

    @Test func ctrlCAtThePromptClearsTheLineAndKeepsTheREPL() throws {
        let terminal = try PseudoTerminal(environment: environment)
        #expect(terminal.waitFor("caderno> "))
        // A Tab with nothing to complete rings the bell: proof that libedit owns the terminal
        // (raw mode), so the ^C below reaches the REPL, not the tty's line editing.
        terminal.type("seed 99\t")
        #expect(terminal.waitFor("\u{07}"))
        let mark = terminal.end
        terminal.type("\u{03}")
        #expect(terminal.waitFor("^C", after: mark), "screen: \(terminal.screen.debugDescription)")
        terminal.type("seed 5\r")
        #expect(terminal.waitFor("Seed 5:", after: mark))
        #expect(!terminal.screen[mark...].contains("Seed 99"), "the interrupted line did not run")
        // On an empty line too: Ctrl-C is not Ctrl-D (it used to end the REPL).
        #expect(terminal.waitFor("caderno> ", after: terminal.screen.range(of: "Seed 5:")!.upperBound))
        Thread.sleep(forTimeInterval: 0.3)
        let empty = terminal.end
        terminal.type("\u{03}")
        #expect(terminal.waitFor("^C", after: empty))
        terminal.type("seed 6\r")
        #expect(terminal.waitFor("Seed 6:", after: empty))
        terminal.type("quit\r")
        #expect(terminal.exitStatus() == 0)
    }

    @Test func historyPersistsAcrossRuns() throws {
        do {
            let first = try PseudoTerminal(environment: environment)
            #expect(first.waitFor("caderno> "))
            first.type("seed 31\r")
            #expect(first.waitFor("Seed 31:"))
            // Wait for the next prompt and a moment more, as a person does: a Ctrl-D that lands
            // within milliseconds of the prompt, while libedit is still switching the terminal
            // out of cooked mode, is consumed by the tty itself.
            #expect(first.waitFor("caderno> ", after: first.screen.range(of: "Seed 31:")!.upperBound))
            Thread.sleep(forTimeInterval: 0.3)
            first.type("\u{04}")   // Ctrl-D
            #expect(first.exitStatus() == 0)
        }
        let saved = try String(contentsOfFile: state.path + "/caderno/history", encoding: .utf8)
        #expect(saved.contains("seed\\04031"))

        let second = try PseudoTerminal(environment: environment)
        #expect(second.waitFor("caderno> "))
        let mark = second.end
        second.type("\u{1B}[A\r")   // Up arrow brings back the last line of the first run
        #expect(second.waitFor("Seed 31:", after: mark))
    }

    /// Ctrl-R searches as readline does: `(reverse-i-search)`query': match`; Ctrl-R again goes
    /// further back; Enter runs the match.
    @Test func ctrlRSearchesTheHistoryAsReadlineDoes() throws {
        let terminal = try PseudoTerminal(environment: environment)
        #expect(terminal.waitFor("caderno> "))
        for seed in [41, 42, 43] {
            let mark = terminal.end
            terminal.type("seed \(seed)\r")
            #expect(terminal.waitFor("Seed \(seed):", after: mark))
        }
        #expect(terminal.waitFor("caderno> ", after: terminal.screen.range(of: "Seed 43:")!.upperBound))
        Thread.sleep(forTimeInterval: 0.3)   // libedit takes the terminal out of cooked mode (see above)
        var mark = terminal.end
        terminal.type("\u{12}ed 4")
        #expect(terminal.waitFor("(reverse-i-search)`ed 4': seed 43", after: mark), "\(terminal.screen[mark...].debugDescription)")
        mark = terminal.end
        terminal.type("\u{12}")
        #expect(terminal.waitFor("(reverse-i-search)`ed 4': seed 42", after: mark))
        mark = terminal.end
        terminal.type("x")
        #expect(terminal.waitFor("(failed reverse-i-search)`ed 4x': seed 42", after: mark))
        mark = terminal.end
        terminal.type("\u{7F}")   // undoes the x, not the Ctrl-R before it
        #expect(terminal.waitFor("(reverse-i-search)`ed 4': seed 42", after: mark))
        mark = terminal.end
        terminal.type("\r")
        #expect(terminal.waitFor("Seed 42:", after: mark))
        #expect(!terminal.screen.contains("bck:"))
        terminal.type("quit\r")
        #expect(terminal.exitStatus() == 0)
    }

    /// At 60 columns nothing the REPL prints runs past the edge (the terminal would break words).
    @Test func helpFitsSixtyColumns() throws {
        let terminal = try PseudoTerminal(environment: environment, columns: 60)
        #expect(terminal.waitFor("caderno> "))
        let mark = terminal.end
        terminal.type("help compile\r")
        #expect(terminal.waitFor("what training minimises", after: mark))
        terminal.type("quit\r")
        #expect(terminal.exitStatus() == 0)
        let lines = terminal.screen[mark...].replacingOccurrences(of: "\r", with: "").split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 60 }, "\(lines.filter { $0.count > 60 })")
        #expect(lines.contains { $0.hasPrefix("  default  0.01 for sgd, 0.001 for adam") })
    }

    /// `run --step`: a pause before each cell; commands typed there run in the same session;
    /// Ctrl-C stops a cell's training and comes back to the pause; `continue` runs to the end.
    @Test func stepModePausesBeforeEachCell() throws {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory, train: 3000, test: 30)
        let notebook = "# Step\n\n```caderno\nload idx \(directory.path)\nnormalize\n```\n\nThen a model.\n\n"
            + "```caderno\nbuild mlp 36-64-3\ncompile lr=0.01\ntrain epochs=100000 batch=1\nseed 11\n```\n\n"
            + "```caderno\nevaluate\n```\n\n```caderno\nseed 12\n```\n"
        let path = directory.write("step.nb", Data(notebook.utf8))
        let terminal = try PseudoTerminal(arguments: ["run", path, "--step"], environment: environment)
        #expect(terminal.waitFor("cell 1 of 4 (line 3): load idx"))
        #expect(terminal.waitFor("step> "))
        #expect(!terminal.screen.contains("Loaded"), "nothing runs before Enter")
        terminal.type("\r")
        #expect(terminal.waitFor("Loaded the IDX files"))
        #expect(terminal.waitFor("cell 2 of 4"))
        var mark = terminal.end
        terminal.type("show samples n=1\r")
        #expect(terminal.waitFor("1 test images at random", after: mark))
        mark = terminal.end
        terminal.type("\r")
        #expect(terminal.waitFor("Epoch 1/100000 · ", after: mark))
        mark = terminal.end
        terminal.type("\u{03}")
        #expect(terminal.waitFor("Interrupted in epoch ", after: mark))
        #expect(terminal.waitFor("cell 3 of 4", after: mark))
        terminal.type("continue\r")
        #expect(terminal.waitFor("Seed 12:", after: mark))
        #expect(terminal.exitStatus() == 0)
        #expect(!terminal.screen.contains("Seed 11:"), "Ctrl-C stopped the rest of that cell")
        #expect(terminal.screen.contains("test  loss"))
    }

    @Test func ctrlCDuringTrainingStopsAfterTheBatchAndKeepsTheModel() throws {
        let directory = try TemporaryDirectory()
        TinyIDX.write(into: directory, train: 3000, test: 30)
        var environment = self.environment
        environment["PWD"] = directory.path
        let terminal = try PseudoTerminal(arguments: [], environment: environment)
        #expect(terminal.waitFor("caderno> "))
        terminal.type("load idx \(directory.path)\rnormalize\rbuild mlp 36-64-3\rcompile lr=0.01\r")
        #expect(terminal.waitFor("Compiled:"))
        terminal.type("train epochs=100000 batch=1\r")
        #expect(terminal.waitFor("Epoch 1/100000 · "))
        let mark = terminal.end
        // Twice, as an impatient student does: the second arrives while the first is stopping.
        terminal.type("\u{03}")
        Thread.sleep(forTimeInterval: 0.01)
        terminal.type("\u{03}")
        #expect(terminal.waitFor("Interrupted in epoch ", after: mark))
        #expect(terminal.exitStatus(seconds: 0.5) == nil, "the REPL is still running")
        terminal.type("history\r")
        #expect(terminal.waitFor("epoch", after: mark))
        terminal.type("evaluate\r")
        #expect(terminal.waitFor("test  loss", after: mark))
        terminal.type("quit\r")
        #expect(terminal.exitStatus() == 0)
    }
}
}
