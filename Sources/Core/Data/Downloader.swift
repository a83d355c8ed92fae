import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Blocking HTTP(S) download to a file, reporting bytes as they arrive.
enum Downloader {
    struct Error: Explained {
        let message: Message
    }

    static func download(_ address: String, to path: String, timeout: TimeInterval = 60,
                         progress: @escaping @Sendable (Int, Int?) -> Void) throws {
        guard let url = URL(string: address) else { throw Error(message: "not a URL") }
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw Error(message: "cannot write \(path)")
        }
        defer { try? handle.close() }
        let receiver = Receiver(handle: handle, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: url).resume()
        receiver.finished.wait()
        if let failure = receiver.failure { throw Error(message: "\(failure)") }
    }

    /// Streams the body to the file; the semaphore signals the end, with `failure` set on error.
    private final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let handle: FileHandle
        let progress: @Sendable (Int, Int?) -> Void
        let finished = DispatchSemaphore(value: 0)
        var failure: Message?
        var received = 0
        var expected: Int?

        init(handle: FileHandle, progress: @escaping @Sendable (Int, Int?) -> Void) {
            self.handle = handle
            self.progress = progress
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                failure = "HTTP \(http.statusCode)"
                completionHandler(.cancel)
                return
            }
            expected = response.expectedContentLength > 0 ? Int(response.expectedContentLength) : nil
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            do {
                try handle.write(contentsOf: data)
                received += data.count
                progress(received, expected)
            } catch {
                failure = "cannot write: \(FileProblem(error))" as Message
                dataTask.cancel()
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Swift.Error)?) {
            if failure == nil, let error { failure = Message(verbatim: error.localizedDescription) }
            if failure == nil, let expected, received < expected {
                failure = "the connection closed after \(received) of \(expected) bytes" as Message
            }
            finished.signal()
        }
    }
}
