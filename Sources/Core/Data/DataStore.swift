import Foundation

/// Finds a dataset's files on disk, or downloads them.
///
/// Looks in order: an explicit directory, `$CADERNO_DATA/<name>`, `./data/<name>`,
/// `~/.cache/caderno/<name>` (`$XDG_CACHE_HOME/caderno/<name>` when set). The first directory that
/// holds all four files wins. Otherwise the files are downloaded into the explicit directory, or
/// the cache, each verified against its published MD5 and renamed into place only when whole.
public struct DataStore: Sendable {
    public var explicitDirectory: String?
    public var environment: [String: String]
    public var workingDirectory: String
    /// Base URLs to download from, instead of the catalog's mirrors (tests serve files locally).
    public var mirrors: [String]?
    /// Seconds without data before a download is given up.
    public var timeout: TimeInterval

    public init(explicitDirectory: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                workingDirectory: String = FileManager.default.currentDirectoryPath,
                mirrors: [String]? = nil, timeout: TimeInterval = 30) {
        self.timeout = timeout
        self.explicitDirectory = explicitDirectory
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.mirrors = mirrors
    }

    public struct Error: Explained, Equatable {
        public let message: Message
    }

    /// Where downloads go when there is no explicit directory.
    public func cacheDirectory(for info: DatasetInfo) -> String {
        let base = environment["XDG_CACHE_HOME"].map { $0 + "/caderno" }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/caderno"
        return base + "/" + info.name
    }

    /// The directories searched, in order.
    public func searchDirectories(for info: DatasetInfo) -> [String] {
        var directories: [String] = []
        if let explicitDirectory { directories.append(explicitDirectory) }
        if let root = environment["CADERNO_DATA"], !root.isEmpty { directories.append(root + "/" + info.name) }
        directories.append(workingDirectory + "/data/" + info.name)
        directories.append(cacheDirectory(for: info))
        return directories
    }

    /// `directory` as a reader should see it: under `$CADERNO_DATA`, the working directory or the
    /// home directory it is written from there, so a recorded notebook reads the same on every machine.
    public func display(_ directory: String) -> String {
        let homes: [(String?, String)] = [
            (environment["CADERNO_DATA"], "$CADERNO_DATA/"),
            (workingDirectory, ""),
            (environment["HOME"], "~/"),
        ]
        for case let (root?, shown) in homes where !root.isEmpty {
            let prefix = root.hasSuffix("/") ? root : root + "/"
            if directory.hasPrefix(prefix) { return shown + directory.dropFirst(prefix.count) }
        }
        return directory
    }

    /// The first directory that holds every file of `info`, or nil.
    public func locate(_ info: DatasetInfo) -> String? {
        searchDirectories(for: info).first { directory in
            info.files.allSatisfy { Self.existingFile($0.name, in: directory) != nil }
        }
    }

    /// The directory holding `info`'s files, downloading what is missing first.
    public func fetch(_ info: DatasetInfo, progress: @escaping @Sendable (DownloadProgress) -> Void = { _ in }) throws -> String {
        if let found = locate(info) { return found }
        let target = explicitDirectory ?? cacheDirectory(for: info)
        do {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        } catch {
            throw Error(message: "cannot create \(target): \(FileProblem(error))")
        }
        for file in info.files where Self.existingFile(file.name, in: target) == nil {
            try download(file, of: info, into: target, progress: progress)
        }
        return target
    }

    /// Tries each mirror in turn; the file lands at `directory/name` only if its MD5 matches.
    func download(_ file: DatasetInfo.File, of info: DatasetInfo, into directory: String,
                  progress: @escaping @Sendable (DownloadProgress) -> Void) throws {
        var failures: [String] = []
        for base in mirrors ?? info.mirrors {
            let url = base + file.name
            let temporary = directory + "/." + file.name + ".part-\(ProcessInfo.processInfo.processIdentifier)"
            defer { try? FileManager.default.removeItem(atPath: temporary) }
            do {
                try Downloader.download(url, to: temporary, timeout: timeout) { received, expected in
                    progress(DownloadProgress(file: file.name, received: received, expected: expected))
                }
                let data = try Data(contentsOf: URL(fileURLWithPath: temporary), options: .alwaysMapped)
                let digest = MD5.hex(of: data)
                guard digest == file.md5 else {
                    failures.append("\(url): checksum mismatch (MD5 \(digest), expected \(file.md5))")
                    continue
                }
                guard rename(temporary, directory + "/" + file.name) == 0 else {
                    throw Error(message: "cannot move the download into \(directory): \(FileProblem.words(errno: errno))")
                }
                return
            } catch let error as Downloader.Error {
                failures.append("\(url): \(error.description)")
            }
        }
        throw Error(message: "could not download \(file.name) for \(info.name): \(failures.joined(separator: "; "))")
    }

    /// `name` (as published, `.gz`) or its inflated form without `.gz`, if either is in `directory`.
    public static func existingFile(_ name: String, in directory: String) -> String? {
        let candidates = [name, name.hasSuffix(".gz") ? String(name.dropLast(3)) : name + ".gz"]
        // lstat, not fileExists: a broken link or a loop of links is there, and reading it says what is wrong.
        var info = stat()
        return candidates.map { directory + "/" + $0 }.first { lstat($0, &info) == 0 }
    }
}

public struct DownloadProgress: Sendable, Equatable {
    public let file: String
    public let received: Int
    /// nil when the server does not say how large the file is.
    public let expected: Int?
}
