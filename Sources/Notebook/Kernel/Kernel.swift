import CEditLine
import Foundation
import Synchronization

/// Caderno as a Jupyter kernel: the command language over the messaging protocol (5.3), so
/// JupyterLab, VS Code and nbclient run cells of Caderno commands. A cell is one or more command
/// lines run in one `Session` — the REPL's and the notebook runner's — and each command's blocks
/// go out as `display_data`, pictures as SVG.
///
/// Threads: the main thread serves the shell channel and runs cells; one thread answers the
/// heartbeat and one the control channel, so `shutdown_request` and `interrupt_request` are heard
/// while a cell trains. IOPub is shared, under a lock. Interrupts arrive as SIGINT
/// (`interrupt_mode: signal`) or as a control message; both raise the flag the training loop
/// polls after every batch, as Ctrl-C does in the REPL.
public final class Kernel: @unchecked Sendable {
    let session: Session
    let signer: Signer
    let context: ZMQContext
    let shell, control, stdin, iopub, heartbeat: ZMQSocket
    private let iopubLock = NSLock()
    /// Every message's `session` field: this kernel process.
    let id = UUID().uuidString.lowercased()
    let banner: String
    /// Set by `shutdown_request`: the loops end, the sockets close, the process leaves.
    let stopping = Atomic<Bool>(false)

    // The shell thread's own.
    var executionCount = 0
    /// Each stored cell: its execution count and its code, for `history_request`.
    var history: [(count: Int, code: String)] = []

    public init(connectionFile: String, session: Session = Session()) throws {
        let connection = try KernelConnection.read(connectionFile)
        self.session = session
        signer = Signer(key: connection.key)
        context = try ZMQContext()
        shell = try ZMQSocket(context, .router)
        control = try ZMQSocket(context, .router)
        stdin = try ZMQSocket(context, .router)
        iopub = try ZMQSocket(context, .publisher)
        heartbeat = try ZMQSocket(context, .reply)
        try shell.bind(connection.endpoint(connection.shellPort))
        try control.bind(connection.endpoint(connection.controlPort))
        try stdin.bind(connection.endpoint(connection.stdinPort))
        try iopub.bind(connection.endpoint(connection.iopubPort))
        try heartbeat.bind(connection.endpoint(connection.heartbeatPort))
        banner = tr("Caderno \(cadernoVersion) — commands for studying neural networks on MNIST. Type 'help' for the list, Tab to complete, Shift-Tab for a command's help.")
    }

    /// Serves until `shutdown_request`. The caller's language (`Language.current`) is the kernel's.
    public func run() {
        caderno_install_interrupt_handler()
        session.interruptRequested = { caderno_take_interrupt() != 0 }
        let heartbeatDone = serveInBackground(heartbeat) { [heartbeat] frames in try? heartbeat.send(frames) }
        let controlDone = serveInBackground(control) { [self] frames in handle(frames, from: control, channel: .control) }
        publish("status", ["execution_state": "starting"], parent: [:])
        while !stopping.load(ordering: .acquiring) {
            guard ZMQSocket.poll([shell], milliseconds: 100)[0], let frames = try? shell.receive() else { continue }
            handle(frames, from: shell, channel: .shell)
        }
        heartbeatDone.wait()
        controlDone.wait()
        for socket in [shell, control, stdin, iopub, heartbeat] { socket.close() }
        context.terminate()
    }

    /// A thread that passes each message `socket` receives to `serve` until the kernel stops.
    private func serveInBackground(_ socket: ZMQSocket, _ serve: @escaping @Sendable ([Data]) -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        Thread { [self] in
            while !stopping.load(ordering: .acquiring) {
                if ZMQSocket.poll([socket], milliseconds: 100)[0], let frames = try? socket.receive() { serve(frames) }
            }
            done.signal()
        }.start()
        return done
    }

    // MARK: - Messages

    enum Channel: String { case shell, control }

    func handle(_ frames: [Data], from socket: ZMQSocket, channel: Channel) {
        guard let request = read(frames, channel: channel) else { return }
        handle(request, from: socket, channel: channel)
    }

    /// The message, or nil (logged) when it is malformed or its signature is wrong.
    func read(_ frames: [Data], channel: Channel) -> WireMessage? {
        do {
            return try WireMessage(frames: frames, signer: signer)
        } catch {
            log("refused a message on the \(channel) channel: \(error)")
            return nil
        }
    }

