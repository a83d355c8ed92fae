/// Loops over a tensor's contiguous storage that layers and losses share: element by element,
/// row by row, and a vectorised sum. Each takes raw buffers once, so the loop body compiles to a
/// plain pass over memory.

@inline(__always)
func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
    var y = Tensor(uninitializedShape: x.shape)
    x.scalars.withUnsafeBufferPointer { x in
        y.scalars.withUnsafeMutableBufferPointer { y in
            for i in 0..<x.count { y[i] = f(x[i]) }
        }
    }
    return y
}

@inline(__always)
func zipMap(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    precondition(a.count == b.count, "element-wise shapes differ: \(a.shape) and \(b.shape)")
    var y = Tensor(uninitializedShape: a.shape)
    a.scalars.withUnsafeBufferPointer { a in
        b.scalars.withUnsafeBufferPointer { b in
            y.scalars.withUnsafeMutableBufferPointer { y in
                for i in 0..<a.count { y[i] = f(a[i], b[i]) }
            }
        }
    }
    return y
}

typealias Row = UnsafePointer<Float>
typealias MutableRow = UnsafeMutablePointer<Float>

/// Calls `body` with each row of `x` and the matching row of `output` (rows of width `featuresPerSample`).
@inline(__always)
func forEachRow(_ x: Tensor, into output: inout Tensor, _ body: (Row, MutableRow, Int) -> Void) {
    let width = x.featuresPerSample
    x.scalars.withUnsafeBufferPointer { x in
        output.scalars.withUnsafeMutableBufferPointer { out in
            for row in 0..<x.count / max(width, 1) {
                body(x.baseAddress! + row * width, out.baseAddress! + row * width, width)
            }
        }
    }
}

/// The same over two inputs of one shape.
@inline(__always)
func forEachRow(_ a: Tensor, _ b: Tensor, into output: inout Tensor, _ body: (Row, Row, MutableRow, Int) -> Void) {
    let width = a.featuresPerSample
    a.scalars.withUnsafeBufferPointer { a in
        b.scalars.withUnsafeBufferPointer { b in
            output.scalars.withUnsafeMutableBufferPointer { out in
                for row in 0..<a.count / max(width, 1) {
                    body(a.baseAddress! + row * width, b.baseAddress! + row * width, out.baseAddress! + row * width, width)
                }
            }
        }
    }
}

/// The sum of `count` floats with eight running sums side by side: a plain `sum += x[i]` loop
/// cannot be vectorized (float addition is not reassociated), so it runs at one add per latency.
@inline(__always)
func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= count {
        lanes += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var total = lanes.sum()
    while i < count {
        total += x[i]
        i += 1
    }
    return total
}
