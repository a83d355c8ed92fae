import Core
import Foundation
@_exported import TestSupport
@testable import Notebook

/// A tiny IDX dataset in MNIST's layout: 6×6 images of 3 classes, class k a bright 2×6 band at
/// rows 2k…2k+1 plus seeded noise — easy to learn, so a few epochs tell working from broken.
enum TinyIDX {
    static func write(into directory: TemporaryDirectory, train: Int = 90, test: Int = 30) {
        let random = RandomSource(seed: 11)
        func images(_ n: Int) -> (Data, Data) {
            var pixels: [UInt8] = [], labels: [UInt8] = []
            for i in 0..<n {
                let label = i % 3
                labels.append(UInt8(label))
                for row in 0..<6 {
                    for _ in 0..<6 {
                        let noise = Int(random.nextUnitFloat() * 60)
                        pixels.append(UInt8(row / 2 == label ? 195 + noise : noise))
                    }
                }
            }
            return (IDXFile.encode(dimensions: [n, 6, 6], bytes: pixels), IDXFile.encode(dimensions: [n], bytes: labels))
        }
        let (trainImages, trainLabels) = images(train)
        let (testImages, testLabels) = images(test)
        directory.write("train-images-idx3-ubyte", trainImages)
        directory.write("train-labels-idx1-ubyte", trainLabels)
        directory.write("t10k-images-idx3-ubyte", testImages)
        directory.write("t10k-labels-idx1-ubyte", testLabels)
    }
}

/// A session over a tiny dataset, and helpers to run lines and read what they said.
final class SessionHarness {
    let directory: TemporaryDirectory
    let session: Session

    init() throws {
        directory = try TemporaryDirectory()
        TinyIDX.write(into: directory)
        session = Session(environment: [:], workingDirectory: directory.path)
    }

    /// A session in `directory`, which already holds the data.
    init(directory: TemporaryDirectory) throws {
        self.directory = directory
        session = Session(environment: [:], workingDirectory: directory.path)
    }

    /// Runs `lines`; returns everything they emitted as plain text.
    @discardableResult
    func run(_ lines: String...) throws -> String { try run(lines) }

    @discardableResult
    func run(_ lines: [String]) throws -> String {
        let sink = RecordingSink()
        for line in lines { try session.execute(line, output: sink) }
        let renderer = TerminalRenderer(wraps: false)
        return sink.blocks.map(renderer.render).joined(separator: "\n")
    }

    /// The error a line fails with (its message, without the caret lines), or nil when it succeeds.
    func failure(_ line: String) -> String? {
        do {
            try session.execute(line, output: RecordingSink())
            return nil
        } catch let error as CommandError {
            return error.message
        } catch {
            return "\(error)"
        }
    }
}
