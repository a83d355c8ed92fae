import ArgumentParser
import Bench
import Core
import Foundation
import Notebook

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Train the study projects' set-ups on real MNIST and report their speed.",
        discussion: (Benchmark.workloads.map { "\($0.name): \($0.summary)" }
            + ["gemm: matrix-product speed (GFLOP/s) at 2048³ and at each workload's own shapes, on 1 and 2 threads",
               "all: \(Benchmark.everyday.joined(separator: ", ")), each in a process of its own (so each peak memory is its own), then one table"])
            .joined(separator: "\n")
    )

    @Argument(help: "A workload (\(Benchmark.workloads.map(\.name).joined(separator: ", "))), gemm, or all.")
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

    @Option(help: "What the products multiply: float32, or inputs rounded to bfloat16 (bf16).")
    var precision: Precision = .float32

    @Flag(help: "One JSON object per workload, one per line.")
    var json = false

    @Flag(help: "Instead of training, time each layer's forward and backward pass (ms per batch).")
    var profile = false

    func validate() throws {
        guard ["all", "gemm"].contains(workload) || Benchmark.workload(named: workload) != nil else {
            throw ValidationError(tr("unknown workload '\(workload)': choose \(Benchmark.workloads.map(\.name).joined(separator: ", ")), gemm or all"))
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
        if workload == "all" && !profile {
            try runEach(Benchmark.everyday)
            return
        }
        if workload == "gemm" {   // the products' shapes need the models, not the data
            say(TerminalRenderer.forStandardOutput().render(gemmTable(Benchmark.standIn(seed: seed))))
            return
        }
        let loading = DispatchTime.now()
        let dataset = try loadMNIST()
        let loadSeconds = seconds(since: loading)
        FileHandle.standardError.write(Data(String(format: "loaded %d training and %d test images in %.2f s (%.0f MB as bytes)\n",
                                                   dataset.train.count, dataset.test.count, loadSeconds,
                                                   Double(dataset.train.inputs.storedBytes + dataset.test.inputs.storedBytes) / 1e6).utf8))
        let benchmark = Benchmark(dataset: dataset, seed: seed, precision: precision)
        let chosen = workload == "all" ? Benchmark.everyday.compactMap(Benchmark.workload(named:)) : [Benchmark.workload(named: workload)!]
        for workload in chosen {
            let setup = try benchmark.setup(workload)
            if profile {
                say("\(workload.name), batch \(setup.batchSize):")
                say(TerminalRenderer.forStandardOutput().render(profileTable(LayerProfile.measure(setup))) + "\n")
                continue
            }
            if !json {
                say("\(workload.name): \(workload.summary)\n")
                say(renderSummary(setup.trainer.model.summary()) + "\n")
            }
            var result = try benchmark.run(setup, epochs: epochs) { record in
                var line = String(format: "  epoch %d · %.3fs · loss %.4f · accuracy %.4f",
                                  record.epoch, record.seconds, record.loss, record.accuracy)
                if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
                    line += String(format: " · val_loss %.4f · val_accuracy %.4f", loss, accuracy)
                }
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            result.loadSeconds = loadSeconds
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                say(String(data: try encoder.encode(result), encoding: .utf8)!)
            } else {
                say(String(format: "%@: %d epochs · median epoch %.3f s · %.0f samples/s (%d per epoch) · inference %.0f samples/s · test accuracy %.2f%% · %d threads · %@",
                           result.workload, result.epochs, result.epochSecondsMedian, result.samplesPerSecond,
                           result.trainingSamples, result.inferenceSamplesPerSecond, result.testAccuracy * 100, result.threads,
                           result.precision))
                say(String(format: "  %.1f useful GFLOP/s · products at its shapes %.1f GFLOP/s · efficiency %.0f%% · peak memory %.0f MB\n",
                           result.usefulGFLOPs, result.gemmGFLOPs, result.efficiency * 100, result.peakMemoryMB))
            }
        }
    }

    func loadMNIST() throws -> Dataset {
        let standardError = FileHandle.standardError
        let store = DataStore(explicitDirectory: data)
        let downloading = store.locate(.mnist) == nil
        let directory = try store.fetch(.mnist) { progress in
            let total = progress.expected.map { " of \($0 / 1024) KiB" } ?? ""
            standardError.write(Data("\rdownloading \(progress.file): \(progress.received / 1024) KiB\(total)".utf8))
        }
        if downloading { standardError.write(Data("\n".utf8)) }   // end the progress line
        return try Dataset.load(.mnist, from: directory).scaled()
    }

    /// Runs each workload as `caderno bench NAME --json` in a child process, its epochs shown as
    /// they come, then prints one table. A process each, so each peak memory is that workload's.
    func runEach(_ names: [String]) throws {
        var results: [Benchmark.Result] = []
        for name in names {
            var arguments = ["bench", name, "--json", "--seed", String(seed)]
            if let epochs { arguments += ["--epochs", String(epochs)] }
            if let threads { arguments += ["--threads", String(threads)] }
            if let data { arguments += ["--data", data] }
            if precision != .float32 { arguments += ["--precision", precision.rawValue] }
            let child = Process()
            child.executableURL = Bundle.main.executableURL   // this very binary (/proc/self/exe on Linux)
            child.arguments = arguments
            let output = Pipe()
            child.standardOutput = output
            FileHandle.standardError.write(Data("\(name):\n".utf8))
            try child.run()
            let lines = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            child.waitUntilExit()
            guard child.terminationStatus == 0, let line = lines.split(separator: "\n").last,
                  let result = try? JSONDecoder().decode(Benchmark.Result.self, from: Data(line.utf8)) else {
                throw ExitCode(child.terminationStatus == 0 ? 1 : child.terminationStatus)
            }
            if json { say(String(line)) }
            results.append(result)
        }
        if !json { say("\n" + TerminalRenderer.forStandardOutput().render(resultTable(results))) }
    }
}

