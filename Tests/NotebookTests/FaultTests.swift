@testable import Core
import Foundation
import TestSupport
import Testing
@testable import Notebook

/// Faults: a process killed at any moment while it writes leaves the previous file whole.
@Suite struct FaultTests {
    /// `caderno repl` in `folder`, fed `script` through a pipe (left open), its output discarded.
    static func startREPL(in folder: String, script: String) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cadernoBinary)
        process.arguments = ["repl"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = ProcessInfo.processInfo.environment.merging(["LANG": "C", "NO_COLOR": "1"]) { $1 }
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try launch(process)
        input.fileHandleForWriting.write(Data(script.utf8))
        return (process, input)
    }

    /// A child REPL saves a model, draws an SVG and exports the session, over and over; it is
    /// killed with SIGKILL at a random moment. Each file is then the old one or the new one —
    /// one that reads whole — never half of either. Fifteen kills, each aimed at a write.
    @Test func killedWhileWritingLeavesWholeFiles() throws {
        let root = try TemporaryDirectory()
        TinyIDX.write(into: root)
        let random = RandomSource(seed: 13)
        let rounds = (0..<40).flatMap { round in
            ["save model m.safetensors force=true", "plot loss to=p.svg", "export e.html"]
        }
        let script = (["load idx .", "normalize", "build mlp 36-1500-1500-3", "compile", "train epochs=1 batch=30"] + rounds)
            .joined(separator: "\n") + "\n"
        var kills = 0
        for _ in 0..<15 {
            let (process, input) = try Self.startREPL(in: root.path, script: script)
            // Aim at a write: once a file changes or a temporary one appears, wait a random few
            // milliseconds (a write of the 16 MB model takes about that long) and kill.
            let folder = root.path
            func state() -> [String] {
                ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().map { name in
                    var info = stat()
                    stat(folder + "/" + name, &info)
                    return "\(name) \(info.st_size) \(info.st_mtim.tv_nsec)"
                }
            }
            let skip = Int(random.nextUnitFloat() * 6)   // not always the first write seen
            var seen = 0, last = state()
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline {
                let now = state()
                if now != last { seen += 1; last = now }
                if seen > skip { break }
                usleep(200)
            }
            usleep(UInt32(random.nextUnitFloat() * 8_000))
            if process.isRunning { kill(process.processIdentifier, SIGKILL); kills += 1 }
            process.waitUntilExit()
            try? input.fileHandleForWriting.close()

            if FileManager.default.fileExists(atPath: folder + "/m.safetensors") {
                #expect(throws: Never.self) { _ = try SafeTensors.read(folder + "/m.safetensors") }
            }
            for (file, ending) in [("p.svg", "</svg>\n"), ("e.html", "</html>\n")] {
                if let data = FileManager.default.contents(atPath: folder + "/" + file) {
                    #expect(String(decoding: data, as: UTF8.self).hasSuffix(ending), "\(file) is cut short")
                }
            }
        }
        #expect(kills >= 12, "most runs are killed mid-way (\(kills) of 15)")
        // A killed writer's temporary file is cleared by the next write to the same name.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.count <= 3, "\(leftovers)")
    }

    /// SIGTERM (or SIGHUP, or Ctrl-C outside the REPL) in the middle of a write removes the
    /// temporary file before the process ends: nothing is left beside the target.
    @Test func terminatedWhileWritingLeavesNoTemporaryFile() throws {
        let root = try TemporaryDirectory()
        TinyIDX.write(into: root)
        let saves = Array(repeating: "save model m.safetensors force=true", count: 200)
        let script = (["load idx .", "normalize", "build mlp 36-1500-1500-3"] + saves).joined(separator: "\n") + "\n"
        var caught = 0
        for _ in 0..<8 {
            let (process, input) = try Self.startREPL(in: root.path, script: script)
            try input.fileHandleForWriting.close()   // the child ends at the end of the script, signal or not
            // Wait until a temporary file exists: the signal then lands while it is being written.
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
                if names.contains(where: { $0.hasPrefix(".m.safetensors.tmp-") }) { break }
                usleep(100)
            }
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM { caught += 1 }
            let left = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.contains(".tmp-") }
            #expect(left.isEmpty, "\(left)")
            if FileManager.default.fileExists(atPath: root.path + "/m.safetensors") {
                #expect(throws: Never.self) { _ = try SafeTensors.read(root.path + "/m.safetensors") }
            }
        }
        #expect(caught >= 6, "SIGTERM ended \(caught) of 8 runs mid-way")
    }
}
