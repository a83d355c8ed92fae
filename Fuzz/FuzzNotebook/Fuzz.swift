import CFuzz
import Foundation
import Notebook

/// Any text as a notebook: parsed, and what parses is written back and parsed again the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    guard let bytes else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    guard let document = try? NotebookDocument.parse(text) else { return 0 }
    guard document.text == text else { fatalError("a parsed notebook does not write back the same bytes") }
    for cell in document.cells {
        for line in cell.commands { try? Session.check(line.text, parameters: document.parameters) }
    }
    return 0
}

@_cdecl("FuzzNotebook_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var (count, arguments) = (argc, argv)
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzz($0, $1) }
}
