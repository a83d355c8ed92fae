import CEditLine
import Foundation
import Testing

/// The C shim over libedit's variadic history(): entries survive a save and a load.
@Suite struct EditLineShimTests {
    @Test func historyRoundTripsThroughAFile() throws {
        let path = NSTemporaryDirectory() + "caderno-history-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = try #require(caderno_history_open(nil, 100))
        #expect(caderno_history_enter(written, "load mnist") >= 0)
        #expect(caderno_history_enter(written, "train epochs=3") >= 0)
        #expect(caderno_history_save(written, path) == 2)
        caderno_history_close(written)

        let contents = try String(contentsOfFile: path, encoding: .utf8)
        #expect(contents.contains("train"))
        let read = try #require(caderno_history_open(nil, 100))
        defer { caderno_history_close(read) }
        #expect(caderno_history_load(read, path) == 2)
    }
}
