import Core
import CFuzz
import Foundation

/// Any bytes as a .safetensors file: the header is bounds-checked before anything is trusted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    guard let bytes else { return 0 }
    _ = try? SafeTensors.decode(Data(bytes: bytes, count: count), file: "fuzz")
    return 0
}

@_cdecl("FuzzSafeTensors_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var (count, arguments) = (argc, argv)
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzz($0, $1) }
}
