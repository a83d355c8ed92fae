import Core
import Foundation
import Testing
@testable import Notebook

/// Every message Caderno says has its Brazilian Portuguese, with the same values in it.
@Suite struct CatalogueTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The keys of every `tr("…")` and `trFormat("…")` in the sources: the literal with each
    /// interpolation as `{}`, escapes read as Swift reads them.
    static func keysInSources() throws -> [(file: String, key: String)] {
        var found: [(String, String)] = []
        for folder in ["Sources/Notebook", "Sources/caderno"] {
            let base = root.appendingPathComponent(folder)
            let files = FileManager.default.enumerator(atPath: base.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
            for file in files where !file.hasPrefix("Messages/") {
                let text = Array(try String(contentsOf: base.appendingPathComponent(file), encoding: .utf8))
                var index = 0
                while index < text.count {
                    for call in ["tr(\"", "trFormat(\""] where text[index...].starts(with: call) && (index == 0 || !(text[index - 1].isLetter)) {
                        var position = index + call.count - 1
                        if let key = literal(text, &position) { found.append((file, key)) }
                    }
                    index += 1
                }
            }
        }
        return found
    }

    /// Core's messages: the literals its errors are built from (Core marks no call: these are the
    /// places a `Message` is expected there).
    static let coreMessagePlaces = [#"ShapeError\("#, #"incompatibleData\("#, #"fail\("#, #"Error\(message: "#, #"reason: "#,
                                    #"problem: "#, #"message = "#, #"failure = "#, #"case [A-Z]+(?:, [A-Z]+)*: "#,
                                    #"\.diverged\(epoch, batch, loss\):\s*\n\s*"#, #"\.weightsDiverged\(epoch, batch\):\s*\n\s*"#, #"Message\("#, #"public var message: Message \{ "#,
                                    #"tensor\.map \{ "#]

    static func keysInCore() throws -> [(file: String, key: String)] {
        var found: [(String, String)] = []
        let base = root.appendingPathComponent("Sources/Core")
        let files = FileManager.default.enumerator(atPath: base.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        for file in files {
            let source = try String(contentsOf: base.appendingPathComponent(file), encoding: .utf8)
            let text = Array(source)
            for place in coreMessagePlaces {
                let regex = try NSRegularExpression(pattern: place + "\"")
                for match in regex.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                    // The match's end, counted in characters (the literal reader walks characters).
                    var position = source.distance(from: source.startIndex, to: Range(match.range, in: source)!.upperBound) - 1
                    if let key = literal(text, &position), key.contains(where: \.isLetter) { found.append((file, key)) }
                }
            }
        }
        return found
    }

    /// Reads the string literal opening at `text[position]` (a `"`); nil for a multi-line one.
    static func literal(_ text: [Character], _ position: inout Int) -> String? {
        guard text[position] == "\"", !(text[position...].starts(with: "\"\"\"")) else { return nil }
        var key = ""
        position += 1
        while position < text.count {
            let c = text[position]
            if c == "\"" { position += 1; return key }
            if c == "\\" {
                let next = text[position + 1]
                if next == "(" {
                    var depth = 1
                    position += 2
                    while depth > 0 {
                        if text[position] == "\"" { _ = literal(text, &position); continue }
                        if text[position] == "(" { depth += 1 }
                        if text[position] == ")" { depth -= 1 }
                        position += 1
                    }
                    key += "{}"
                    continue
                }
                if next == "u", let close = text[position...].firstIndex(of: "}") {
                    key.unicodeScalars.append(UnicodeScalar(UInt32(String(text[(position + 3)..<close]), radix: 16)!)!)
                    position = close + 1
                    continue
                }
                key.append(["n": "\n", "t": "\t", "0": "\0"][next] ?? next)
                position += 2
                continue
            }
            key.append(c)
            position += 1
        }
        return nil
    }

    /// The argument numbers a template refers to: `{}` the next, `{2}` the second.
    static func references(_ template: String) -> [Int] {
        var result: [Int] = [], next = 0
        let scanner = Array(template)
        var index = 0
        while index < scanner.count {
            if scanner[index] == "{", let close = scanner[index...].firstIndex(of: "}"), scanner[(index + 1)..<close].allSatisfy(\.isNumber) {
                let digits = String(scanner[(index + 1)..<close])
                if digits.isEmpty { next += 1; result.append(next) } else { result.append(Int(digits)!) }
                index = close + 1
                continue
            }
            index += 1
        }
        return result
    }

    static func formatSpecifiers(_ text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: "%[-0-9.]*[a-zA-Z@]")
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) }
    }

    @Test func everyMessageHasItsPortuguese() throws {
        let core = try Self.keysInCore()
        #expect(core.count > 60, "the scan finds Core's messages")
        let keys = try Self.keysInSources() + core
        #expect(keys.count > 300, "the scan finds the messages")
        for (file, key) in keys where key.contains(where: \.isLetter) {
            guard let portuguese = Portuguese.catalogue[key] else {
                Issue.record("\(file): no Portuguese for \(key.debugDescription)")
                continue
            }
            let count = Self.references(key).count
            #expect(Self.references(portuguese).allSatisfy { (1...max(count, 1)).contains($0) } && (count > 0 || Self.references(portuguese).isEmpty),
                    "\(file): \(key.debugDescription) has \(count) values; its Portuguese refers to others: \(portuguese.debugDescription)")
            #expect(Self.formatSpecifiers(key) == Self.formatSpecifiers(portuguese), "\(file): the % specifiers of \(key.debugDescription) differ")
        }
    }

    /// What help and argument errors show: summaries, each argument's help, default and problem.
    static var helpTexts: [String] {
        var texts = CommandGroup.allCases.map { $0.rawValue.capitalized }
            + NotebookDocument.ParameterKind.allCases.map(\.rawValue) + DatasetInfo.catalog.map(\.title)
        for spec in Session.specs {
            texts.append(spec.summary)
            for argument in spec.positionals + spec.options {
                texts += [argument.help] + [argument.defaultText, argument.problem, argument.missing].compactMap { $0 }
            }
        }
        return texts
    }

    @Test func everyHelpTextHasItsPortuguese() {
        let texts = Self.helpTexts
        for text in texts where text.contains(" ") || text.first?.isUppercase == true || text == "text" {
            #expect(Portuguese.catalogue[text] != nil, "no Portuguese for the help text \(text.debugDescription)")
        }
    }

    @Test func nothingIsLeftOverOrGivenTwice() throws {
        let used = Set(try (Self.keysInSources() + Self.keysInCore()).map(\.key))
        let help = Set(Self.helpTexts)
        let keys = Portuguese.entries.map(\.0)
        #expect(Set(keys).count == keys.count, "a key given twice: \(Dictionary(grouping: keys, by: { $0 }).filter { $1.count > 1 }.keys.sorted())")
        for key in keys where !used.contains(key) && !help.contains(key) {
            Issue.record("the catalogue's \(key.debugDescription) is said nowhere")
        }
    }

    @Test func theLanguageComesFromTheLocale() {
        #expect(Language(code: "pt_BR.UTF-8") == .portuguese && Language(code: "pt-PT") == .portuguese && Language(code: "pt") == .portuguese)
        #expect(Language(code: "en_US") == .english && Language(code: "C") == .english && Language(code: "fr_FR") == nil)
        #expect(Language.fromEnvironment(["LANG": "pt_BR.UTF-8"]) == .portuguese)
        #expect(Language.fromEnvironment(["LC_ALL": "C", "LANG": "pt_BR.UTF-8"]) == .english, "LC_ALL wins")
        #expect(Language.fromEnvironment(["LC_MESSAGES": "pt_PT.UTF-8", "LANG": "en_US.UTF-8"]) == .portuguese)
        #expect(Language.fromEnvironment(["LANG": "de_DE.UTF-8"]) == .english && Language.fromEnvironment([:]) == .english)
    }

    @Test func messagesFillTheirValuesInEitherOrder() {
        #expect(Message.fill("{} de {}", ["a", "b"]) == "a de b")
        #expect(Message.fill("{2} antes de {1}", ["a", "b"]) == "b antes de a")
        #expect(Message.fill("{x} {}", ["a"]) == "{x} a", "braces that are not a placeholder stay")
        let message: Message = "Loaded \("MNIST") from \("data/mnist")"
        #expect(message.key == "Loaded {} from {}" && message.english == "Loaded MNIST from data/mnist")
    }

    /// The same session, in Portuguese: messages, errors with their caret, tables and help.
    @Test func aSessionInPortuguese() throws {
        try Language.$current.withValue(.portuguese) {
            let h = try SessionHarness()
            #expect(try h.run("seed 3") == "Semente 3: pesos, embaralhamento, divisões e dropout passam a sortear a partir dela.")
            let loaded = try h.run("load idx .")
            #expect(loaded.contains("treino") && loaded.contains("teste") && loaded.contains("classes"), "\(loaded)")
            #expect(try h.run("build mlp 36-8-3").contains("Camada (tipo)"))
            do {
                try h.run("compile lr=-1")
                Issue.record("compiled with a negative learning rate")
            } catch let error as CommandError {
                #expect(error.description.hasPrefix("error: lr precisa ser > 0, veio -1\n  compile lr=-1\n"), "\(error.description)")
            }
            do {
                try h.run("trian")
            } catch let error as CommandError {
                #expect(error.message == "comando desconhecido 'trian' (você quis dizer 'train'?)", "did you mean keeps working")
            }
            try h.run("normalize", "compile lr=0.1")
            #expect(try h.run("train epochs=1 batch=16").hasPrefix("Época 1/1 · "))
            #expect(try h.run("help train").contains("treina o modelo compilado"))
        }
        // And the same harness outside the binding speaks English again.
        #expect(try SessionHarness().run("seed 3").hasPrefix("Seed 3:"))
    }
}
