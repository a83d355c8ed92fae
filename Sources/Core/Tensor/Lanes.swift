/// Element-wise passes over contiguous `Float` storage, sixteen lanes at a time: one AVX-512
/// register (four SSE registers on a baseline x86-64 build). A kernel is written once, for
/// `Lanes`; the last, shorter chunk is read zero-padded and written back partially, so no scalar
/// copy of the formula is needed. Lane arithmetic is IEEE per lane, in the order written, so a
/// vectorised kernel gives bit-for-bit the numbers of the scalar loop it replaced.
typealias Lanes = SIMD16<Float>

@inline(__always)
func loadLanes(_ p: UnsafePointer<Float>, _ i: Int, _ end: Int) -> Lanes {
    if i + 16 <= end { return UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self) }
    return tailLanes(p, i, end)
}

@inline(__always)
func storeLanes(_ lanes: Lanes, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ end: Int) {
    if i + 16 <= end {
        UnsafeMutableRawPointer(p + i).storeBytes(of: lanes, as: Lanes.self)
        return
    }
    storeTail(lanes, p, i, end)
}

// The short last chunk goes through memory (kept out of line, so the main loop stays a
// straight run of vector instructions).
@inline(never)
func tailLanes(_ p: UnsafePointer<Float>, _ i: Int, _ end: Int) -> Lanes {
    var lanes = Lanes(repeating: 0)
    withUnsafeMutableBytes(of: &lanes) { $0.baseAddress!.copyMemory(from: p + i, byteCount: (end - i) * 4) }
    return lanes
}

@inline(never)
func storeTail(_ lanes: Lanes, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ end: Int) {
    withUnsafeBytes(of: lanes) { UnsafeMutableRawPointer(p + i).copyMemory(from: $0.baseAddress!, byteCount: (end - i) * 4) }
}

/// A lane pass over `count` elements, split across the worker threads only when it is long
/// enough (`minimum`) to pay for the hand-off. For a pass that only streams memory the hand-off is
/// dear: the other core's half of the array has to travel back to the core that reads it next.
@inline(__always)
func lanePass(_ count: Int, minimum: Int, _ body: (Int, Int) -> Void) {
    parallelFor(count, minimum: minimum) { range in
        for i in stride(from: range.lowerBound, to: range.upperBound, by: 16) { body(i, range.upperBound) }
    }
}
