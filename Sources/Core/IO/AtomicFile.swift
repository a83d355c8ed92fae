import Foundation

/// Files written whole or not at all: the bytes go to a new temporary file beside the target
/// (created exclusively, never through a symbolic link), are flushed to the disk, and the file is
/// renamed over the target; then the folder itself is flushed, so the rename survives a power
/// cut. A reader — or a process killed at any moment — sees the old file or the new one, never half.
public enum AtomicFile {
    public struct Error: Explained, Equatable {
        public let path: String
        public let reason: Message
        public var message: Message { "cannot write \(path): \(reason)" }
    }

    public static func write(_ data: Data, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var template = Array((folder + "/." + name + ".tmp-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }   // O_CREAT|O_EXCL, mode 0600
        guard descriptor >= 0 else {
            let missing = errno == ENOENT || errno == ENOTDIR
            throw Error(path: path, reason: missing ? Message("there is no folder \(folder)") : FileProblem.words(errno: errno))
        }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var failure: Message?
        defer {
            if failure != nil { unlink(temporary) }
        }
        func fail(_ what: Message) -> Error {
            let reason: Message = "\(what): \(FileProblem.words(errno: errno))"
            failure = reason
            return Error(path: path, reason: reason)
        }
        let written = data.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let count = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 { if errno == EINTR { continue }; return false }
                offset += count
            }
            return true
        }
        guard written else { close(descriptor); throw fail("writing") }
        fchmod(descriptor, 0o644 & ~currentUmask())
        guard fsync(descriptor) == 0 else { close(descriptor); throw fail("flushing") }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw fail("renaming into place") }
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    private static func currentUmask() -> mode_t {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }
}
