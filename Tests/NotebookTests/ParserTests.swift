import Testing
@testable import Notebook

@Suite struct ParserTests {
    @Test func namePositionalsOptionsAndKinds() throws {
        let line = try #require(try Parser.parse(#"build mlp 784-128-10 dropout=0.1 init=he name="my net" shape=28x28x1 lr=0.001,0.01  # why"#))
        #expect(line.name == "build")
        #expect(line.nameRange == SourceRange(0, 5))
        #expect(line.positionals.map(\.value) == [.word("mlp"), .sizes([784, 128, 10], separator: "-")])
        #expect(line.positionals[1].range == SourceRange(10, 20))
        let options = Dictionary(uniqueKeysWithValues: line.options.map { ($0.key!, $0.value) })
        #expect(options["dropout"] == .number(0.1))
        #expect(options["init"] == .word("he"))
        #expect(options["name"] == .string("my net"))
        #expect(options["shape"] == .sizes([28, 28, 1], separator: "x"))
        #expect(options["lr"] == .list([.number(0.001), .number(0.01)]))
        let dropout = try #require(line.options.first)
        #expect(dropout.keyRange == SourceRange(21, 28))
        #expect(dropout.valueRange == SourceRange(29, 32))
    }

    @Test func blanksCommentsAndQuotes() throws {
        #expect(try Parser.parse("") == nil)
        #expect(try Parser.parse("   # only a comment") == nil)
        let quoted = try #require(try Parser.parse(#"export "a # b.nb" to='x\"y'"#))
        #expect(quoted.positionals.first?.value == .string("a # b.nb"))
        #expect(quoted.options.first?.value == .string(#"x"y"#))
        #expect(try Parser.parse("seed -3")?.positionals.first?.value == .number(-3))
        #expect(try Parser.parse("compile lr=1e-3")?.options.first?.value == .number(0.001))
        #expect(try Parser.parse("load idx data/mnist-2")?.positionals.last?.value == .word("data/mnist-2"))
        #expect(try Parser.parse("x n=nan")?.options.first?.value == .word("nan"))
    }

    @Test func parametersAreSubstitutedFirst() throws {
        let line = try Parser.parse("train epochs=${epochs} batch=${batch}", parameters: ["epochs": "3", "batch": "16"])
        #expect(line?.source == "train epochs=3 batch=16")
        #expect(line?.options.map(\.value) == [.number(3), .number(16)])
    }

    @Test(arguments: [
        ("train epochs=${epoch}", ["epochs": "3"], "error: unknown parameter 'epoch' (did you mean 'epochs'?)\n  train epochs=${epoch}\n               ^~~~~~~~"),
        ("train epochs=${x", [:], "error: '${' is not closed with '}'\n  train epochs=${x\n               ^~~"),
        ("load \"mnist", [:], "error: this quote is not closed\n  load \"mnist\n       ^~~~~~"),
        ("train epochs=", [:], "error: option 'epochs' needs a value after '='\n  train epochs=\n        ^~~~~~~"),
        ("train =3", [:], "error: an option needs a name before '='\n  train =3\n        ^~"),
        ("42 train", [:], "error: a command starts with its name, e.g. 'load mnist'\n  42 train\n  ^~"),
        ("compile lr=0.1,,1", [:], "error: a list has an empty item: '0.1,,1'\n  compile lr=0.1,,1\n             ^~~~~~"),
    ] as [(String, [String: String], String)])
    func malformedLinesPointAtTheToken(_ line: String, _ parameters: [String: String], _ expected: String) {
        #expect(throws: (any Error).self) { try Parser.parse(line, parameters: parameters) }
        do {
            _ = try Parser.parse(line, parameters: parameters)
        } catch {
            #expect((error as? CommandError)?.description == expected)
        }
    }

