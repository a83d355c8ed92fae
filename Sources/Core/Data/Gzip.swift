import CZlib
import Foundation

public enum Gzip {
    /// gzip files start 1f 8b.
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    public struct Error: Explained, Equatable {
        public let message: Message
    }

    /// Inflates a gzip (or zlib) stream, every member of a multi-member file in turn (as `gzip -d`
    /// does), and at most `limit` bytes of it: a caller that knows how much it needs stops a small
    /// file that inflates to gigabytes there. A truncated or corrupted stream is an error, never a crash.
    public static func decompress(_ compressed: Data, upTo limit: Int = .max) throws -> Data {
        var stream = z_stream()
        guard caderno_inflate_init(&stream) == Z_OK else { throw Error(message: "zlib could not start inflating") }
        defer { inflateEnd(&stream) }

        // gzip's trailer holds the size mod 2³², a good first guess for the output buffer (but not
        // trusted: it is capped, and the buffer grows as needed).
        var capacity = compressed.count * 4
        if compressed.count >= 18 {
            let stated = compressed.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
            if stated > 0 { capacity = stated }
        }
        capacity = max(1, min(capacity, limit, 1 << 28))
        var output = Data(count: capacity)
        var produced = 0
        var status = Z_OK
        try compressed.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            let start = input.bindMemory(to: Bytef.self).baseAddress
            stream.next_in = UnsafeMutablePointer(mutating: start)
            stream.avail_in = uInt(input.count)
            while produced < limit {
                if produced == output.count { output.count = min(limit, output.count + max(output.count, 1 << 16)) }
                status = output.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
                    stream.next_out = buffer.bindMemory(to: Bytef.self).baseAddress! + produced
                    stream.avail_out = uInt(buffer.count - produced)
                    let result = inflate(&stream, Z_NO_FLUSH)
                    produced = buffer.count - Int(stream.avail_out)
                    return result
                }
                if status == Z_STREAM_END {
                    // Another member follows (files joined with `cat a.gz b.gz`), or zero padding, or junk.
                    let rest = UnsafeRawBufferPointer(start: stream.next_in, count: Int(stream.avail_in))
                    if rest.count >= 2 && rest[0] == 0x1F && rest[1] == 0x8B {
                        guard inflateReset(&stream) == Z_OK else { break }
                        status = Z_OK
                        continue
                    }
                    if !rest.allSatisfy({ $0 == 0 }) {
                        throw Error(message: "\(rest.count) bytes after the end of the gzip stream are not gzip")
                    }
                    break
                }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    throw Error(message: "the gzip stream is truncated (it ends after \(compressed.count) bytes)")
                }
                if status == Z_BUF_ERROR { status = Z_OK }   // output full: grow and go on
                guard status == Z_OK else { break }
            }
        }
        guard status == Z_STREAM_END || (status == Z_OK && produced >= limit) else {
            let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw Error(message: "the gzip stream is corrupted (\(reason))")
        }
        output.count = min(produced, limit)
        return output
    }

    /// Compresses `data` into a gzip stream (tests build their fixtures with it).
    public static func compress(_ data: Data, level: Int32 = 6) throws -> Data {
        var stream = z_stream()
        guard caderno_deflate_init(&stream, level) == Z_OK else { throw Error(message: "zlib could not start deflating") }
        defer { deflateEnd(&stream) }
        var output = Data(count: Int(deflateBound(&stream, uLong(data.count))) + 32)
        let status = data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            output.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) -> Int32 in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = buffer.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(buffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw Error(message: "zlib could not deflate (status \(status))") }
        output.count = Int(stream.total_out)
        return output
    }
}
