import Crypto
import Foundation

/// JSON objects as the messaging protocol carries them.
typealias JSONObject = [String: Any]

/// One message of the Jupyter messaging protocol (5.3) as it crosses a socket:
///
///     [routing identities…, "<IDS|MSG>", HMAC-SHA256 hex, header, parent_header, metadata, content, buffers…]
///
/// The signature covers the four JSON frames exactly as sent. A message whose signature is wrong
/// is refused before its JSON is read.
struct WireMessage {
    var identities: [Data] = []
    var header: JSONObject
    var parentHeader: JSONObject = [:]
    var metadata: JSONObject = [:]
    var content: JSONObject
    var buffers: [Data] = []

    var type: String { header["msg_type"] as? String ?? "" }

    static let delimiter = Data("<IDS|MSG>".utf8)

    enum Problem: Error, Equatable, CustomStringConvertible {
        case noDelimiter, tooFewFrames, badSignature, notJSON

        var description: String {
            switch self {
            case .noDelimiter: "no <IDS|MSG> delimiter"
            case .tooFewFrames: "too few frames"
            case .badSignature: "its signature is wrong"
            case .notJSON: "a part is not a JSON object"
            }
        }
    }

    /// Reads `frames`, checking the signature with `signer`.
    init(frames: [Data], signer: Signer) throws {
        guard let split = frames.firstIndex(of: Self.delimiter) else { throw Problem.noDelimiter }
        let rest = Array(frames[(split + 1)...])
        guard rest.count >= 5 else { throw Problem.tooFewFrames }
        guard signer.verifies(signature: rest[0], of: Array(rest[1...4])) else { throw Problem.badSignature }
        func object(_ frame: Data) throws -> JSONObject {
            guard let object = try? JSONSerialization.jsonObject(with: frame) as? JSONObject else { throw Problem.notJSON }
            return object
        }
        identities = Array(frames[..<split])
        header = try object(rest[1])
        parentHeader = try object(rest[2])
        metadata = try object(rest[3])
        content = try object(rest[4])
        buffers = Array(rest.dropFirst(5))
    }

    init(identities: [Data] = [], header: JSONObject, parentHeader: JSONObject, content: JSONObject) {
        (self.identities, self.header, self.parentHeader, self.content) = (identities, header, parentHeader, content)
    }

    /// The frames to send, signed.
    func frames(signer: Signer) -> [Data] {
        let parts = [header, parentHeader, metadata, content].map(Self.encode)
        return identities + [Self.delimiter, Data(signer.signature(of: parts).utf8)] + parts + buffers
    }

    static func encode(_ object: JSONObject) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}

/// Signs and checks messages with the connection file's key (HMAC-SHA256). An empty key means the
/// connection is not authenticated: signatures are empty and not checked, as the protocol says.
struct Signer {
    let key: SymmetricKey?

    init(key: String) {
        self.key = key.isEmpty ? nil : SymmetricKey(data: Data(key.utf8))
    }

    func signature(of parts: [Data]) -> String {
        guard let key else { return "" }
        var hmac = HMAC<SHA256>(key: key)
        for part in parts { hmac.update(data: part) }
        return hmac.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Compared in constant time, as Jupyter's `compare_digest` does on the hex digests, so a
    /// forger learns nothing from timing.
    func verifies(signature: Data, of parts: [Data]) -> Bool {
        guard key != nil else { return true }
        let expected = Data(self.signature(of: parts).utf8)
        guard signature.count == expected.count else { return false }
        return zip(signature, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
