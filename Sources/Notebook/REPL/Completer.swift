import Foundation

/// What Tab offers for the text before the cursor: command names, then the positional choices
/// and option names of the command being typed, option values, dataset names and file paths.
public struct Completer: Sendable {
    public var workingDirectory: String

    public init(workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.workingDirectory = workingDirectory
    }

    /// The word being completed and the full words that could replace it, sorted.
    public func complete(_ textBeforeCursor: String) -> (partial: String, candidates: [String]) {
        let words = textBeforeCursor.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let partial = textBeforeCursor.last == " " || textBeforeCursor.isEmpty ? "" : (words.last ?? "")
        let before = partial.isEmpty ? words : Array(words.dropLast())
        guard let commandName = before.first?.lowercased() else {
            return (partial, matching(Session.specs.map(\.name) + ["exit"], partial))
        }
        guard let spec = Session.command(named: commandName)?.spec else { return (partial, []) }
        let positionalsSoFar = before.dropFirst().filter { !$0.contains("=") }
        let subcommand = positionalsSoFar.first.flatMap { try? Parser.parse("\(commandName) \($0)") }.flatMap(spec.subcommand)

        if let equals = partial.firstIndex(of: "=") {
            let key = String(partial[..<equals]).lowercased()
            let valuePrefix = String(partial[partial.index(after: equals)...])
            guard let option = spec.options(for: subcommand).first(where: { $0.name == key }) else { return (partial, []) }
            return (partial, values(for: option.completion, valuePrefix).map { key + "=" + $0 })
        }
        var candidates: [String] = []
        let positionals = spec.positionals(for: subcommand)
        if positionalsSoFar.count < positionals.count {
            candidates += values(for: positionals[positionalsSoFar.count].completion, partial)
        }
        let given = Set(before.compactMap { $0.split(separator: "=").first.map(String.init) })
        candidates += matching(spec.options(for: subcommand).map(\.name).filter { !given.contains($0) }.map { $0 + "=" }, partial)
        return (partial, candidates)
    }

    private func values(for completion: Completion, _ prefix: String) -> [String] {
        switch completion {
        case .words(let words): matching(words, prefix)
        case .paths: paths(prefix)
        case .none: []
        }
    }

    private func matching(_ words: [String], _ prefix: String) -> [String] {
        words.filter { $0.lowercased().hasPrefix(prefix.lowercased()) }.sorted()
    }

    /// Entries of the folder typed so far whose names start with the rest; folders end in '/'.
    private func paths(_ typed: String) -> [String] {
        let slash = typed.lastIndex(of: "/")
        let typedFolder = slash.map { String(typed[...$0]) } ?? ""          // "runs/" or ""
        let namePrefix = slash.map { String(typed[typed.index(after: $0)...]) } ?? typed
        let expanded = (typedFolder as NSString).expandingTildeInPath
        let folder = expanded.hasPrefix("/") ? expanded : workingDirectory + "/" + expanded
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names
            .filter { $0.hasPrefix(namePrefix) && ($0.first != "." || namePrefix.first == ".") }
            .sorted()
            .map { name in
                var isFolder: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder)
                return typedFolder + name + (isFolder.boolValue ? "/" : "")
            }
    }
}

/// The longest prefix every word shares.
func commonPrefix(_ words: [String]) -> String {
    guard var prefix = words.first else { return "" }
    for word in words.dropFirst() {
        while !word.hasPrefix(prefix) { prefix.removeLast() }
    }
    return prefix
}

/// The candidates a second Tab lists, as a shell lists them: a path by its last part (the folder
/// is already typed), in columns that fit `width`, read down then across. Listed whole on one
/// line, long paths wrapped mid-name at 60 columns.
func completionListing(_ candidates: [String], width: Int) -> String {
    let shown = candidates.map { candidate -> String in
        let folder = candidate.hasSuffix("/")
        let name = folder ? candidate.dropLast() : Substring(candidate)
        guard let slash = name.lastIndex(of: "/") else { return candidate }
        return String(name[name.index(after: slash)...]) + (folder ? "/" : "")
    }
    let gap = 2
    let cell = (shown.map(\.count).max() ?? 0) + gap
    let columns = max(1, (width + gap) / cell)
    let rows = (shown.count + columns - 1) / columns
    return (0..<rows).map { row in
        stride(from: row, to: shown.count, by: rows).map { index in
            shown[index].padding(toLength: cell, withPad: " ", startingAt: 0)
        }.joined().trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
}
