import ArgumentParser
import Bench
import Core
import Foundation
import Notebook

@main
struct Caderno: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caderno",
        abstract: "Study neural networks on MNIST, hands-on: a REPL, teaching notebooks, a fast library.",
        discussion: "With no subcommand, opens the REPL. Type 'help' there for the commands.",
        version: "Caderno \(cadernoVersion)",
        subcommands: [Repl.self, Run.self, KernelCommand.self, BenchCommand.self],
        defaultSubcommand: Repl.self
    )

    /// Everything, from argument errors on, in the locale's language; `--lang` and a notebook's
    /// `lang:` then choose within.
    static func main() {
        Language.$current.withValue(.fromEnvironment(ProcessInfo.processInfo.environment)) { main(nil) }
    }
}

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Open the REPL (the default). Piped input runs as a script, each command echoed."
    )

    @Flag(help: "With piped input, go on after an error (the exit status is still 1).")
    var keepGoing = false

    @Option(name: .customLong("lang"), help: ArgumentHelp("Speak en or pt (default: LC_ALL, LC_MESSAGES or LANG).", valueName: "en|pt"))
    var language: Language?

    func run() throws {
        let status = Language.$current.withValue(language ?? Language.current) { REPL().run(keepGoing: keepGoing) }
        if status != 0 { throw ExitCode(status) }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a teaching notebook (.nb): its prose, then each cell's commands and their output.",
        discussion: """
            --check compares every cell's output with the output recorded in the file and shows a diff for \
            each that differs (exit status 1); --update writes fresh recordings into the file where they \
            differ or are missing. --export writes the replay as a notebook, Markdown, a web page or a \
            Jupyter notebook. --params lists what -P can set.
            """
    )

    @Argument(help: "The notebook, e.g. notebooks/en/01-mlp-sgd.nb.", completion: .file(extensions: ["nb"]))
    var notebook: String

    @Option(name: .customShort("P"), help: ArgumentHelp("Set a notebook parameter.", valueName: "name=value"))
    var parameters: [String] = []

    @Flag(help: "Compare each cell's output with its recording; exit 1 on a difference.")
    var check = false

    @Flag(help: "Record each cell's output in the file where it differs or is missing.")
    var update = false

    @Option(help: ArgumentHelp("Also write the replay to FILE: .nb, .md, .html or .ipynb.", valueName: "FILE"))
    var export: String?

    @Option(name: .customLong("lang"), help: ArgumentHelp("Speak en or pt (default: the notebook's lang:, else the locale).", valueName: "en|pt"))
    var language: Language?

    @Flag(help: "List the notebook's parameters (what -P can set) and their defaults, then stop.")
    var params = false

    @Flag(help: "Pause before each cell: Enter runs it, a command runs at once, 'continue' runs to the end, 'quit' leaves.")
    var step = false

    @Option(help: ArgumentHelp("Write the notebook's files (save, export, to=) into DIR instead of its own folder.", valueName: "DIR"))
    var outputDir: String?

    @Flag(help: "Trust the notebook: let its commands write files anywhere, not only in its folder or --output-dir.")
    var allowWritesAnywhere = false

    func validate() throws {
        for parameter in parameters where !parameter.contains("=") || parameter.hasPrefix("=") {
            throw ValidationError(tr("-P takes name=value, got '\(parameter)'"))
        }
        if check && update { throw ValidationError(tr("--check and --update go separately: check first, then update what differs")) }
        if step && (check || update) { throw ValidationError(tr("--step is for reading a notebook; --check and --update run it straight through")) }
        if let outputDir {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: outputDir, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError(tr("--output-dir takes an existing folder, got '\(outputDir)'"))
            }
        }
        if let export, ExportFormat(path: export) == nil {
            throw ValidationError(tr("--export takes a .nb, .md, .html or .ipynb file, got '\(export)'"))
        }
    }

    func run() throws {
        let overrides = Dictionary(parameters.map { parameter -> (String, String) in
            let parts = parameter.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }) { $1 }
        if params {
            let status = NotebookRunner().listParameters(file: notebook)
            if status != 0 { throw ExitCode(status) }
            return
        }
        let options = NotebookRunner.Options(mode: check ? .check : update ? .update : .replay, export: export, step: step, language: language,
                                             outputDirectory: outputDir, writesAnywhere: allowWritesAnywhere)
        let status = NotebookRunner().run(file: notebook, overrides: overrides, options: options)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Writes a line to standard output unbuffered, so it stays in order with progress on standard error.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

extension Language: ExpressibleByArgument {
    public init?(argument: String) { self.init(code: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
