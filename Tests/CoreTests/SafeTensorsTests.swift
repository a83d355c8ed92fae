@testable import Core
import Foundation
import Testing
import TestSupport

@Suite struct SafeTensorsTests {
    /// A file from its header JSON and data bytes, as any writer might make it.
    static func file(_ header: String, _ data: [UInt8] = [], length: UInt64? = nil) -> Data {
        var bytes = Data()
        withUnsafeBytes(of: (length ?? UInt64(header.utf8.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: data)
        return bytes
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    @Test func writesAndReadsBack() throws {
        let a = Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, .pi, -0.25])
        let b = Tensor(shape: [1], scalars: [42])
        let original = SafeTensors(tensors: [("0.weight", a), ("0.bias", b)], metadata: ["format": "test", "x": "{\"a\":1}"])
        let bytes = original.encoded()
        let headerLength = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect(headerLength % 8 == 0, "the header is padded to 8 bytes")
        let read = try SafeTensors.decode(bytes, file: "f")
        #expect(read["0.weight"] == a && read["0.bias"] == b)
        #expect(read.metadata == original.metadata)
        #expect(read.tensors.map(\.name) == ["0.weight", "0.bias"], "file order")
    }

    @Test func halfBFloatAndDoubleAreConverted() throws {
        let half: [UInt8] = [0x00, 0x3C, 0x00, 0xC0]                  // F16 1.0, -2.0
        let bfloat: [UInt8] = [0x80, 0x3F, 0x40, 0x40]                // BF16 1.0, 3.0
        let double = withUnsafeBytes(of: (0.5).bitPattern.littleEndian) { Array($0) }
        let header = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"d":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}"#
        let read = try SafeTensors.decode(Self.file(header, half + bfloat + double), file: "f")
        #expect(read["h"]?.scalars == [1, -2] && read["b"]?.scalars == [1, 3] && read["d"]?.scalars == [0.5])
    }

    static let four = floats([1, 2, 3, 4])

    @Test(arguments: [
        (Data(), "f: too short for a safetensors file (0 bytes; the header's length alone takes 8)"),
        (Data([1, 2, 3]), "f: too short for a safetensors file (3 bytes; the header's length alone takes 8)"),
        (file("{}", length: 200_000_000), "f: the header claims 200000000 bytes, more than the 100000000 a safetensors header may have"),
        (file("{}", length: 50), "f: the header claims 50 bytes but the file has only 2 after its length"),
        (Data([2, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE]), "f: the header is not valid UTF-8"),
        (file("[1,2]"), "f: the header is not a JSON object"),
        (file("{\"a\":"), "f: the header is not a JSON object"),
        (file(#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8)),
         "f, tensor 'a': dtype I64 is not one Caderno reads (F32, F16, BF16, F64)"),
        (file(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, Array(four.prefix(12))), "f, tensor 'a': its data runs past the end of the file"),
        (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, four),
         "f, tensor 'b': its data overlaps the tensor before it"),
        (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#, four),
         "f, tensor 'b': there is a gap of 4 bytes before its data"),
        (file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, four),
         "f, tensor 'a': its data_offsets hold 16 bytes, but F32 × [3] needs 12"),
        (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, four), "f: 8 bytes after the last tensor belong to none"),
        (file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, Array(four.prefix(4))), "f, tensor 'a': its shape is not a list of whole numbers ≥ 0"),
        (file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#, four),
         "f, tensor 'a': its shape [4294967296, 4294967296] is larger than the file"),
        (file(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0]}}"#, four), "f, tensor 'a': its data_offsets are not two whole numbers"),
        (file(#"{"a":"F32"}"#), "f, tensor 'a': its entry is not an object"),
        (file(#"{"__metadata__":{"n":1}}"#), "f: __metadata__ must map names to strings"),
    ])
    func malformedFilesAreOneClearError(_ bytes: Data, _ message: String) {
        #expect(throws: SafeTensors.Error.self) { try SafeTensors.decode(bytes, file: "f") }
        do { _ = try SafeTensors.decode(bytes, file: "f") } catch { #expect("\(error)" == message) }
    }

    @Test func readingAFolderOrNothing() throws {
        let directory = try TemporaryDirectory()
        #expect { try SafeTensors.read(directory.path) } throws: { "\($0)".hasSuffix(": this is a folder, not a file") }
        #expect { try SafeTensors.read(directory.path + "/none.safetensors") } throws: { "\($0)".hasSuffix("none.safetensors: no such file") }
    }

    /// Writes replace the file whole, leave nothing beside it, and never follow a planted link.
    @Test func atomicWritesReplaceWholeAndLeaveNothingBehind() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/m.safetensors"
        try AtomicFile.write(Data("old".utf8), to: path)
        try AtomicFile.write(Data("new".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.safetensors"])
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int).map { $0 & 0o077 } == 0o044)
        #expect(throws: AtomicFile.Error.self) { try AtomicFile.write(Data("x".utf8), to: directory.path + "/missing/m.safetensors") }
    }
}
