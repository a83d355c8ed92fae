/// Brazilian Portuguese for everything Caderno says, keyed by the English as written in the code
/// (`{}` where the English interpolates a value; `{2}` picks the second value, for another order).
/// Written as a teacher in Brazil would say it, not word for word. A test checks that every message
/// in the code has its entry here, with as many values, and that no entry is left over.
enum Portuguese {
    static let catalogue: [String: String] = Dictionary(entries, uniquingKeysWith: { first, _ in first })

    static let entries: [(String, String)] = messages + help
}
