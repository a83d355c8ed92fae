import Foundation

/// A fresh directory under the system's temporary folder, removed when the value is released.
public final class TemporaryDirectory {
    public let path: String

    public init() throws {
        path = NSTemporaryDirectory() + "caderno-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `data` at `name` below this directory (creating folders) and returns the full path.
    @discardableResult
    public func write(_ name: String, _ data: Data) -> String {
        let full = path + "/" + name
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        precondition(FileManager.default.createFile(atPath: full, contents: data), "cannot write \(full)")
        return full
    }
}

/// Python with the packages a test needs: `$CADERNO_PYTHON`, or the virtual environment that
/// `make test` creates in `.build/venv`.
public enum PythonTools {
    public static func interpreter(with module: String) -> String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [ProcessInfo.processInfo.environment["CADERNO_PYTHON"], root.path + "/.build/venv/bin/python"].compactMap { $0 }
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path) && ((try? run(path, "import \(module)"))?.status == 0)
        }
    }

    public static func run(_ python: String, _ script: String, _ arguments: String...) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script] + arguments
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try launch(process)
        let out = output.fileHandleForReading.readDataToEndOfFile(), err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}

/// `process.run()`, tried again when the spawn itself fails with EBADF. Foundation's `Process`
/// asks posix_spawn to close every descriptor it saw open; a test on another thread closing one
/// of them in between makes the spawn fail before the child exists (a fresh-clone CI run failed
/// so, in a test that had nothing wrong). Nothing has run then, so running again is safe.
public func launch(_ process: Process) throws {
    for attempt in 1... {
        do {
            return try process.run()
        } catch let error as NSError where attempt < 5 && badDescriptor(error) {
            usleep(10_000)
        }
    }
}

private func badDescriptor(_ error: NSError) -> Bool {
    let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError
    return (error.domain == NSPOSIXErrorDomain && error.code == Int(EBADF))
        || (underlying?.domain == NSPOSIXErrorDomain && underlying?.code == Int(EBADF))
}
