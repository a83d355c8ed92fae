import Foundation
import Testing
import TestSupport
@testable import Notebook

/// The kernel's parts that need no Jupyter: signatures, the wire format, connection files and the
/// kernel spec. The protocol itself is tested against jupyter_client and nbclient (Tests/Kernel).
struct KernelTests {
    @Test func signaturesAreHMACSHA256() {
        // RFC 4231, test case 2.
        let signer = Signer(key: "Jefe")
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        let parts = [Data("what do ya ".utf8), Data("want for nothing?".utf8)]
        #expect(signer.signature(of: parts) == expected)
        #expect(signer.verifies(signature: Data(expected.utf8), of: parts))
        #expect(!signer.verifies(signature: Data(expected.uppercased().utf8), of: parts), "hex digests compare as Jupyter's do: exactly")
        #expect(!signer.verifies(signature: Data(expected.dropLast(2).utf8) + Data("42".utf8), of: parts))
        #expect(!signer.verifies(signature: Data(expected.dropLast().utf8), of: parts), "odd length")
        #expect(!signer.verifies(signature: Data(expected.dropLast(2).utf8), of: parts), "short")
        #expect(!signer.verifies(signature: Data(String(repeating: "zz", count: 32).utf8), of: parts), "not hex")
        #expect(!signer.verifies(signature: Data(), of: parts))
        // No key: an unauthenticated connection, as the protocol allows.
        #expect(Signer(key: "").signature(of: parts) == "")
        #expect(Signer(key: "").verifies(signature: Data(), of: parts))
    }

    func message() -> WireMessage {
        WireMessage(identities: [Data("client-7".utf8)], header: ["msg_id": "1", "msg_type": "execute_request"],
                    parentHeader: [:], content: ["code": "train epochs=2\nplot loss", "silent": false])
    }

    @Test func messagesCrossTheWireAndBack() throws {
        let signer = Signer(key: "secret")
        let frames = message().frames(signer: signer)
        #expect(frames.count == 7 && frames[1] == WireMessage.delimiter)
        let read = try WireMessage(frames: frames, signer: signer)
        #expect(read.identities == [Data("client-7".utf8)] && read.type == "execute_request")
        #expect(read.content["code"] as? String == "train epochs=2\nplot loss")
        #expect(read.buffers.isEmpty)
    }

    @Test func malformedOrForgedMessagesAreRefused() {
        let signer = Signer(key: "secret")
        let frames = message().frames(signer: signer)
        func problem(_ frames: [Data], _ signer: Signer = Signer(key: "secret")) -> WireMessage.Problem? {
            do { _ = try WireMessage(frames: frames, signer: signer); return nil } catch { return error as? WireMessage.Problem }
        }
        var tampered = frames
        tampered[6] = Data(#"{"code":"save model /etc/passwd"}"#.utf8)
        #expect(problem(tampered) == .badSignature)
        #expect(problem(frames, Signer(key: "another key")) == .badSignature)
        #expect(problem(frames.filter { $0 != WireMessage.delimiter }) == .noDelimiter)
        #expect(problem(Array(frames.prefix(5))) == .tooFewFrames)
        let arrayHeader = [Data("[1]".utf8), Data("{}".utf8), Data("{}".utf8), Data("{}".utf8)]
        let notJSON = Array(frames.prefix(2)) + [Data(signer.signature(of: arrayHeader).utf8)] + arrayHeader
        #expect(problem(notJSON) == .notJSON, "signed, but the header is an array")
        #expect(problem([]) == .noDelimiter)
    }

    @Test func connectionFilesAreReadOrRefusedInOneLine() throws {
        let folder = try TemporaryDirectory()
        let good = #"{"transport": "tcp", "ip": "127.0.0.1", "key": "k", "signature_scheme": "hmac-sha256", "shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004, "hb_port": 5005, "kernel_name": "caderno"}"#
        let connection = try KernelConnection.read(folder.write("good.json", Data(good.utf8)))
        #expect(connection.endpoint(connection.controlPort) == "tcp://127.0.0.1:5004")
        func error(_ text: String?) -> String {
            let path = text.map { folder.write("bad.json", Data($0.utf8)) } ?? folder.path + "/missing.json"
            do { _ = try KernelConnection.read(path); return "" } catch { return "\(error)" }
        }
        #expect(error(good.replacingOccurrences(of: #""hb_port": 5005, "#, with: "")) == folder.path + "/bad.json: the connection file has no 'hb_port'")
        #expect(error(good.replacingOccurrences(of: "hmac-sha256", with: "hmac-md5")).hasSuffix("signature scheme 'hmac-md5' is not supported (only hmac-sha256)"))
        #expect(error(good.replacingOccurrences(of: #""tcp""#, with: #""udp""#)).hasSuffix("transport 'udp' is not supported (tcp or ipc)"))
        #expect(error(good.replacingOccurrences(of: "5001", with: #""5001""#)).hasSuffix("'shell_port' has the wrong type in the connection file"))
        #expect(error("{not json").hasSuffix("bad.json: the connection file is not JSON"))
        #expect(error(nil).hasSuffix("missing.json: cannot read the connection file"))
    }

    @Test func theSpecIsWrittenWhereJupyterLooksAndRemoved() throws {
        let folder = try TemporaryDirectory()
        let environment = ["HOME": folder.path + "/home"]
        #expect(KernelSpec.folder(.user, environment: environment) == folder.path + "/home/.local/share/jupyter/kernels/caderno")
        #expect(KernelSpec.folder(.user, environment: ["HOME": "/h", "XDG_DATA_HOME": "/x"]) == "/x/jupyter/kernels/caderno")
        #expect(KernelSpec.folder(.user, environment: ["HOME": "/h", "JUPYTER_DATA_DIR": "/j"]) == "/j/kernels/caderno")
        let installed = try KernelSpec.install(.prefix(folder.path + "/env/"), binary: "/opt/caderno/bin/caderno")
        #expect(installed == folder.path + "/env/share/jupyter/kernels/caderno")
        let spec = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: installed + "/kernel.json"))) as? [String: Any])
        #expect(spec["argv"] as? [String] == ["/opt/caderno/bin/caderno", "kernel", "-f", "{connection_file}"])
        #expect(spec["display_name"] as? String == "Caderno" && spec["language"] as? String == "caderno")
        #expect(try KernelSpec.uninstall(.prefix(folder.path + "/env")) == installed)
        #expect(!FileManager.default.fileExists(atPath: installed))
        #expect(try KernelSpec.uninstall(.prefix(folder.path + "/env")) == nil)
    }
}
