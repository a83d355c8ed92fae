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
        PendingTemporary.installHandlers()
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        removeAbandonedTemporaries(of: name, in: folder)
        let pid = getpid()
        // The name is registered for removal before the file exists, then created exclusively
        // (O_EXCL: never an existing file, nor through a symbolic link): a SIGTERM at any moment,
        // on any thread, finds either no file yet or one it removes.
        var descriptor: Int32 = -1
        var template: [CChar] = []
        for _ in 0..<16 {
            template = Array((folder + "/." + name + ".tmp-\(pid)-" + randomSuffix()).utf8CString)
            PendingTemporary.set(template)
            descriptor = open(template, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else {
            let creationError = errno
            PendingTemporary.clear()
            let missing = creationError == ENOENT || creationError == ENOTDIR
            throw Error(path: path, reason: missing ? Message("there is no folder \(folder)") : FileProblem.words(errno: creationError))
        }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var failure: Message?
        defer {
            if failure != nil { unlink(temporary) }
            PendingTemporary.clear()
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

    /// A process killed (SIGKILL) between creating its temporary file and renaming it leaves the
    /// file behind; its name carries the writer's PID, so the next write of the same name removes
    /// the ones whose writer is gone.
    private static func removeAbandonedTemporaries(of name: String, in folder: String) {
        let prefix = "." + name + ".tmp-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count).prefix { $0 != "-" }), pid > 0 else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH { unlink(folder + "/" + entry) }
        }
    }

    /// Six characters from the system's random bytes, as mkstemp would choose.
    private static func randomSuffix() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<6).map { _ in letters[Int(generator.next() % UInt64(letters.count))] })
    }

    private static func currentUmask() -> mode_t {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }
}

/// The temporary file a write has open, removed if SIGTERM, SIGHUP or an unhandled SIGINT ends the
/// process before the rename: a fixed C buffer, since a signal handler may only call async-signal-safe
/// functions (unlink, signal, raise) and must not allocate.
private enum PendingTemporary {
    nonisolated(unsafe) static let path = UnsafeMutablePointer<CChar>.allocate(capacity: Int(PATH_MAX) + 1)
    nonisolated(unsafe) static var active: sig_atomic_t = 0

    static func set(_ template: [CChar]) {
        active = 0   // while the name changes, a handler removes nothing
        let count = min(template.count, Int(PATH_MAX))
        template.withUnsafeBufferPointer { path.update(from: $0.baseAddress!, count: count) }
        path[count] = 0
        active = 1
    }

    static func clear() { active = 0 }

    nonisolated(unsafe) static var installed = false

    /// Once: SIGTERM and SIGHUP always; SIGINT only when nothing else handles it (the REPL does,
    /// to stop training, and keeps its handler).
    static func installHandlers() {
        guard !installed else { return }
        installed = true
        _ = path   // allocated now, not first inside the handler
        let handler: @convention(c) (Int32) -> Void = { signal in
            if PendingTemporary.active != 0 { unlink(PendingTemporary.path) }
            Glibc.signal(signal, SIG_DFL)
            raise(signal)
        }
        Glibc.signal(SIGTERM, handler)
        Glibc.signal(SIGHUP, handler)
        // A parent may have started this process with these blocked (a test runner's threads
        // do); blocked, a SIGTERM would wait until the process ended by itself.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGTERM, SIGHUP] { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        let previous = Glibc.signal(SIGINT, handler)
        if unsafeBitCast(previous, to: Int.self) != unsafeBitCast(SIG_DFL, to: Int.self) { Glibc.signal(SIGINT, previous) }
    }
}
