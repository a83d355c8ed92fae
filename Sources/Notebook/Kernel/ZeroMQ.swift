import CZMQ
import Foundation

/// The little of ZeroMQ the kernel needs: sockets that bind, send and receive multipart messages,
/// and a poll over several. A socket belongs to one thread at a time (ZeroMQ's rule); the kernel
/// gives each channel to one thread, and guards the one it shares (IOPub) with a lock.
final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    /// Ends the context: waits (up to each socket's linger) for queued messages to leave.
    func terminate() { zmq_ctx_term(handle) }
}

struct ZMQError: Error, CustomStringConvertible {
    let description: String
    static func last(_ call: String) -> ZMQError {
        ZMQError(description: "\(call): \(String(cString: zmq_strerror(zmq_errno())))")
    }
}

final class ZMQSocket: @unchecked Sendable {
    enum Kind {
        case router, publisher, reply
        var value: Int32 {
            switch self {
            case .router: ZMQ_ROUTER
            case .publisher: ZMQ_PUB
            case .reply: ZMQ_REP
            }
        }
    }

    let handle: UnsafeMutableRawPointer

    init(_ context: ZMQContext, _ kind: Kind) throws {
        guard let handle = zmq_socket(context.handle, kind.value) else { throw ZMQError.last("zmq_socket") }
        self.handle = handle
        // A reply still queued when the kernel shuts down goes out within a second, or is dropped.
        var linger: Int32 = 1000
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    }

    func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("binding \(endpoint)") }
    }

    func close() { zmq_close(handle) }

    /// Sends the frames as one message.
    func send(_ frames: [Data]) throws {
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            let sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, frame.count, flags) }
            if sent < 0 { throw ZMQError.last("zmq_send") }
        }
    }

    /// The next whole message's frames; nil when a signal interrupted the wait (Ctrl-C, SIGINT).
    func receive() throws -> [Data]? {
        var frames: [Data] = []
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            if zmq_msg_recv(&message, handle, 0) < 0 {
                if zmq_errno() == EINTR && frames.isEmpty { return nil }
                if zmq_errno() == EINTR { continue }
                throw ZMQError.last("zmq_msg_recv")
            }
            frames.append(Data(bytes: zmq_msg_data(&message), count: zmq_msg_size(&message)))
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    /// Which of `sockets` have a message waiting, after at most `milliseconds` (-1: no limit).
    /// A signal ends the wait early with none ready.
    static func poll(_ sockets: [ZMQSocket], milliseconds: Int) -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let ready = zmq_poll(&items, Int32(items.count), milliseconds)
        guard ready > 0 else { return sockets.map { _ in false } }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
