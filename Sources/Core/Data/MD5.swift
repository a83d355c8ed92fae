import Foundation

/// MD5 (RFC 1321), to check downloads against the published checksums of the datasets.
/// Not for security: it only tells a complete, correct file from a damaged one.
public struct MD5 {
    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    public init() {}

    public mutating func update(_ data: some DataProtocol) {
        length &+= UInt64(data.count)
        pending.append(contentsOf: data)
        let whole = pending.count / 64 * 64
        guard whole > 0 else { return }
        pending.withUnsafeBufferPointer { bytes in
            for start in stride(from: 0, to: whole, by: 64) { compress(bytes.baseAddress! + start) }
        }
        pending.removeFirst(whole)
    }

    /// The digest as 32 lowercase hex digits.
    public mutating func finalize() -> String {
        let bits = length &* 8
        var tail: [UInt8] = [0x80]
        tail += [UInt8](repeating: 0, count: (55 - Int(length % 64) + 64) % 64)
        tail += (0..<8).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
        let saved = length
        update(tail)
        length = saved
        return [state.0, state.1, state.2, state.3]
            .flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
            .map { String(format: "%02x", $0) }
            .joined()
    }

    public static func hex(of data: some DataProtocol) -> String {
        var md5 = MD5()
        md5.update(data)
        return md5.finalize()
    }

    private static let shifts: [UInt32] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
    private static let constants: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }

    private mutating func compress(_ block: UnsafePointer<UInt8>) {
        var words = [UInt32](repeating: 0, count: 16)
        for i in 0..<16 {
            words[i] = (0..<4).reduce(0) { $0 | UInt32(block[i * 4 + $1]) << (8 * UInt32($1)) }
        }
        var (a, b, c, d) = state
        for i in 0..<64 {
            let round = i / 16
            var f: UInt32
            let g: Int
            switch round {
            case 0: f = (b & c) | (~b & d); g = i
            case 1: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
            case 2: f = b ^ c ^ d; g = (3 * i + 5) % 16
            default: f = c ^ (b | ~d); g = (7 * i) % 16
            }
            f = f &+ a &+ Self.constants[i] &+ words[g]
            a = d; d = c; c = b
            let s = Self.shifts[round * 4 + i % 4]
            b = b &+ (f << s | f >> (32 - s))
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}
