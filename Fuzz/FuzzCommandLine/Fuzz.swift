import CFuzz
import Foundation
import Notebook

/// Any bytes as one command line: parsed and checked against its command's spec, as the REPL
/// does before running it — an error with a caret, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    guard let bytes else { return 0 }
    let line = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    do {
        try Session.check(line, parameters: ["epochs": "3", "lr": "0.1"])
    } catch let error as CommandError {
        _ = error.description
    } catch {}
    return 0
}

@_cdecl("FuzzCommandLine_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var (count, arguments) = (argc, argv)
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzz($0, $1) }
}
