import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.0 server on 127.0.0.1 (an ephemeral port) for download tests: nothing
/// leaves the machine. It answers each GET from `routes`, then closes the connection; it stops
/// when `stop()` is called or after `maximumRequests` requests, whichever comes first.
final class LocalHTTPServer: @unchecked Sendable {
    enum Response: Sendable {
        case file(Data)
        /// Claims `claimed` bytes but sends only `data` and closes: a connection dropped mid-file.
        case truncated(Data, claimed: Int)
        case status(Int)
        /// Sends the header, then nothing, holding the connection open: a stalled server.
        case stall
        /// 302 to another path of this server.
        case redirect(String)
    }

    let port: UInt16
    private let socket: Int32
    private let routes: [String: Response]
    private let thread: Thread

    init(routes: [String: Response], maximumRequests: Int = 64) throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        socket = fd
        self.routes = routes
        thread = Thread { [routes] in
            for _ in 0..<maximumRequests {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }   // the listening socket was closed: stop
                Self.serve(client, routes)
            }
        }
        thread.start()
    }

    func url(_ path: String = "") -> String { "http://127.0.0.1:\(port)/\(path)" }

    func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }

    deinit { stop() }

    private static func serve(_ client: Int32, _ routes: [String: Response]) {
        defer { close(client) }
        var request = [UInt8](repeating: 0, count: 4096)
        let count = recv(client, &request, request.count, 0)
        guard count > 0 else { return }
        let line = String(decoding: request.prefix(count), as: UTF8.self).split(separator: "\r\n").first ?? ""
        let path = line.split(separator: " ").dropFirst().first.map { String($0.dropFirst()) } ?? ""
        switch routes[path] ?? .status(404) {
        case .file(let data):
            send(client, header(200, length: data.count) + data)
        case .truncated(let data, let claimed):
            send(client, header(200, length: claimed) + data)
        case .status(let code):
            send(client, header(code, length: 0))
        case .stall:
            send(client, header(200, length: 1000))
            sleep(5)
        case .redirect(let target):
            send(client, Data("HTTP/1.0 302 Found\r\nLocation: /\(target)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
        }
    }

    private static func header(_ status: Int, length: Int) -> Data {
        Data("HTTP/1.0 \(status) \(status == 200 ? "OK" : "Error")\r\nContent-Length: \(length)\r\nConnection: close\r\n\r\n".utf8)
    }

    private static func send(_ client: Int32, _ data: Data) {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let sent = Glibc.send(client, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return }
                offset += sent
            }
        }
    }
}
