import Foundation

/// Hugging Face's safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (each tensor's dtype, shape and data_offsets, and string `__metadata__`), then the raw
/// little-endian data. Made because pickled models run code when loaded; read by PyTorch, NumPy,
/// JAX and many more.
///
/// Reading trusts nothing: the header's length is bounded and inside the file, the JSON is valid
/// UTF-8, every dtype is known, the offsets lie inside the data in order with neither gaps nor
/// overlaps, and each tensor's byte count is its shape's. Every failure is one error naming the
/// file and the tensor.
public struct SafeTensors: Sendable {
    /// The tensors in file order, as Float (F16, BF16 and F64 are converted on reading).
    public var tensors: [(name: String, value: Tensor)]
    public var metadata: [String: String]

    public init(tensors: [(name: String, value: Tensor)], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> Tensor? {
        tensors.first { $0.name == name }?.value
    }

    public static let maximumHeaderBytes = 100_000_000

    public struct Error: Explained, Equatable {
        public let file: String
        public let tensor: String?
        public let problem: Message
        public var message: Message { tensor.map { "\(file), tensor '\($0)': \(problem)" } ?? "\(file): \(problem)" }

        public init(file: String, tensor: String? = nil, problem: Message) {
            (self.file, self.tensor, self.problem) = (file, tensor, problem)
        }
    }

    // MARK: - Writing

    /// The file's bytes: F32 tensors in the order given, the header padded with spaces to a
    /// multiple of 8 bytes (as the reference implementation writes it), keys sorted.
    public func encoded() -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for (name, tensor) in tensors {
            let bytes = tensor.count * 4
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for (_, tensor) in tensors {
            tensor.scalars.withUnsafeBufferPointer { scalars in
                if Int(littleEndian: 1) == 1 {
                    data.append(UnsafeBufferPointer(start: UnsafeRawPointer(scalars.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                                    count: scalars.count * 4))
                } else {
                    for value in scalars { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                }
            }
        }
        return data
    }

    // MARK: - Reading

    /// Reads the file at `path` (memory-mapped: one copy per tensor, into its Float storage).
    public static func read(_ path: String) throws -> SafeTensors {
        func fail(_ problem: Message, _ tensor: String? = nil) -> Error { Error(file: path, tensor: tensor, problem: problem) }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw fail("no such file") }
        guard !isFolder.boolValue else { throw fail("this is a folder, not a file") }
        if let problem = FileProblem.unreadable(path) { throw fail("cannot read it: \(problem)") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw fail("cannot read it: \(FileProblem(error))")
        }
        return try decode(data, file: path)
    }

    public static func decode(_ data: Data, file: String) throws -> SafeTensors {
        func fail(_ problem: Message, _ tensor: String? = nil) -> Error { Error(file: file, tensor: tensor, problem: problem) }
        guard data.count >= 8 else { throw fail("too short for a safetensors file (\(data.count) bytes; the header's length alone takes 8)") }
        let length = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(maximumHeaderBytes) else {
            throw fail("the header claims \(length) bytes, more than the \(maximumHeaderBytes) a safetensors header may have")
        }
        guard 8 + Int(length) <= data.count else { throw fail("the header claims \(length) bytes but the file has only \(data.count - 8) after its length") }
        let headerBytes = data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + Int(length))
        guard String(data: headerBytes, encoding: .utf8) != nil else { throw fail("the header is not valid UTF-8") }
        guard let header = (try? JSONSerialization.jsonObject(with: headerBytes)) as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let strings = raw as? [String: Any], strings.values.allSatisfy({ $0 is String }) else {
                throw fail("__metadata__ must map names to strings")
            }
            metadata = strings.compactMapValues { $0 as? String }
        }
        struct Entry { let name: String; let dtype: String; let shape: [Int]; let begin: Int; let end: Int }
        var entries: [Entry] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any] else { throw fail("its entry is not an object", name) }
            guard let dtype = info["dtype"] as? String else { throw fail("it has no dtype", name) }
            guard let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }),
                  shape.count == (info["shape"] as? [Any])?.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("its shape is not a list of whole numbers ≥ 0", name)
            }
            guard let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }),
                  offsets.count == 2 else { throw fail("its data_offsets are not two whole numbers", name) }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        let dataStart = 8 + Int(length), dataSize = data.count - dataStart
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expected = 0
        var tensors: [(name: String, value: Tensor)] = []
        for entry in entries {
            let width: Int
            switch entry.dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            case "F64": width = 8
            default: throw fail("dtype \(entry.dtype) is not one Caderno reads (F32, F16, BF16, F64)", entry.name)
            }
            let (count, overflow) = entry.shape.reduce((1, false)) { partial, dimension in
                let (product, over) = partial.0.multipliedReportingOverflow(by: dimension)
                return (product, partial.1 || over)
            }
            guard !overflow, count <= dataSize / width + 1 else { throw fail("its shape \(entry.shape) is larger than the file", entry.name) }
            guard entry.begin == expected else {
                if entry.begin < expected { throw fail("its data overlaps the tensor before it", entry.name) }
                throw fail("there is a gap of \(entry.begin - expected) bytes before its data", entry.name)
            }
            guard entry.end >= entry.begin, entry.end - entry.begin == count * width else {
                throw fail("its data_offsets hold \(entry.end - entry.begin) bytes, but \(entry.dtype) × \(entry.shape) needs \(count * width)", entry.name)
            }
            guard entry.end <= dataSize else { throw fail("its data runs past the end of the file", entry.name) }
            expected = entry.end
            tensors.append((entry.name, decode(data, from: dataStart + entry.begin, count: count, dtype: entry.dtype, shape: entry.shape)))
        }
        guard expected == dataSize else { throw fail("\(dataSize - expected) bytes after the last tensor belong to none") }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    private static func decode(_ data: Data, from start: Int, count: Int, dtype: String, shape: [Int]) -> Tensor {
        var tensor = Tensor(uninitializedShape: shape)
        data.withUnsafeBytes { raw in
            let bytes = raw.baseAddress! + start
            tensor.scalars.withUnsafeMutableBufferPointer { out in
                for i in 0..<count {
                    switch dtype {
                    case "F32": out[i] = Float(bitPattern: UInt32(littleEndian: (bytes + 4 * i).loadUnaligned(as: UInt32.self)))
                    case "F64": out[i] = Float(Double(bitPattern: UInt64(littleEndian: (bytes + 8 * i).loadUnaligned(as: UInt64.self))))
                    case "BF16": out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: (bytes + 2 * i).loadUnaligned(as: UInt16.self))) << 16)
                    default: out[i] = Float(Float16(bitPattern: UInt16(littleEndian: (bytes + 2 * i).loadUnaligned(as: UInt16.self))))
                    }
                }
            }
        }
        return tensor
    }
}
