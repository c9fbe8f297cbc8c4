/// A small SQL lexer that knows which bytes of a statement are code and which are inside
/// comments, string literals, quoted identifiers or dollar-quoted strings.
///
/// All offsets are UTF-8 byte offsets. Every byte the lexer cares about is ASCII, so
/// splitting at the positions it reports always yields valid UTF-8.
public enum SQLLexer {
    /// The schema qualifier statements are written with.
    public static let qualifier = "celeriac."

    /// A `$n` positional parameter found in code.
    public struct Placeholder: Sendable, Equatable {
        /// The parameter number `n`.
        public var number: Int
        /// The UTF-8 offset of the `$`.
        public var offset: Int
    }

    /// Returns one flag per UTF-8 byte of `bytes`: `true` where the byte is code, `false` inside
    /// `--` and `/* */` comments, `'…'` literals (`E'…'` with backslash escapes), `"…"` identifiers
    /// and `$tag$…$tag$` strings. Unterminated constructs run to the end of the text.
    public static func codeMask(_ bytes: [UInt8]) -> [Bool] {
        var mask = [Bool](repeating: true, count: bytes.count)
        let count = bytes.count
        var index = 0
        func markNonCode(_ start: Int, _ end: Int) {
            for position in start..<min(end, count) { mask[position] = false }
        }
        func byte(_ position: Int) -> UInt8? {
            position < count ? bytes[position] : nil
        }
        while index < count {
            let current = bytes[index]
            let next = byte(index + 1)
            var end = index + 1
            if current == Byte.dash && next == Byte.dash {
                end = index
                while end < count && bytes[end] != Byte.newline { end += 1 }
            } else if current == Byte.slash && next == Byte.star {
                end = blockCommentEnd(bytes, from: index)
            } else if current == Byte.quote {
                end = quotedEnd(bytes, from: index, delimiter: Byte.quote, backslashEscapes: isEscapeStringPrefix(bytes, index))
            } else if current == Byte.doubleQuote {
                end = quotedEnd(bytes, from: index, delimiter: Byte.doubleQuote, backslashEscapes: false)
            } else if current == Byte.dollar, index == 0 || !isIdentifierByte(bytes[index - 1]),
                let tagEnd = dollarTagEnd(bytes, from: index)
            {
                let tag = Array(bytes[index..<tagEnd])
                end = find(tag, in: bytes, from: tagEnd).map { $0 + tag.count } ?? count
            } else {
                index += 1
                continue
            }
            markNonCode(index, end)
            index = end
        }
        return mask
    }

