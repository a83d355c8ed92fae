@testable import Core
import Foundation
import Testing

/// Images kept as bytes give exactly the floats that converting every pixel gave.
@Suite struct SamplesTests {
    let bytes: [UInt8] = (0..<5 * 6).map { UInt8(($0 * 37 + 11) % 256) }
    var asBytes: Samples { Samples(bytes: bytes, shape: [5, 1, 2, 3]) }
    var asFloats: Samples { Samples(Tensor(shape: [5, 1, 2, 3], scalars: bytes.map(Float.init))) }

    @Test func bytesGatherAsTheirValues() {
        #expect(asBytes.gatherRows([4, 0, 4]) == asFloats.gatherRows([4, 0, 4]))
        #expect(asBytes[row: 2] == bytes[12..<18].map(Float.init))
        #expect(asBytes == asFloats)
        #expect(asBytes.storesBytes && !asFloats.storesBytes)
        #expect(asBytes.storedBytes == 30 && asFloats.storedBytes == 120)
    }

    /// Rows long enough for the sixteen-at-a-time lookup (35 values: two vectors and a tail), every
    /// byte value present, through a table that is not the identity.
    @Test func wideRowsLookUpEveryValue() {
        let bytes: [UInt8] = (0..<280).map { (index: Int) -> UInt8 in UInt8((index * 101 + 7) % 256) }
        let f: (Float) -> Float = { ($0 / 255 - 0.1307) / 0.3081 }
        let samples = Samples(bytes: bytes, shape: [8, 1, 5, 7]).mapValues(f)
        let rows = [7, 0, 3, 3]
        let expected: [Float] = rows.flatMap { (row: Int) -> [Float] in bytes[row * 35 ..< (row + 1) * 35].map { f(Float($0)) } }
        #expect(samples.gatherRows(rows).scalars == expected)
    }

    /// Prefetching is a hint: rows out of range are skipped, and nothing the samples hold changes.
    @Test func prefetchingChangesNothing() {
        for samples in [asBytes, asFloats, asBytes.rows([3, 1]), Samples(bytes: [], shape: [0, 1, 2, 3])] {
            let before = samples.tensor
            samples.prefetchRows([0, 1, -1, 99])
            samples.prefetchRows([Int]())
            #expect(samples.tensor == before)
        }
    }

    /// A transform maps the 256-entry table: the same numbers as mapping every value, bit for bit.
    @Test func transformsMapTheTable() {
        let f: (Float) -> Float = { ($0 / 255 - 0.1307) / 0.3081 }
        let mapped = asBytes.mapValues(f)
        #expect(mapped.storesBytes)
        #expect(mapped.tensor.scalars == bytes.map { f(Float($0)) })
        #expect(mapped == asFloats.mapValues(f))
    }

    /// Subsets share the store; their rows, their transforms and their statistics are the subset's.
    @Test func subsetsShareTheStore() {
        let subset = asBytes.rows([3, 1])
        #expect(subset.shape == [2, 1, 2, 3])
        #expect(subset.storedBytes == 30)
        #expect(subset.tensor.scalars == (bytes[18..<24] + bytes[6..<12]).map(Float.init))
        #expect(subset.rows([1]).tensor.scalars == bytes[6..<12].map(Float.init))
        #expect(subset.mapValues { $0 * 2 }.tensor.scalars == (bytes[18..<24] + bytes[6..<12]).map { Float($0) * 2 })
        let floats = asFloats.rows([3, 1])
        #expect(floats.mapValues { $0 + 1 }.storedBytes == 48)   // a float subset becomes a set of its own
        let (mean, variance) = subset.mapValues { $0 / 255 }.meanAndVariance()
        let values = (bytes[18..<24] + bytes[6..<12]).map { Double(Float($0) / 255) }
        let expectedMean = values.reduce(0, +) / 12
        #expect(abs(mean - expectedMean) < 1e-12)
        #expect(abs(variance - values.map { ($0 - expectedMean) * ($0 - expectedMean) }.reduce(0, +) / 12) < 1e-12)
        #expect(floats.meanAndVariance().mean == (bytes[18..<24] + bytes[6..<12]).map(Double.init).reduce(0, +) / 12)
    }

    /// An uncompressed IDX file is read straight into its array; the result is the whole-file reader's.
    @Test func uncompressedIDXReadsDirectly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("samples-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let encoded = IDXFile.encode(dimensions: [5, 2, 3], bytes: bytes)
        let path = folder.appendingPathComponent("images").path
        try encoded.write(to: URL(fileURLWithPath: path))
        #expect(try IDXFile(contentsOf: path, rank: 3) == IDXFile(data: encoded, name: path, rank: 3))
        // One byte short or long: the whole-file reader names the problem.
        try encoded.dropLast().write(to: URL(fileURLWithPath: path))
        #expect(throws: IDXFile.Error(file: path, reason: "truncated: 5×2×3 needs 30 bytes of data, the file has 29")) {
            try IDXFile(contentsOf: path, rank: 3)
        }
        try (encoded + [7]).write(to: URL(fileURLWithPath: path))
        #expect(throws: IDXFile.Error(file: path, reason: "1 bytes of trailing data after 5×2×3 elements")) {
            try IDXFile(contentsOf: path, rank: 3)
        }
    }
}
