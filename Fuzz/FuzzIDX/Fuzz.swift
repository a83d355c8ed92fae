import Core
import CFuzz
import Foundation

/// Any bytes as an IDX file (gzip or not), read as labels and as images: an error, never a crash,
/// a hang or gigabytes of memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    guard let bytes else { return 0 }
    let data = Data(bytes: bytes, count: count)
    for rank in [nil, 1, 3] { _ = try? IDXFile(data: data, name: "fuzz", rank: rank) }
    return 0
}

@_cdecl("FuzzIDX_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var (count, arguments) = (argc, argv)
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzz($0, $1) }
}
