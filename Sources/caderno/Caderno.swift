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
        subcommands: [Repl.self, Run.self, BenchCommand.self],
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

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Train the study projects' set-ups on real MNIST and report their speed.",
        discussion: Benchmark.workloads.map { "\($0.name): \($0.summary)" }.joined(separator: "\n")
    )

    @Argument(help: "mlp, mlp16, cnn, deep-cnn, or all (mlp, mlp16 and cnn).")
    var workload: String = "all"

    // .unconditional: `--epochs -1` is a value to refuse, not an unknown flag ("Missing value").
    @Option(parsing: .unconditional, help: "Epochs per workload (default: the study project's own).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Threads for matrix products and the work between them (default: the machine's cores).")
    var threads: Int?

    @Option(help: "The seed every random choice draws from.")
    var seed: UInt64 = 42

    @Option(help: "Directory holding the MNIST files (default: the data store's search).")
    var data: String?

    @Flag(help: "One JSON object per workload, one per line.")
    var json = false

    @Flag(help: "Instead of training, time each layer's forward and backward pass (ms per batch).")
    var profile = false

    func validate() throws {
        guard workload == "all" || Benchmark.workload(named: workload) != nil else {
            throw ValidationError(tr("unknown workload '\(workload)': choose \(Benchmark.workloads.map(\.name).joined(separator: ", ")) or all"))
        }
        if let epochs, epochs < 1 { throw ValidationError(tr("--epochs must be at least 1, got \(epochs)")) }
        if let epochs, epochs > 1000 { throw ValidationError(tr("--epochs must be at most 1000, got \(epochs)")) }
        if let threads, threads < 1 { throw ValidationError(tr("--threads must be at least 1, got \(threads)")) }
        // More threads than cores only slows the work down; a hundred thousand would not start.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if let threads, threads > 4 * cores {
            throw ValidationError(tr("--threads must be at most \(4 * cores) (four per core; this machine has \(cores)), got \(threads)"))
        }
    }

    func run() throws {
        if let threads { BLAS.threads = threads }
        let standardError = FileHandle.standardError
        let store = DataStore(explicitDirectory: data)
        let downloading = store.locate(.mnist) == nil
        let directory = try store.fetch(.mnist) { progress in
            let total = progress.expected.map { " of \($0 / 1024) KiB" } ?? ""
            standardError.write(Data("\rdownloading \(progress.file): \(progress.received / 1024) KiB\(total)".utf8))
        }
        if downloading { standardError.write(Data("\n".utf8)) }   // end the progress line
        let dataset = try Dataset.load(.mnist, from: directory).scaled()
        let benchmark = Benchmark(dataset: dataset, seed: seed)
        let chosen = workload == "all" ? Benchmark.everyday.compactMap(Benchmark.workload(named:)) : [Benchmark.workload(named: workload)!]
        for workload in chosen {
            let setup = try benchmark.setup(workload)
            if profile {
                say("\(workload.name), batch \(setup.batchSize):")
                say(TerminalRenderer().render(profileTable(LayerProfile.measure(setup))) + "\n")
                continue
            }
            if !json {
                say("\(workload.name): \(workload.summary)\n")
                say(renderSummary(setup.trainer.model.summary()) + "\n")
            }
            let result = try benchmark.run(setup, epochs: epochs) { record in
                var line = String(format: "  epoch %d · %.3fs · loss %.4f · accuracy %.4f",
                                  record.epoch, record.seconds, record.loss, record.accuracy)
                if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
                    line += String(format: " · val_loss %.4f · val_accuracy %.4f", loss, accuracy)
                }
                standardError.write(Data((line + "\n").utf8))
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                say(String(data: try encoder.encode(result), encoding: .utf8)!)
            } else {
                say(String(format: "%@: %d epochs · median epoch %.3f s · %.0f samples/s (%d per epoch) · inference %.0f samples/s · test accuracy %.2f%% · %d threads\n",
                           result.workload, result.epochs, result.epochSecondsMedian, result.samplesPerSecond,
                           result.trainingSamples, result.inferenceSamplesPerSecond, result.testAccuracy * 100, result.threads))
            }
        }
    }
}

/// Writes a line to standard output unbuffered, so it stays in order with progress on standard error.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// A layer profile in milliseconds per batch, with totals.
func profileTable(_ rows: [LayerProfile.Row]) -> Table {
    func ms(_ s: Double) -> String { String(format: "%.2f", s * 1000) }
    func total(_ value: KeyPath<LayerProfile.Row, Double>) -> Double { rows.map { $0[keyPath: value] }.reduce(0, +) }
    return Table(headers: [tr("layer"), tr("forward ms"), tr("backward ms"), tr("inference ms")],
                 rows: rows.map { [$0.name, ms($0.forwardSeconds), ms($0.backwardSeconds), ms($0.inferenceSeconds)] },
                 alignments: [.left, .right, .right, .right],
                 footer: ["per batch: training \(ms(total(\.forwardSeconds) + total(\.backwardSeconds))) ms, inference \(ms(total(\.inferenceSeconds))) ms"])
}

extension Language: ExpressibleByArgument {
    public init?(argument: String) { self.init(code: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
