import CLanes

/// The inputs of a data set: N samples of one shape, in one of two stores.
///
/// - Images read from IDX files stay the bytes they were stored as (MNIST's 60,000 training
///   images: 47 MB, against 188 MB as floats), with a table of the value each of the 256 byte
///   values stands for. Scaling or standardizing maps the table, never the images; a batch is
///   turned into floats as it is gathered. A table gives exactly the numbers that converting
///   every pixel would have given.
/// - Anything else is kept as floats.
///
/// A subset (a validation split, `limit=`) is a list of rows into the same store, so splitting
/// a million images copies four bytes per image, not the images.
public struct Samples: Sendable {
    /// [N, …]: the rows seen (after `rows(_:)`), then one sample's shape.
    public let shape: [Int]
    private let store: Store
    /// The stored row behind each sample; nil when they are all the stored rows, in order.
    private let rowMap: [Int32]?

    enum Store: Sendable, Equatable {
        case floats([Float])
        case bytes([UInt8], table: [Float])
    }

    public init(_ tensor: Tensor) {
        (shape, store, rowMap) = (tensor.shape, .floats(tensor.scalars), nil)
    }

    /// Unsigned bytes [N, …], each standing for its own value (0…255) until a transform maps it.
    public init(bytes: [UInt8], shape: [Int]) {
        precondition(shape.reduce(1, *) == bytes.count, "shape \(shape) needs \(shape.reduce(1, *)) bytes, got \(bytes.count)")
        (self.shape, store, rowMap) = (shape, .bytes(bytes, table: (0..<256).map(Float.init)), nil)
    }

    private init(shape: [Int], store: Store, rowMap: [Int32]?) {
        (self.shape, self.store, self.rowMap) = (shape, store, rowMap)
    }

    public var batchSize: Int { shape.first ?? 0 }
    public var featuresPerSample: Int { shape.dropFirst().reduce(1, *) }
    public var rank: Int { shape.count }

    /// Whether the samples are held as bytes (images from IDX files).
    public var storesBytes: Bool {
        if case .bytes = store { return true }
        return false
    }

    /// Bytes of memory the stored values take (shared by every subset of them).
    public var storedBytes: Int {
        switch store {
        case .floats(let values): values.count * MemoryLayout<Float>.size
        case .bytes(let bytes, _): bytes.count
        }
    }

    /// The samples at `indices`, in that order, sharing this store.
    public func rows(_ indices: some Collection<Int>) -> Samples {
        let map = indices.map { index in
            precondition(index >= 0 && index < batchSize, "row \(index) out of range 0..<\(batchSize)")
            return Int32(truncatingIfNeeded: storedRow(index))
        }
        return Samples(shape: [map.count] + shape.dropFirst(), store: store, rowMap: map)
    }

    @inline(__always)
    private func storedRow(_ index: Int) -> Int {
        rowMap.map { Int($0[index]) } ?? index
    }

    /// The samples at `indices` as floats [indices.count, …]: one batch.
    public func gatherRows(_ indices: some Collection<Int>) -> Tensor {
        let width = featuresPerSample
        var result = Tensor(uninitializedShape: [indices.count] + shape.dropFirst())
        result.scalars.withUnsafeMutableBufferPointer { target in
            let target = target.baseAddress!
            switch store {
            case .floats(let values):
                values.withUnsafeBufferPointer { source in
                    for (destination, index) in indices.enumerated() {
                        precondition(index >= 0 && index < batchSize, "row \(index) out of range 0..<\(batchSize)")
                        (target + destination * width).update(from: source.baseAddress! + storedRow(index) * width, count: width)
                    }
                }
            case .bytes(let bytes, let table):
                let rows = indices.map { index in
                    precondition(index >= 0 && index < batchSize, "row \(index) out of range 0..<\(batchSize)")
                    return storedRow(index)
                }
                bytes.withUnsafeBufferPointer { source in
                    table.withUnsafeBufferPointer { table in
                        let (source, table) = (source.baseAddress!, table.baseAddress!)
                        // A lookup per value: split across the threads for a large batch.
                        parallelFor(rows.count, minimum: max(2, (1 << 15) / max(width, 1))) { chunk in
                            for destination in chunk {
                                caderno_lookup_bytes(source + rows[destination] * width, table, target + destination * width, width)
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Asks the caches for the samples at `indices` ahead of `gatherRows` (a hint: nothing changes).
    /// A shuffled batch's rows lie scattered over the whole set, so gathering them otherwise waits
    /// on memory for every row.
    public func prefetchRows(_ indices: some Collection<Int>) {
        func prefetch(_ store: UnsafeRawBufferPointer, bytesPerRow: Int) {
            guard let base = store.baseAddress else { return }
            for index in indices where index >= 0 && index < batchSize {
                caderno_prefetch(base + storedRow(index) * bytesPerRow, bytesPerRow)
            }
        }
        switch store {
        case .floats(let values): values.withUnsafeBytes { prefetch($0, bytesPerRow: featuresPerSample * MemoryLayout<Float>.size) }
        case .bytes(let bytes, _): bytes.withUnsafeBytes { prefetch($0, bytesPerRow: featuresPerSample) }
        }
    }

    /// One sample's values.
    public subscript(row row: Int) -> [Float] {
        gatherRows(CollectionOfOne(row)).scalars
    }

    /// Every sample as floats: a tensor of the whole set (for small sets and tests).
    public var tensor: Tensor { gatherRows(0..<batchSize) }
    public var scalars: [Float] { tensor.scalars }

    /// The same samples with `f` applied to every value: bytes map their table (256 calls).
    public func mapValues(_ f: (Float) -> Float) -> Samples {
        switch store {
        case .floats(let values):
            // Only the rows seen are kept: a subset becomes a set of its own.
            let source = rowMap == nil ? values : tensor.scalars
            return Samples(shape: shape, store: .floats(source.map(f)), rowMap: nil)
        case .bytes(let bytes, let table):
            return Samples(shape: shape, store: .bytes(bytes, table: table.map(f)), rowMap: rowMap)
        }
    }

    /// The mean and variance of every value (in Double), for standardizing.
    public func meanAndVariance() -> (mean: Double, variance: Double) {
        let count = Double(max(batchSize * featuresPerSample, 1))
        switch store {
        case .floats:
            let values = tensor.scalars
            let mean = values.reduce(0.0) { $0 + Double($1) } / count
            let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / count
            return (mean, variance)
        case .bytes(let bytes, let table):
            // A histogram of the byte values seen: 256 terms instead of one per pixel.
            var histogram = [Int](repeating: 0, count: 256)
            let width = featuresPerSample
            bytes.withUnsafeBufferPointer { bytes in
                for row in 0..<batchSize {
                    let start = storedRow(row) * width
                    for j in start..<start + width { histogram[Int(bytes[j])] += 1 }
                }
            }
            let mean = histogram.indices.reduce(0.0) { $0 + Double(histogram[$1]) * Double(table[$1]) } / count
            let variance = histogram.indices.reduce(0.0) { total, value in
                let deviation = Double(table[value]) - mean
                return total + Double(histogram[value]) * deviation * deviation
            } / count
            return (mean, variance)
        }
    }
}

extension Samples: Equatable {
    /// Equal when they hold the same values in the same shape, however they are stored.
    public static func == (a: Samples, b: Samples) -> Bool {
        if a.shape != b.shape { return false }
        if a.store == b.store && a.rowMap == b.rowMap { return true }
        return a.tensor == b.tensor
    }
}
