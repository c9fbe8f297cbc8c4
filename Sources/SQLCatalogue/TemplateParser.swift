/// A cursor over a template body that recognises
/// `INSERT INTO <table> (<cols>) SELECT <exprs> FROM <relation> AS <alias>`.
struct TemplateParser {
    struct Parsed {
        var table: String
        var columns: [String]
        var expressions: [String]
        var relation: String
        var alias: String
    }

    private let bytes: [UInt8]
    private let mask: [Bool]
    private var position = 0
    /// Why parsing failed, when `parse()` returns `nil`.
    private(set) var error: String?

    init(text: String) {
        bytes = Array(text.utf8)
        mask = SQLLexer.codeMask(bytes)
    }

    mutating func parse() -> Parsed? {
        guard expectWord("INSERT"), expectWord("INTO"), let table = readName() else { return nil }
        skipSpace()
        guard position < bytes.count, bytes[position] == Byte.openParen, let close = matchingParen(from: position) else {
            return failed("expected '(' and a column list after the table name")
        }
        let columns = SQLLexer.splitTopLevel(text(position + 1, close)).map { $0.trimmingWhitespace() }
        position = close + 1
        guard expectWord("SELECT") else { return nil }
        guard let from = topLevelWord("FROM", from: position) else {
            return failed("expected a top-level FROM after the SELECT list")
        }
        let expressions = SQLLexer.splitTopLevel(text(position, from)).map { SQLLexer.collapseWhitespace($0) }
        position = from
        guard expectWord("FROM"), let relation = readName(), expectWord("AS"), let alias = readName() else { return nil }
        skipSpace()
        guard position == bytes.count else {
            return failed("unexpected text after 'AS \(alias)'")
        }
        return Parsed(table: table, columns: columns, expressions: expressions, relation: relation, alias: alias)
    }

    private mutating func failed(_ message: String) -> Parsed? {
        error = message
        return nil
    }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Skips whitespace and comments.
    private mutating func skipSpace() {
        while position < bytes.count, !mask[position] || SQLLexer.isWhitespace(bytes[position]) {
            position += 1
        }
    }

    private func isWord(_ word: String, at start: Int) -> Bool {
        let pattern = Array(word.lowercased().utf8)
        guard start + pattern.count <= bytes.count, start == 0 || !SQLLexer.isIdentifierByte(bytes[start - 1]) else {
            return false
        }
        for (offset, expected) in pattern.enumerated() {
            let actual = bytes[start + offset]
            let lowered = actual >= 0x41 && actual <= 0x5A ? actual + 0x20 : actual
            guard lowered == expected, mask[start + offset] else { return false }
        }
        let after = start + pattern.count
        return after == bytes.count || !SQLLexer.isIdentifierByte(bytes[after])
    }

    private mutating func expectWord(_ word: String) -> Bool {
        skipSpace()
        guard isWord(word, at: position) else {
            error = "expected '\(word)'"
            return false
        }
        position += word.utf8.count
        return true
    }

    /// Reads a possibly qualified name (`celeriac.tasks`, `task_input`, `i`).
    private mutating func readName() -> String? {
        skipSpace()
        let start = position
        while position < bytes.count, mask[position], SQLLexer.isIdentifierByte(bytes[position]) || bytes[position] == Byte.dot {
            position += 1
        }
        guard position > start else {
            error = "expected a name"
            return nil
        }
        return text(start, position)
    }

    private func matchingParen(from open: Int) -> Int? {
        var depth = 0
        for index in open..<bytes.count where mask[index] {
            if bytes[index] == Byte.openParen { depth += 1 }
            if bytes[index] == Byte.closeParen {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    private func topLevelWord(_ word: String, from start: Int) -> Int? {
        var depth = 0
        for index in start..<bytes.count where mask[index] {
            switch bytes[index] {
            case Byte.openParen, Byte.openBracket: depth += 1
            case Byte.closeParen, Byte.closeBracket: depth -= 1
            default: if depth == 0 && isWord(word, at: index) { return index }
            }
        }
        return nil
    }
}
