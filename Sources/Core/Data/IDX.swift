import Foundation

/// The IDX format of MNIST: a 4-byte magic (0, 0, element type, dimension count), one big-endian
/// UInt32 size per dimension, then the elements. Caderno reads unsigned bytes (type 0x08), the
/// type of every MNIST and Fashion-MNIST file.
public struct IDXFile: Equatable, Sendable {
    public let dimensions: [Int]
    public let bytes: [UInt8]

    public struct Error: Explained, Equatable {
        public let file: String
        public let reason: Message
        public init(file: String, reason: Message) { (self.file, self.reason) = (file, reason) }
        public var message: Message { "\(file): \(reason)" }
    }

    /// Parses an IDX file, inflating it first when it is gzip (detected by its magic bytes).
    /// `name` is the file named in errors.
    public init(data raw: Data, name: String) throws {
        func fail(_ reason: Message) -> Error { Error(file: name, reason: reason) }
        let data: Data
        do {
            data = Gzip.isCompressed(raw) ? try Gzip.decompress(raw) : raw
        } catch let error as Gzip.Error {
            throw fail(error.message)
        }
        guard data.count >= 4 else { throw fail("too short for an IDX header (\(data.count) bytes)") }
        let header = [UInt8](data.prefix(4))
        guard header[0] == 0, header[1] == 0 else {
            throw fail("not an IDX file (magic \(String(format: "%02x %02x %02x %02x", header[0], header[1], header[2], header[3])))")
        }
        guard header[2] == 0x08 else {
            throw fail("element type \(String(format: "0x%02x", header[2])) is not supported (only unsigned bytes, 0x08)")
        }
        let rank = Int(header[3])
        guard (1...4).contains(rank) else { throw fail("\(rank) dimensions (an IDX file here has 1 to 4)") }
        guard data.count >= 4 + 4 * rank else { throw fail("the header is cut short: \(rank) dimension sizes need \(4 + 4 * rank) bytes, the file has \(data.count)") }
        let dims = (0..<rank).map { i in
            data.dropFirst(4 + 4 * i).prefix(4).reduce(0) { $0 << 8 | Int($1) }
        }
        guard !dims.contains(0) else { throw fail("a dimension is 0 (\(dims.map(String.init).joined(separator: "×")))") }
        let expected = dims.reduce(1, *)
        let payload = data.count - 4 - 4 * rank
        guard payload == expected else {
            let shape = dims.map(String.init).joined(separator: "×")
            if payload < expected { throw fail("truncated: \(shape) needs \(expected) bytes of data, the file has \(payload)") }
            throw fail("\(payload - expected) bytes of trailing data after \(shape) elements")
        }
        dimensions = dims
        bytes = [UInt8](data.suffix(expected))
    }

    public init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw Error(file: path, reason: "cannot be read: \(FileProblem(error))")
        }
        try self.init(data: data, name: path)
    }

    /// An uncompressed IDX file of unsigned bytes (tests write fixtures with it).
    public static func encode(dimensions: [Int], bytes: [UInt8]) -> Data {
        var data = Data([0, 0, 0x08, UInt8(dimensions.count)])
        for size in dimensions {
            data.append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: size >> $0) })
        }
        data.append(contentsOf: bytes)
        return data
    }
}
