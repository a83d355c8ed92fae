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
        // A new file, never one already there nor through a symbolic link someone planted.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Error(message: "cannot write \(path): \(FileProblem.words(errno: errno))") }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        defer { try? handle.close() }
        let receiver = Receiver(handle: handle, timeout: timeout, progress: progress)
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
        let timeout: TimeInterval
        let progress: @Sendable (Int, Int?) -> Void
        let finished = DispatchSemaphore(value: 0)
        var failure: Message?
        var received = 0
        var expected: Int?

        init(handle: FileHandle, timeout: TimeInterval, progress: @escaping @Sendable (Int, Int?) -> Void) {
            self.handle = handle
            self.timeout = timeout
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
            if failure == nil, let error {
                // Foundation's sentences are English-only and vague; the usual causes in plain words.
                switch (error as? URLError)?.code {
                case .timedOut?: failure = "no data for \(Int(timeout)) seconds: the server stopped answering"
                case .cannotConnectToHost?: failure = "the connection was refused: nothing answers at that address"
                case .httpTooManyRedirects?: failure = "too many redirects: the server sends the request round in a loop"
                case .cannotFindHost?, .dnsLookupFailed?: failure = "the server's name cannot be found (is this machine offline?)"
                case .networkConnectionLost?: failure = "the connection was lost after \(received) bytes"
                default: failure = Message(verbatim: error.localizedDescription)
                }
            }
            if failure == nil, let expected, received < expected {
                failure = "the connection closed after \(received) of \(expected) bytes" as Message
            }
            finished.signal()
        }
    }
}