    /// Splits `text` at every occurrence of `qualifier` that is in code and not preceded by an
    /// identifier character, removing the qualifier. `parts.joined(separator: qualifier)` gives
    /// back `text` exactly.
    public static func splitAtQualifier(_ text: String, qualifier: String = SQLLexer.qualifier) -> [String] {
        let bytes = Array(text.utf8)
        let pattern = Array(qualifier.utf8)
        let mask = codeMask(bytes)
        var parts: [String] = []
        var start = 0
        var index = 0
        while !pattern.isEmpty && index + pattern.count <= bytes.count {
            let matches =
                mask[index] && (index == 0 || !isIdentifierByte(bytes[index - 1]))
                && bytes[index..<index + pattern.count].elementsEqual(pattern)
                && mask[index..<index + pattern.count].allSatisfy { $0 }
            if matches {
                parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
                index += pattern.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(String(decoding: bytes[start...], as: UTF8.self))
        return parts
    }

    /// Every `$n` placeholder in code (not preceded by an identifier character), in text order.
    public static func placeholders(in text: String) -> [Placeholder] {
        let bytes = Array(text.utf8)
        let mask = codeMask(bytes)
        var found: [Placeholder] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == Byte.dollar, mask[index], index == 0 || !isIdentifierByte(bytes[index - 1]) else {
                index += 1
                continue
            }
            var end = index + 1
            var number = 0
            while end < bytes.count, isDigit(bytes[end]) {
                number = number &* 10 &+ Int(bytes[end] - Byte.zero)
                end += 1
            }
            if end > index + 1 {
                found.append(Placeholder(number: number, offset: index))
            }
            index = end
        }
        return found
    }

    /// Splits `text` at `separator` bytes that are in code and outside parentheses and brackets.
    /// The pieces are returned untrimmed.
    public static func splitTopLevel(_ text: String, separator: Character = ",") -> [String] {
        let bytes = Array(text.utf8)
        let mask = codeMask(bytes)
        let separatorByte = separator.asciiValue ?? Byte.comma
        var pieces: [String] = []
        var depth = 0
        var start = 0
        for (index, current) in bytes.enumerated() where mask[index] {
            switch current {
            case Byte.openParen, Byte.openBracket: depth += 1
            case Byte.closeParen, Byte.closeBracket: depth = max(0, depth - 1)
            case separatorByte where depth == 0:
                pieces.append(String(decoding: bytes[start..<index], as: UTF8.self))
                start = index + 1
            default: break
            }
        }
        pieces.append(String(decoding: bytes[start...], as: UTF8.self))
        return pieces
    }

    /// Replaces every run of whitespace in code with a single space and trims the result;
    /// whitespace inside literals and comments is kept.
    public static func collapseWhitespace(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let mask = codeMask(bytes)
        var output: [UInt8] = []
        var pendingSpace = false
        for (index, current) in bytes.enumerated() {
            if mask[index] && isWhitespace(current) {
                pendingSpace = true
                continue
            }
            if pendingSpace && !output.isEmpty { output.append(Byte.space) }
            pendingSpace = false
            output.append(current)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Whether `byte` can be part of an unquoted identifier (`[A-Za-z0-9_$]` or non-ASCII).
    public static func isIdentifierByte(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte) || byte == Byte.dollar
    }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == Byte.underscore || byte >= 0x80
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= Byte.zero && byte <= Byte.zero + 9
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == Byte.space || byte == Byte.newline || byte == Byte.tab || byte == Byte.carriageReturn || byte == 0x0C
    }

    /// The first offset at or after `start` where `pattern` occurs in `bytes`.
    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return nil }
        var index = start
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0] && bytes[index..<index + pattern.count].elementsEqual(pattern) {
                return index
            }
            index += 1
        }
        return nil
    }

    private static func blockCommentEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < bytes.count {
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            if bytes[index] == Byte.slash && next == Byte.star {
                depth += 1
                index += 2
            } else if bytes[index] == Byte.star && next == Byte.slash {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return bytes.count
    }

    private static func quotedEnd(_ bytes: [UInt8], from start: Int, delimiter: UInt8, backslashEscapes: Bool) -> Int {
        var index = start + 1
        while index < bytes.count {
            let current = bytes[index]
            if backslashEscapes && current == Byte.backslash {
                index += 2
            } else if current == delimiter {
                if index + 1 < bytes.count && bytes[index + 1] == delimiter {
                    index += 2
                } else {
                    return index + 1
                }
            } else {
                index += 1
            }
        }
        return bytes.count
    }

    /// `E'…'` / `e'…'` strings take backslash escapes.
    private static func isEscapeStringPrefix(_ bytes: [UInt8], _ quoteIndex: Int) -> Bool {
        guard quoteIndex >= 1, bytes[quoteIndex - 1] == 0x45 || bytes[quoteIndex - 1] == 0x65 else { return false }
        return quoteIndex == 1 || !isIdentifierByte(bytes[quoteIndex - 2])
    }

    /// If a dollar-quote opening tag (`$$` or `$tag$`) starts at `start`, the offset just past it.
    private static func dollarTagEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        guard index < bytes.count else { return nil }
        if bytes[index] == Byte.dollar { return index + 1 }
        guard isIdentifierStart(bytes[index]) else { return nil }
        while index < bytes.count, isIdentifierStart(bytes[index]) || isDigit(bytes[index]) {
            index += 1
        }
        return index < bytes.count && bytes[index] == Byte.dollar ? index + 1 : nil
    }
}
