@testable import Core
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct DataStoreTests {
    /// A small dataset in MNIST's layout, with the checksums of its own gzip files.
    struct Fixture {
        let files: [String: Data]
        let info: DatasetInfo

        init() throws {
            func gz(_ dims: [Int], _ bytes: [UInt8]) throws -> Data { try Gzip.compress(IDXFile.encode(dimensions: dims, bytes: bytes)) }
            let contents: [String: Data] = [
                "train-images-idx3-ubyte.gz": try gz([3, 2, 2], Array(0..<12)),
                "train-labels-idx1-ubyte.gz": try gz([3], [0, 1, 2]),
                "t10k-images-idx3-ubyte.gz": try gz([1, 2, 2], [9, 9, 9, 9]),
                "t10k-labels-idx1-ubyte.gz": try gz([1], [2]),
            ]
            files = contents
            func file(_ name: String) -> DatasetInfo.File { .init(name: name, md5: MD5.hex(of: contents[name]!)) }
            info = DatasetInfo(name: "tiny", title: "tiny", classNames: ["a", "b", "c"],
                               trainImages: file("train-images-idx3-ubyte.gz"), trainLabels: file("train-labels-idx1-ubyte.gz"),
                               testImages: file("t10k-images-idx3-ubyte.gz"), testLabels: file("t10k-labels-idx1-ubyte.gz"),
                               mirrors: [])
        }

        func install(in directory: TemporaryDirectory, at folder: String, leaving out: String? = nil) {
            for (name, data) in files where name != out { directory.write(folder + "/" + name, data) }
        }
    }

    @Test func lookupOrder() throws {
        let fixture = try Fixture()
        let root = try TemporaryDirectory()
        let store = DataStore(explicitDirectory: root.path + "/explicit",
                              environment: ["CADERNO_DATA": root.path + "/env", "HOME": root.path + "/home"],
                              workingDirectory: root.path + "/work")
        #expect(store.searchDirectories(for: fixture.info) == [
            root.path + "/explicit", root.path + "/env/tiny", root.path + "/work/data/tiny", root.path + "/home/.cache/caderno/tiny",
        ])
        #expect(store.locate(fixture.info) == nil)

        // Each place, once filled, wins over the ones after it; an incomplete folder is passed over.
        fixture.install(in: root, at: "home/.cache/caderno/tiny")
        #expect(store.locate(fixture.info) == root.path + "/home/.cache/caderno/tiny")
        fixture.install(in: root, at: "work/data/tiny")
        #expect(store.locate(fixture.info) == root.path + "/work/data/tiny")
        fixture.install(in: root, at: "env/tiny", leaving: "t10k-labels-idx1-ubyte.gz")
        #expect(store.locate(fixture.info) == root.path + "/work/data/tiny")
        fixture.install(in: root, at: "env/tiny")
        #expect(store.locate(fixture.info) == root.path + "/env/tiny")
        fixture.install(in: root, at: "explicit")
        #expect(store.locate(fixture.info) == root.path + "/explicit")
    }

    /// Recorded notebooks print where the data came from; that must not name this machine's folders.
    @Test func displaysDirectoriesFromTheirRoots() {
        let store = DataStore(environment: ["CADERNO_DATA": "/srv/data/", "HOME": "/home/ana"], workingDirectory: "/home/ana/study")
        #expect(store.display("/srv/data/mnist") == "$CADERNO_DATA/mnist")
        #expect(store.display("/home/ana/study/data/mnist") == "data/mnist")
        #expect(store.display("/home/ana/.cache/caderno/mnist") == "~/.cache/caderno/mnist")
        #expect(store.display("/srv/database/mnist") == "/srv/database/mnist")
        #expect(DataStore(environment: ["CADERNO_DATA": ""], workingDirectory: "/w").display("/x/mnist") == "/x/mnist")
    }

    @Test func xdgCacheAndInflatedFiles() throws {
        let fixture = try Fixture()
        let root = try TemporaryDirectory()
        let store = DataStore(environment: ["XDG_CACHE_HOME": root.path + "/xdg"], workingDirectory: root.path)
        #expect(store.cacheDirectory(for: fixture.info) == root.path + "/xdg/caderno/tiny")
        // Files already inflated (no .gz) are found too, and load the same.
        for (name, data) in fixture.files { root.write("xdg/caderno/tiny/" + name.dropLast(3), try Gzip.decompress(data)) }
        let directory = try #require(store.locate(fixture.info))
        let dataset = try Dataset.load(fixture.info, from: directory)
        #expect(dataset.train.labels == [0, 1, 2])
        #expect(dataset.test.inputs.scalars == [9, 9, 9, 9])
    }

    @Test func downloadsVerifiesAndPlacesFiles() throws {
        let fixture = try Fixture()
        let server = try LocalHTTPServer(routes: fixture.files.mapValues { .file($0) })
        defer { server.stop() }
        let root = try TemporaryDirectory()
        let store = DataStore(environment: ["HOME": root.path], workingDirectory: root.path, mirrors: [server.url()])
        let seen = Counter()
        let directory = try store.fetch(fixture.info) { progress in
            if progress.expected != nil { seen.increment() }
        }
        #expect(directory == root.path + "/.cache/caderno/tiny")
        #expect(seen.value >= 4)
        for (name, data) in fixture.files {
            #expect(FileManager.default.contents(atPath: directory + "/" + name) == data)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == fixture.files.keys.sorted(),
                "no partial files are left behind")
        #expect(try Dataset.load(fixture.info, from: directory).train.count == 3)
    }

    @Test func fallsBackToTheNextMirror() throws {
        let fixture = try Fixture()
        let broken = try LocalHTTPServer(routes: [:])
        let good = try LocalHTTPServer(routes: fixture.files.mapValues { .file($0) })
        defer { broken.stop(); good.stop() }
        let root = try TemporaryDirectory()
        let store = DataStore(explicitDirectory: root.path + "/here", environment: [:], workingDirectory: root.path,
                              mirrors: [broken.url(), good.url()])
        #expect(try store.fetch(fixture.info) == root.path + "/here")
    }

    static let failures: [(String, @Sendable (Data) -> LocalHTTPServer.Response, String)] = [
        ("wrong checksum", { .file($0 + Data([0])) }, "checksum mismatch"),
        ("truncated", { .truncated($0.prefix(10), claimed: $0.count) }, "closed"),
        ("missing", { _ in .status(404) }, "HTTP 404"),
        ("stalled", { _ in .stall }, "no data for 1 seconds: the server stopped answering"),
    ]

    /// Each file redirects to itself.
    @Test func aRedirectLoopIsNamed() throws {
        let fixture = try Fixture()
        let server = try LocalHTTPServer(routes: Dictionary(uniqueKeysWithValues: fixture.files.keys.map { ($0, .redirect($0)) }))
        defer { server.stop() }
        let root = try TemporaryDirectory()
        let store = DataStore(explicitDirectory: root.path + "/d", environment: [:], workingDirectory: root.path, mirrors: [server.url()], timeout: 2)
        #expect(throws: DataStore.Error.self) { _ = try store.fetch(fixture.info) }
        do { _ = try store.fetch(fixture.info) } catch {
            #expect("\(error)".contains("too many redirects: the server sends the request round in a loop"), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path + "/d").isEmpty)
    }

    /// A port where nothing listens.
    @Test func aRefusedConnectionIsNamed() throws {
        let closed = try LocalHTTPServer(routes: [:])
        let address = closed.url()
        closed.stop()
        let fixture = try Fixture()
        let root = try TemporaryDirectory()
        let store = DataStore(explicitDirectory: root.path + "/d", environment: [:], workingDirectory: root.path, mirrors: [address], timeout: 2)
        do {
            _ = try store.fetch(fixture.info)
            Issue.record("downloaded from a closed port")
        } catch {
            #expect("\(error)".contains("the connection was refused: nothing answers at that address"), "\(error)")
        }
    }

    /// A symbolic link planted where the download's temporary file will go is not followed.
    @Test func aPlantedLinkIsNotFollowed() throws {
        let fixture = try Fixture()
        let server = try LocalHTTPServer(routes: fixture.files.mapValues { .file($0) })
        defer { server.stop() }
        let root = try TemporaryDirectory()
        let victim = root.write("victim.txt", Data("precious".utf8))
        try FileManager.default.createDirectory(atPath: root.path + "/d", withIntermediateDirectories: true)
        let first = fixture.info.files[0].name
        try FileManager.default.createSymbolicLink(atPath: root.path + "/d/.\(first).part-\(ProcessInfo.processInfo.processIdentifier)",
                                                   withDestinationPath: victim)
        let store = DataStore(explicitDirectory: root.path + "/d", environment: [:], workingDirectory: root.path, mirrors: [server.url()])
        do {
            _ = try store.fetch(fixture.info)
            Issue.record("wrote through the link")
        } catch {
            #expect("\(error)".contains("cannot write"), "\(error)")
        }
        #expect(FileManager.default.contents(atPath: victim) == Data("precious".utf8))
    }

    @Test(arguments: failures.indices)
    func failedDownloadsLeaveNothingBehind(_ index: Int) throws {
        let (label, respond, message) = Self.failures[index]
        let fixture = try Fixture()
        let server = try LocalHTTPServer(routes: fixture.files.mapValues(respond))
        defer { server.stop() }
        let root = try TemporaryDirectory()
        let store = DataStore(explicitDirectory: root.path + "/d", environment: [:], workingDirectory: root.path,
                              mirrors: [server.url()], timeout: 1)
        do {
            _ = try store.fetch(fixture.info)
            Issue.record("\(label): the download succeeded")
        } catch let error as DataStore.Error {
            #expect(error.description.hasPrefix("could not download "), "\(label): \(error)")
            #expect(error.description.contains(message), "\(label): \(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path + "/d").isEmpty, "\(label)")
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
