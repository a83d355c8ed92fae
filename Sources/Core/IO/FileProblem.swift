import Foundation

/// What went wrong with a file, in plain words ("no such file", "is a folder", "permission
/// denied"), instead of Foundation's "The operation could not be completed".
public struct FileProblem: Explained, Sendable {
    public let message: Message

    public init(_ error: Error) {
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain {
            message = Self.words(errno: Int32(error.code))
        } else if let underlying = (error.userInfo[NSUnderlyingErrorKey] as? Error).map({ $0 as NSError }),
                  underlying.domain == NSPOSIXErrorDomain {
            message = Self.words(errno: Int32(underlying.code))
        } else {
            switch CocoaError.Code(rawValue: error.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: message = "no such file"
            case .fileReadNoPermission, .fileWriteNoPermission: message = "permission denied"
            case .fileReadInapplicableStringEncoding, .fileReadCorruptFile: message = "it is not UTF-8 text"
            case .fileWriteOutOfSpace: message = "the disk is full"
            default: message = Message(verbatim: error.localizedDescription)
            }
        }
    }

    /// What stops `path` being read as a file, said before Foundation is asked (it blocks forever
    /// on a pipe, and calls that "permission denied" when it does not): nil for a plain file.
    public static func unreadable(_ path: String) -> Message? {
        var info = stat()
        guard stat(path, &info) == 0 else { return words(errno: errno) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return Message("it is a folder, not a file")
        default: return Message("it is not a plain file (a device, a pipe or a socket)")
        }
    }

    /// `strerror`'s words for the common cases, in the way the rest of Caderno says them.
    public static func words(errno code: Int32) -> Message {
        switch code {
        case ENOENT: "no such file"
        case EISDIR: "it is a folder, not a file"
        case ENOTDIR: "a part of the path is not a folder"
        case EACCES, EPERM: "permission denied"
        case ENOSPC: "the disk is full"
        case ELOOP: "the path goes round a loop of symbolic links"
        default: Message(verbatim: String(cString: strerror(code)).lowercased())
        }
    }
}