    @Test func suggestionsNeedToBeClose() {
        #expect(suggestion(for: "epoch", among: ["epochs", "batch"]) == "epochs")
        #expect(suggestion(for: "tarin", among: ["train", "evaluate"]) == "train")
        #expect(suggestion(for: "sumary", among: ["summary", "seed"]) == "summary")
        #expect(suggestion(for: "eval", among: ["evaluate", "export"]) == "evaluate")
        #expect(suggestion(for: "qqqq", among: ["quit", "seed"]) == nil)
        #expect(suggestion(for: "x", among: ["lr", "seed"]) == nil)
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(editDistance("ab", "ba") == 1)
    }
}

@Suite struct ValidationTests {
    func error(_ line: String) -> String? {
        do {
            let session = Session(environment: [:], workingDirectory: "/nonexistent")
            try session.execute(line, output: RecordingSink())
            return nil
        } catch {
            return (error as? CommandError)?.description ?? "\(error)"
        }
    }

    @Test func theIssueExample() {
        #expect(error("train epoch=3") == """
            error: unknown option 'epoch' for 'train' (did you mean 'epochs'?)
              train epoch=3
                    ^~~~~
            """)
    }

    /// (line, message, column of the caret, width of the token)
    @Test(arguments: [
        ("compile lr=-1", "error: lr must be > 0, got -1", 11, 2),
        ("compile lr=fast", "error: lr must be a number, got a word 'fast'", 11, 4),
        ("train epochs=2.5", "error: epochs must be a whole number, got '2.5'", 13, 3),
        ("train epochs=0", "error: epochs must be ≥ 1, got 0", 13, 1),
        ("split validation=1.5", "error: validation must be between 0 and 1 (exclusive), got 1.5", 17, 3),
        ("compile optimizer=sdg", "error: optimizer can't be 'sdg': did you mean 'sgd'? choose sgd, adam", 18, 3),
        ("compile nesterov=maybe", "error: nesterov must be true or false, got 'maybe'", 17, 5),
        ("train epochs=1 epochs=2", "error: option 'epochs' is given twice", 15, 8),
        ("summary now", "error: 'summary' takes no positional arguments; 'now' is one too many (usage: summary)", 8, 3),
        ("build mlp 784 128 10", "error: an MLP is built from layer sizes joined by '-', like 784-128-64-10", 10, 3),
        ("build input 28x28x1 5", "error: 'build' takes at most 2 positional arguments; '5' is one too many (usage: build mlp 784-128-64-10 [activation=relu] [dropout=0.1] [init=he] [output=log-softmax]  ·  build input 28x28x1)", 20, 1),
        ("load", "error: 'load' needs a dataset: mnist, fashion-mnist or idx DIR; or model FILE (usage: load mnist|fashion-mnist [limit=N] [test-limit=N] [dir=DIR]  ·  load idx DIR  ·  load model FILE.safetensors)", 4, 1),
        ("load mnst", "error: 'dataset' can't be 'mnst': did you mean 'mnist'? choose mnist, fashion-mnist, idx, model", 5, 4),
        ("add dense 10 kernel=3", "error: unknown option 'kernel' for 'add dense' — it is an option of 'add conv2d'", 13, 6),
        ("add dropout 0.5 activation=relu", "error: unknown option 'activation' for 'add dropout' — it is an option of 'add dense' and 'add conv2d'", 16, 10),
        ("add dense 10 kernal=3", "error: unknown option 'kernal' for 'add dense' (did you mean 'kernel'? it is an option of 'add conv2d')", 13, 6),
        ("trian", "error: unknown command 'trian' (did you mean 'train'?)", 0, 5),
        ("xyzzy", "error: unknown command 'xyzzy' — type 'help' for the list", 0, 5),
    ] as [(String, String, Int, Int)])
    func typesRangesAndNamesAreChecked(_ line: String, _ message: String, _ column: Int, _ width: Int) {
        let caret = String(repeating: " ", count: column) + "^" + String(repeating: "~", count: width - 1)
        #expect(error(line) == "\(message)\n  \(line)\n  \(caret)")
    }
}
