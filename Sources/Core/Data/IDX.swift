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
    /// `name` is the file named in errors; `rank`, when given, is the number of dimensions the
    /// caller needs (1 for labels, 3 for images), checked before anything is read or inflated.
    public init(data raw: Data, name: String, rank expectedRank: Int? = nil) throws {
        func fail(_ reason: Message) -> Error { Error(file: name, reason: reason) }
        let compressed = Gzip.isCompressed(raw)
        // Inflated only as far as the header promises: a small gzip that inflates to gigabytes
        // stops one byte past the promise instead of filling the memory.
        func inflate(upTo limit: Int) throws -> Data {
            do { return try Gzip.decompress(raw, upTo: limit) } catch let error as Gzip.Error { throw fail(error.message) }
        }
        let head = compressed ? try inflate(upTo: 4 + 4 * 4) : raw.prefix(4 + 4 * 4)
        let (dims, headerSize, expected) = try Self.header(head, rank: expectedRank, fail: fail)
        let shape = dims.map(String.init).joined(separator: "×")
        if compressed, expected > Memory.available {
            throw fail("its header claims \(shape) elements: \(Memory.describe(expected)) inflated, more than the \(Memory.describe(Memory.available)) of memory available")
        }
        let data = compressed ? try inflate(upTo: headerSize + expected + 1) : raw
        let payload = data.count - headerSize
        guard payload == expected else {
            if payload < expected { throw fail("truncated: \(shape) needs \(expected) bytes of data, the file has \(payload)") }
            if compressed { throw fail("more data than the header's \(shape) elements") }
            throw fail("\(payload - expected) bytes of trailing data after \(shape) elements")
        }
        dimensions = dims
        bytes = [UInt8](data.suffix(expected))
    }

    /// The dimensions, header size and element count an IDX header gives (its first 20 bytes).
    private static func header(_ head: Data, rank expectedRank: Int?, fail: (Message) -> Error) throws
        -> (dimensions: [Int], headerSize: Int, elements: Int) {
        guard !head.isEmpty else { throw fail("is empty") }
        guard head.count >= 4 else { throw fail("too short for an IDX header (\(head.count) bytes)") }
        let header = [UInt8](head.prefix(4))
        let magic = String(format: "%02x %02x %02x %02x", header[0], header[1], header[2], header[3])
        guard header[0] == 0, header[1] == 0 else { throw fail("not an IDX file (magic \(magic))") }
        guard header[2] == 0x08 else {
            throw fail("element type \(String(format: "0x%02x", header[2])) is not supported (only unsigned bytes, 0x08)")
        }
        let rank = Int(header[3])
        if let expectedRank, rank != expectedRank {
            if expectedRank == 1 { throw fail("magic \(magic) gives \(rank) as the number of dimensions; a labels file has 1 (magic 00 00 08 01)") }
            throw fail("magic \(magic) gives \(rank) as the number of dimensions; an images file has 3 (magic 00 00 08 03)")
        }
        guard (1...4).contains(rank) else { throw fail("\(rank) dimensions (an IDX file here has 1 to 4)") }
        let headerSize = 4 + 4 * rank
        guard head.count >= headerSize else {
            throw fail("the header is cut short: \(rank) dimension sizes need \(headerSize) bytes, the file has \(head.count)")
        }
        let dims = (0..<rank).map { i in head.dropFirst(4 + 4 * i).prefix(4).reduce(0) { $0 << 8 | Int($1) } }
        let shape = dims.map(String.init).joined(separator: "×")
        guard dims[0] > 0 else { throw fail("holds no items (\(shape))") }
        guard !dims.contains(0) else { throw fail("a dimension is 0 (\(shape))") }
        // Four sizes of up to 2³²−1 multiply past Int.max: anything over 2⁴⁰ bytes is refused, not overflowed.
        let expected = dims.reduce(1) { product, size in
            let (result, overflow) = product.multipliedReportingOverflow(by: size)
            return overflow || result > 1 << 40 ? Int.max : result
        }
        guard expected != .max else { throw fail("its header claims \(shape) elements, more than 10¹² bytes") }
        return (dims, headerSize, expected)
    }

    public init(contentsOf path: String, rank: Int? = nil) throws {
        if let problem = FileProblem.unreadable(path) { throw Error(file: path, reason: "cannot be read: \(problem)") }
        if let whole = try Self.readUncompressed(path, rank: rank) {
            self = whole
            return
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw Error(file: path, reason: "cannot be read: \(FileProblem(error))")
        }
        try self.init(data: data, name: path, rank: rank)
    }

    private init(dimensions: [Int], bytes: [UInt8]) {
        (self.dimensions, self.bytes) = (dimensions, bytes)
    }

    /// An uncompressed file whose size is what its header promises is read straight into its
    /// array: a million images take their 784 MB once, not once mapped and once copied. Anything
    /// else (gzip, a header that does not parse, a size that does not match) returns nil, and the
    /// whole-file reader says what is wrong.
    private static func readUncompressed(_ path: String, rank: Int?) throws -> IDXFile? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard let head = try? file.read(upToCount: 4 + 4 * 4), !Gzip.isCompressed(head),
              let (dims, headerSize, expected) = try? header(head, rank: rank, fail: { Error(file: path, reason: $0) }),
              let size = try? file.seekToEnd(), size == UInt64(headerSize + expected) else { return nil }
        do {
            try file.seek(toOffset: UInt64(headerSize))
            let bytes = try [UInt8](unsafeUninitializedCapacity: expected) { buffer, filled in
                while filled < expected {
                    let count = read(file.fileDescriptor, buffer.baseAddress! + filled, min(expected - filled, 1 << 26))
                    if count > 0 {
                        filled += count
                    } else if count == 0 {
                        throw CocoaError(.fileReadCorruptFile)   // the file shrank since its size was read
                    } else if errno != EINTR {
                        throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                    }
                }
            }
            return IDXFile(dimensions: dims, bytes: bytes)
        } catch {
            throw Error(file: path, reason: "cannot be read: \(FileProblem(error))")
        }
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
