import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The `caderno` executable built beside the test bundle (`swift build --build-tests` builds both).
let cadernoBinary: String = {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return folder.appendingPathComponent("caderno").path
}()

/// Runs `caderno` with `input` piped to it; returns the status and both outputs.
func runPiped(_ arguments: [String], input: String, environment: [String: String] = [:],
              directory: String? = nil) throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: cadernoBinary)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let (stdin, stdout, stderr) = (Pipe(), Pipe(), Pipe())
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try launch(process)
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    // Both pipes drained at once: a child that fills one while the other is read would wait forever.
    nonisolated(unsafe) var errors = Data()
    let drained = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        errors = stderr.fileHandleForReading.readDataToEndOfFile()
        drained.signal()
    }
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
}

/// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module does not export.
private func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
    _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(actions, lowest)
}

/// `caderno` on a pseudo-terminal that is its controlling terminal, as in a real session:
/// keys typed into the master side, the screen's text read back from it.
final class PseudoTerminal {
    private let master: Int32
    let pid: pid_t
    private(set) var screen = ""

    init(arguments: [String] = [], environment: [String: String], columns: UInt16 = 100) throws {
        var master: Int32 = -1, slave: Int32 = -1
        var size = winsize(ws_row: 40, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw POSIXError(.ENXIO) }
        let slavePath = String(cString: ttyname(slave))
        close(slave)
        self.master = master

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, master)
        // Opened after setsid(), the terminal becomes the child's controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        closeFrom(&actions, 3)   // nothing else this process has open leaks into the child
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new session (so the terminal becomes the controlling one), with signals as a shell
        // would leave them: none blocked, SIGINT at its default — not as the test runner has them.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | 0x80)   // 0x80: POSIX_SPAWN_SETSID
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGQUIT, SIGTSTP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = ([cadernoBinary] + arguments).map { strdup($0) } + [nil]
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0)=\($1)") } + [nil]
        defer { (argv + env).forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, cadernoBinary, &actions, &attributes, argv, env)
        guard status == 0 else { close(master); throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EIO) }
        pid = child
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(master)
    }

    func type(_ text: String) {
        _ = text.withCString { write(master, $0, strlen($0)) }
    }

    /// Reads until `text` shows up in the screen after `from` (ANSI sequences removed), or
    /// `seconds` pass. True when it showed up.
    @discardableResult
    func waitFor(_ text: String, after from: String.Index? = nil, seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if screenContains(text, after: from) { return true }
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) >= 0 else { return false }
            if descriptor.revents & Int16(POLLIN) != 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(master, &buffer, buffer.count)
                if count <= 0 { return screenContains(text, after: from) }
                screen += String(decoding: buffer.prefix(count), as: UTF8.self)
                    .replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
            } else if descriptor.revents & Int16(POLLHUP) != 0 {
                return screenContains(text, after: from)
            }
        }
        return false
    }

    var end: String.Index { screen.endIndex }

    /// Waits for the process to end; its exit status, or nil if it is still running after `seconds`.
    func exitStatus(seconds: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return (status >> 8) & 0xFF }
            waitFor("\u{0}", seconds: 0.1)   // keep draining output so the child never blocks writing
        }
        return nil
    }

    private func screenContains(_ text: String, after from: String.Index?) -> Bool {
        screen[(from ?? screen.startIndex)...].contains(text)
    }
}
