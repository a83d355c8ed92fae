@testable import Core
import Foundation
import TestSupport
import Testing

@Suite struct IDXTests {
    let images = IDXFile.encode(dimensions: [2, 2, 3], bytes: Array(0..<12))

    @Test func roundTripPlainAndGzip() throws {
        let plain = try IDXFile(data: images, name: "x")
        #expect(plain.dimensions == [2, 2, 3])
        #expect(plain.bytes == Array(0..<12))
        let compressed = try Gzip.compress(images)
        #expect(Gzip.isCompressed(compressed))
        #expect(try IDXFile(data: compressed, name: "x.gz") == plain)
    }

    @Test func gzipRoundTripOfSomethingLarge() throws {
        let data = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) })
        #expect(try Gzip.decompress(try Gzip.compress(data)) == data)
    }

    static let malformed: [(String, @Sendable (Data) -> Data, String)] = [
        ("empty", { _ in Data() }, "is empty"),
        ("bad magic", { Data([1, 2] + $0.dropFirst(2)) }, "not an IDX file (magic 01 02 08 03)"),
        ("float elements", { var d = $0; d[2] = 0x0D; return d }, "element type 0x0d is not supported"),
        ("no dimensions", { var d = $0; d[3] = 0; return d }, "0 dimensions"),
        ("header cut short", { $0.prefix(9) }, "the header is cut short: 3 dimension sizes need 16 bytes, the file has 9"),
        ("truncated data", { $0.dropLast(5) }, "truncated: 2×2×3 needs 12 bytes of data, the file has 7"),
        ("trailing data", { $0 + Data([9, 9]) }, "2 bytes of trailing data after 2×2×3 elements"),
        ("no images", { var d = $0; d[7] = 0; return d }, "holds no items (0×2×3)"),
        ("zero dimension", { var d = $0; d[11] = 0; return d }, "a dimension is 0 (2×0×3)"),
    ]

    @Test(arguments: malformed.indices)
    func malformedFilesAreNamedErrors(_ index: Int) {
        let (label, damage, message) = Self.malformed[index]
        do {
            _ = try IDXFile(data: damage(images), name: "data/\(label)")
            Issue.record("\(label): no error")
        } catch let error as IDXFile.Error {
            #expect(error.file == "data/\(label)")
            #expect(error.reason.english.hasPrefix(message), "\(label): \(error.reason)")
        } catch {
            Issue.record("\(label): unexpected \(error)")
        }
    }

    @Test func damagedGzipStreams() throws {
        let compressed = try Gzip.compress(Data(repeating: 7, count: 5000) + images)
        #expect(throws: IDXFile.Error(file: "t.gz", reason: "the gzip stream is truncated (it ends after 20 bytes)")) {
            try IDXFile(data: compressed.prefix(20), name: "t.gz")
        }
        var corrupted = compressed
        for i in 12..<20 { corrupted[i] ^= 0xA5 }
        do {
            _ = try IDXFile(data: corrupted, name: "c.gz")
            Issue.record("a corrupted stream was accepted")
        } catch let error as IDXFile.Error {
            #expect(error.reason.english.contains("gzip stream is"), "\(error.reason)")
        }
    }

    @Test func labelsMustMatchImagesAndClasses() throws {
        let directory = try TemporaryDirectory()
        let imagePath = directory.write("img", IDXFile.encode(dimensions: [2, 2, 2], bytes: Array(repeating: 255, count: 8)))
        let threeLabels = directory.write("three", IDXFile.encode(dimensions: [3], bytes: [0, 1, 2]))
        let badLabel = directory.write("bad", IDXFile.encode(dimensions: [2], bytes: [1, 12]))
        let good = directory.write("good", IDXFile.encode(dimensions: [2], bytes: [1, 9]))

        #expect(throws: IDXFile.Error(file: threeLabels, reason: "3 labels for 2 images in \(imagePath)")) {
            try Dataset.labeledData(images: imagePath, labels: threeLabels, classCount: 10)
        }
        #expect(throws: IDXFile.Error(file: badLabel, reason: "label 12 at index 1 is not a class (0…9)")) {
            try Dataset.labeledData(images: imagePath, labels: badLabel, classCount: 10)
        }
        let data = try Dataset.labeledData(images: imagePath, labels: good, classCount: 10)
        #expect(data.inputs.shape == [2, 1, 2, 2])
        #expect(data.labels == [1, 9])
        #expect(try Dataset.labeledData(images: imagePath, labels: good, classCount: 10, limit: 1).count == 1)
    }

    @Test func missingFileIsAnErrorNamingIt() {
        #expect(throws: IDXFile.Error.self) { try IDXFile(contentsOf: "/nonexistent/train-images") }
    }
}

@Suite struct MD5Tests {
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func rfc1321Vectors(_ text: String, _ digest: String) {
        #expect(MD5.hex(of: Data(text.utf8)) == digest)
    }

    @Test func streamingEqualsOneShot() {
        let data = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        var md5 = MD5()
        for start in stride(from: 0, to: data.count, by: 333) { md5.update(data[start..<min(start + 333, data.count)]) }
        #expect(md5.finalize() == MD5.hex(of: data))
    }
}