/// `make bench`'s table: one row per workload.
func resultTable(_ results: [Benchmark.Result]) -> Table {
    Table(headers: [tr("workload"), tr("epoch s"), tr("train/s"), tr("infer/s"), tr("GFLOP/s"),
                    tr("GEMM GFLOP/s"), tr("efficiency"), tr("peak MB"), tr("accuracy")],
          rows: results.map { result in
              [result.workload, String(format: "%.3f", result.epochSecondsMedian), String(format: "%.0f", result.samplesPerSecond),
               String(format: "%.0f", result.inferenceSamplesPerSecond), String(format: "%.1f", result.usefulGFLOPs),
               String(format: "%.1f", result.gemmGFLOPs), String(format: "%.0f%%", result.efficiency * 100),
               String(format: "%.0f", result.peakMemoryMB), String(format: "%.2f%%", result.testAccuracy * 100)]
          },
          alignments: [.left] + Array(repeating: .right, count: 8),
          footer: results.first.map { [tr("\($0.threads) threads; the median epoch; train/s and infer/s: images per second; GFLOP/s: useful arithmetic per second; GEMM GFLOP/s: matrix products alone at the workload's own shapes; efficiency: the first over the second; peak MB: the process's peak memory; accuracy: on the test set")] } ?? [])
}

/// `caderno bench gemm`: GFLOP/s of 2048³ and of every workload's training-step products, on 1
/// and 2 threads, in single precision and with bfloat16 inputs.
func gemmTable(_ benchmark: Benchmark) -> Table {
    let square = [BLAS.Shape(m: 2048, n: 2048, k: 2048)]
    var rows: [(String, [BLAS.Shape])] = [("2048×2048×2048", square)]
    for workload in Benchmark.workloads {
        guard let setup = try? benchmark.setup(workload) else { continue }
        let shapes = Efficiency.productShapes(setup)
        rows.append(("\(workload.name): \(Set(shapes).count) shapes, \(shapes.count) products per step", shapes))
    }
    let counts = [1, min(2, Parallel.cores)]
    let columns = Precision.allCases.flatMap { precision in counts.map { (precision, $0) } }
    let original = BLAS.threads
    defer { BLAS.threads = original }
    let measured = rows.map { name, shapes in
        [name] + columns.map { precision, threads in
            BLAS.threads = threads
            let cast = shapes.map { BLAS.Shape(m: $0.m, n: $0.n, k: $0.k, transposeA: $0.transposeA, transposeB: $0.transposeB, precision: precision) }
            return String(format: "%.1f", Efficiency.gemmThroughput(cast))
        }
    }
    let bfloat16 = Precision.bfloat16IsNative ? "bfloat16 inputs by AVX512-BF16's VDPBF16PS" : "bfloat16 inputs emulated (this CPU has no AVX512-BF16)"
    return Table(headers: [tr("products")] + columns.map { "\($0.0.rawValue), \($0.1) thread\($0.1 == 1 ? "" : "s")" }, rows: measured,
                 alignments: [.left] + columns.map { _ in .right },
                 footer: ["GFLOP/s, the median pass of at least five; Caderno's kernel, one part per thread; \(bfloat16)"])
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

extension Precision: ExpressibleByArgument {
    public init?(argument: String) {
        guard let named = Precision.named(argument) else { return nil }
        self = named
    }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