    func handle(_ request: WireMessage, from socket: ZMQSocket, channel: Channel) {
        publish("status", ["execution_state": "busy"], parent: request.header)
        defer { publish("status", ["execution_state": "idle"], parent: request.header) }
        let type = request.type
        // The control thread answers only what must be heard during a cell; the rest is the shell's.
        if channel == .control && !["shutdown_request", "interrupt_request", "kernel_info_request"].contains(type) {
            log("ignored \(type) on control")
            return
        }
        switch type {
        case "kernel_info_request": reply(to: request, on: socket, kernelInfo)
        case "execute_request": reply(to: request, on: socket, execute(request))
        case "complete_request": reply(to: request, on: socket, complete(request.content))
        case "inspect_request": reply(to: request, on: socket, inspect(request.content))
        case "is_complete_request": reply(to: request, on: socket, isComplete(request.content))
        case "history_request": reply(to: request, on: socket, historyReply(request.content))
        case "comm_info_request": reply(to: request, on: socket, ["status": "ok", "comms": JSONObject()])
        case "interrupt_request":
            caderno_request_interrupt()
            reply(to: request, on: socket, ["status": "ok"])
        case "shutdown_request":
            let restart = request.content["restart"] as? Bool ?? false
            reply(to: request, on: socket, ["status": "ok", "restart": restart])
            publish("shutdown_reply", ["status": "ok", "restart": restart], parent: request.header)
            caderno_request_interrupt()   // a cell that trains stops after its batch
            stopping.store(true, ordering: .releasing)
        default:
            log("ignored a message of unknown type '\(type)'")
        }
    }

    var kernelInfo: JSONObject {
        [
            "status": "ok", "protocol_version": "5.3",
            "implementation": "caderno", "implementation_version": cadernoVersion,
            "language_info": KernelSpec.languageInfo,
            "banner": banner,
            "help_links": [
                ["text": "MNIST (LeCun, Cortes, Burges)", "url": "https://yann.lecun.com/exdb/mnist/"],
                ["text": "Keras: simple MNIST convnet", "url": "https://keras.io/examples/vision/mnist_convnet/"],
                ["text": "Jupyter messaging protocol", "url": "https://jupyter-client.readthedocs.io/en/stable/messaging.html"],
            ],
        ]
    }

    // MARK: - Sending

    func header(_ type: String) -> JSONObject {
        ["msg_id": UUID().uuidString.lowercased(), "session": id, "username": "caderno", "msg_type": type,
         "version": "5.3", "date": Self.timestamp()]
    }

    func reply(to request: WireMessage, on socket: ZMQSocket, _ content: JSONObject) {
        let type = request.type.replacingOccurrences(of: "_request", with: "_reply")
        let message = WireMessage(identities: request.identities, header: header(type), parentHeader: request.header, content: content)
        do { try socket.send(message.frames(signer: signer)) } catch { log("could not send \(type): \(error)") }
    }

    /// Sends on IOPub, to every front end listening, under `parent`'s header.
    func publish(_ type: String, _ content: JSONObject, parent: JSONObject) {
        let message = WireMessage(identities: [Data("kernel.\(id).\(type)".utf8)], header: header(type), parentHeader: parent, content: content)
        iopubLock.withLock {
            do { try iopub.send(message.frames(signer: signer)) } catch { log("could not publish \(type): \(error)") }
        }
    }

    func log(_ text: String) {
        FileHandle.standardError.write(Data("caderno kernel: \(text)\n".utf8))
    }

    /// ISO 8601 with microseconds, UTC, as Jupyter writes its dates.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1000)
    }
}

/// The connection file Jupyter writes for a kernel it starts: where to bind, and the signing key.
struct KernelConnection: Decodable {
    let transport: String
    let ip: String
    let key: String
    let signatureScheme: String
    let shellPort, iopubPort, stdinPort, controlPort, heartbeatPort: Int

    enum CodingKeys: String, CodingKey {
        case transport, ip, key
        case signatureScheme = "signature_scheme"
        case shellPort = "shell_port", iopubPort = "iopub_port", stdinPort = "stdin_port"
        case controlPort = "control_port", heartbeatPort = "hb_port"
    }

    func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "tcp://\(ip):\(port)"
    }

    /// Reads `path`, with a one-line error naming the file and what is wrong in it.
    static func read(_ path: String) throws -> KernelConnection {
        guard let data = FileManager.default.contents(atPath: path) else { throw KernelError(tr("\(path): cannot read the connection file")) }
        let connection: KernelConnection
        do {
            connection = try JSONDecoder().decode(KernelConnection.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw KernelError(tr("\(path): the connection file has no '\(key.stringValue)'"))
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw KernelError(tr("\(path): '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type in the connection file"))
        } catch {
            throw KernelError(tr("\(path): the connection file is not JSON"))
        }
        guard connection.signatureScheme == "hmac-sha256" else {
            throw KernelError(tr("\(path): signature scheme '\(connection.signatureScheme)' is not supported (only hmac-sha256)"))
        }
        guard ["tcp", "ipc"].contains(connection.transport) else {
            throw KernelError(tr("\(path): transport '\(connection.transport)' is not supported (tcp or ipc)"))
        }
        return connection
    }
}

/// What stops the kernel from starting, in one line naming the file.
public struct KernelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
