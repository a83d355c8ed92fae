/// "Did you mean": the closest candidate by edit distance, if it is close enough to be a typo.
/// The floor scales with length, so `epoch` finds `epochs` but `qqqq` finds nothing.
public func suggestion(for word: String, among candidates: [String]) -> String? {
    let word = word.lowercased()
    let scored = candidates.map { ($0, editDistance(word, $0.lowercased())) }
    guard let (best, distance) = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    let allowed = max(1, min(word.count, best.count) / 3)
    let isPrefix = best.lowercased().hasPrefix(word) && word.count >= 3
    return distance <= allowed || isPrefix ? best : nil
}

/// Damerau–Levenshtein (optimal string alignment) distance: insertions, deletions,
/// substitutions and swaps of neighbours each cost 1 — `tarin` is one step from `train`.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
            }
        }
    }
    return table[a.count][b.count]
}
