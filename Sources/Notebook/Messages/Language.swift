import Core

/// The language Caderno speaks: English, or Brazilian Portuguese. Commands and option names stay
/// English in both (they are the language of the tool, as Python's keywords are); what Caderno says
/// — messages, errors, tables, help, picture titles — follows this.
public enum Language: String, CaseIterable, Sendable {
    case english = "en", portuguese = "pt"

    /// The language of what runs now: set for the REPL from `--lang` or the environment, for a
    /// notebook from its `lang:` front matter. A task-local value, so tests in parallel can each
    /// speak their own.
    @TaskLocal public static var current: Language = .english

    /// `pt`, `pt_BR.UTF-8`, `pt-PT`, `en_US` …; nil for a language Caderno does not speak.
    public init?(code: String) {
        let lower = code.lowercased()
        if lower == "pt" || lower.hasPrefix("pt_") || lower.hasPrefix("pt-") || lower.hasPrefix("pt.") {
            self = .portuguese
        } else if lower == "en" || lower.hasPrefix("en_") || lower.hasPrefix("en-") || lower.hasPrefix("en.") || lower == "c" || lower == "posix" {
            self = .english
        } else {
            return nil
        }
    }

    /// What the locale asks for, as POSIX decides it: the first of LC_ALL, LC_MESSAGES and LANG
    /// that is set; English when that is another language.
    public static func fromEnvironment(_ environment: [String: String]) -> Language {
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = environment[key], !value.isEmpty { return Language(code: value) ?? .english }
        }
        return .english
    }
}

/// `message` in the current language: its Portuguese from the catalogue, else as written. A
/// message inside it is translated on its own.
public func tr(_ message: Message) -> String {
    guard Language.current == .portuguese else { return message.english }
    let arguments = message.arguments.map { argument in
        switch argument {
        case .text(let text): text
        case .message(let inner): tr(inner)
        }
    }
    return Message.fill(Portuguese.catalogue[message.key] ?? message.key, arguments)
}

/// What went wrong, in the current language when the error explains itself (Core's do).
public func tr(error: any Error) -> String {
    (error as? any Explained).map { tr($0.message) } ?? "\(error)"
}

/// `String(format:)` with a translated format: the catalogue's entry keeps the same `%` specifiers.
func trFormat(_ format: String, _ arguments: any CVarArg...) -> String {
    String(format: tr(Message(verbatim: format)), arguments: arguments)
}

/// A text known only at run time (help from a declaration table), translated when the catalogue has it.
func trText(_ text: String) -> String {
    tr(Message(verbatim: text))
}
