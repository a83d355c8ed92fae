import ArgumentParser
import Core
import Foundation
import Notebook

@main
struct Caderno: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caderno",
        abstract: "Study neural networks on MNIST, hands-on.",
        subcommands: [Bench.self]
    )
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the study projects' set-ups on real MNIST and report their speed.",
        discussion: Benchmark.workloads.map { "\($0.name): \($0.summary)" }.joined(separator: "\n")
    )

    @Argument(help: "mlp, mlp16 or all.")
    var workload: String = "all"

    @Option(help: "Epochs per workload (default: the study project's own).")
    var epochs: Int?

    @Option(help: "BLAS threads (default: OpenBLAS's choice).")
    var threads: Int?

    @Option(help: "Directory holding the MNIST files (default: the data store's search).")
    var data: String?

    @Flag(help: "One JSON object per workload, one per line.")
    var json = false

    func validate() throws {
        guard workload == "all" || Benchmark.workload(named: workload) != nil else {
            throw ValidationError("unknown workload '\(workload)': choose mlp, mlp16 or all")
        }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        if let threads { BLAS.threads = threads }
        let standardError = FileHandle.standardError
        let store = DataStore(explicitDirectory: data)
        let downloading = store.locate(.mnist) == nil
        let directory = try store.fetch(.mnist) { progress in
            let total = progress.expected.map { " of \($0 / 1024) KiB" } ?? ""
            standardError.write("\rdownloading \(progress.file): \(progress.received / 1024) KiB\(total)".data(using: .utf8)!)
        }
        if downloading { standardError.write(Data("\n".utf8)) }   // end the progress line
        let dataset = try Dataset.load(.mnist, from: directory).scaled()
        let benchmark = Benchmark(dataset: dataset)
        let chosen = workload == "all" ? Benchmark.workloads : [Benchmark.workload(named: workload)!]
        for workload in chosen {
            let setup = try benchmark.setup(workload)
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
                say(String(format: "%@: %d epochs · median epoch %.3f s · %.0f samples/s (%d per epoch) · test accuracy %.2f%% · %d BLAS threads\n",
                             result.workload, result.epochs, result.epochSecondsMedian, result.samplesPerSecond, result.trainingSamples,
                             result.testAccuracy * 100, result.threads))
            }
        }
    }
}

/// Writes a line to standard output unbuffered, so it stays in order with progress on standard error.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
