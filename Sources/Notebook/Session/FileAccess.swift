import Core
import Foundation

/// Where commands may write files. A person at the REPL writes anywhere; a notebook is code
/// someone else may have written, so `caderno run` lets it write only inside its own folder (or
/// `--output-dir`), as a browser keeps a page's downloads in one place: absolute paths, `..` and
/// symbolic links that lead out are refused, and `--allow-writes-anywhere` lifts the rule.
public enum WritePolicy: Sendable, Equatable {
    case anywhere
    /// Only inside these folders (absolute, symbolic links resolved).
    case inside([String])
}

extension Session {
    /// A path as typed, relative to where the session's relative paths start: the working directory
    /// at the REPL, the notebook's folder in `caderno run` (for writes, `--output-dir` when given).
    /// `~` is the environment's HOME.
    func resolve(_ path: String, forWriting: Bool = true) -> String {
        let expanded = expandingHome(path)
        let base = (forWriting ? outputDirectory : nil) ?? notebookDirectory ?? workingDirectory
        return ((expanded.hasPrefix("/") ? expanded : base + "/" + expanded) as NSString).standardizingPath
    }

    /// A file or folder to read: from the notebook's folder, except a file the notebook wrote into
    /// `--output-dir` (a `load model` after its `save`), which is read from there.
    func resolveForReading(_ path: String) -> String {
        let written = resolve(path)
        var isFolder: ObjCBool = false
        if outputDirectory != nil, FileManager.default.fileExists(atPath: written, isDirectory: &isFolder), !isFolder.boolValue {
            return written
        }
        return resolve(path, forWriting: false)
    }

    private func expandingHome(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }

    /// The absolute path a command may write `typed` to, or an error that says why not: a folder,
    /// something that is not a plain file, a read-only file, a symbolic link (Caderno never writes
    /// through one), or a place outside what the write policy allows.
    func writablePath(_ typed: String) throws -> String {
        let path = resolve(typed)
        var info = stat()
        if lstat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
                throw ValueProblem(tr("\(typed) is a symbolic link (to \(target)); Caderno does not write through links: remove it or choose another name"))
            case S_IFDIR:
                throw ValueProblem(tr("\(typed) is a folder"))
            case S_IFREG:
                // Root may write anything, so the permission bits are read rather than access(2) asked.
                if info.st_mode & 0o222 == 0 || access(path, W_OK) != 0 {
                    throw ValueProblem(tr("\(typed) is read-only: make it writable, or choose another name"))
                }
            default:
                throw ValueProblem(tr("\(typed) is not a plain file (a device, a pipe or a socket)"))
            }
        }
        try requireInside((path as NSString).deletingLastPathComponent, typed: typed)
        return path
    }

    /// A folder a command may write into (`load mnist dir=` downloads there, creating it if need be).
    func writableFolder(_ typed: String) throws -> String {
        let path = resolve(typed)
        try requireInside(path, typed: typed)
        return path
    }

    /// Refuses `folder` when the write policy keeps writes elsewhere. The nearest folder that
    /// exists is judged, links resolved: a folder still to be created inside is inside.
    private func requireInside(_ folder: String, typed: String) throws {
        guard case .inside(let roots) = writePolicy else { return }
        var existing = folder
        while realPath(existing) == nil && existing != "/" { existing = (existing as NSString).deletingLastPathComponent }
        guard let real = realPath(existing) else { return }
        guard roots.compactMap(realPath).contains(where: { real == $0 || real.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
            throw ValueProblem(tr("\(typed) is outside \(outputDirectory != nil ? tr("the output folder") : tr("the notebook's folder")) (\(roots.first ?? "?")): a notebook writes only there — give caderno run --output-dir DIR, or --allow-writes-anywhere if you trust it"))
        }
    }

    private func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
