/// Checks and rewrites `-- derive: <file>.<template>` … `-- end derive` blocks.
public enum DerivedBlocks {
    /// One derived block in a file.
    public struct Block: Sendable {
        /// The 0-based index of the `-- derive:` line.
        public var markerIndex: Int
        /// The 0-based index of the `-- end derive` line.
        public var endIndex: Int
        /// The marker's indentation, applied to every generated line.
        public var indent: String
        /// The template reference (`tasks.insert_row`).
        public var reference: String
        /// What the block should contain.
        public var expansion: [String]
    }

    /// Every block in `fileText` with its expansion, plus the problems found.
    public static func blocks(
        fileText: String, path: String, templates: [String: Template], qualified: Bool
    ) -> (blocks: [Block], diagnostics: [Diagnostic]) {
        let lines = fileText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var blocks: [Block] = []
        var diagnostics: [Diagnostic] = []
        var offset = 0
        var index = 0
        var lineOffsets: [Int] = []
        for line in lines {
            lineOffsets.append(offset)
            offset += line.utf8.count + 1
        }
        while index < lines.count {
            guard let reference = markerValue(lines[index], key: "derive:") else {
                index += 1
                continue
            }
            func fail(_ message: String) {
                diagnostics.append(Diagnostic(path: path, line: index + 1, message: message))
            }
            guard let end = lines[(index + 1)...].firstIndex(where: { markerValue($0, key: "end derive") != nil }) else {
                fail("'-- derive: \(reference)' has no matching '-- end derive'")
                return (blocks, diagnostics)
            }
            defer { index = end + 1 }
            guard let template = templates[reference] else {
                fail("unknown template '\(reference)' (templates: \(templates.keys.sorted().joined(separator: ", ")))")
                continue
            }
            let before = Array(fileText.utf8.prefix(lineOffsets[index]))
            guard let available = fieldList(of: template.relation, in: before) else {
                fail("no '\(template.relation) (<fields>) AS' found before '-- derive: \(reference)'")
                continue
            }
            let indent = lines[index].leadingIndentation()
            do {
                let expansion = try template.derive(fields: available, qualified: qualified, indent: indent)
                blocks.append(Block(markerIndex: index, endIndex: end, indent: indent, reference: reference, expansion: expansion))
            } catch {
                fail("\(error)")
            }
        }
        return (blocks, diagnostics)
    }

    /// Problems in `fileText`, including every block whose lines differ from its expansion.
    public static func check(fileText: String, path: String, templates: [String: Template], qualified: Bool) -> [Diagnostic] {
        let lines = fileText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let (blocks, diagnostics) = blocks(fileText: fileText, path: path, templates: templates, qualified: qualified)
        let stale = blocks.filter { Array(lines[($0.markerIndex + 1)..<$0.endIndex]) != $0.expansion }.map { block in
            Diagnostic(
                path: path, line: block.markerIndex + 1,
                message: "the block derived from \(block.reference) is out of date; run 'make sql'")
        }
        return diagnostics + stale
    }

    /// `fileText` with every block's lines replaced by its expansion; throws if any block is invalid.
    public static func rewrite(fileText: String, path: String, templates: [String: Template], qualified: Bool) throws -> String {
        var lines = fileText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let (blocks, diagnostics) = blocks(fileText: fileText, path: path, templates: templates, qualified: qualified)
        if !diagnostics.isEmpty { throw CatalogueError(diagnostics) }
        for block in blocks.reversed() {
            lines.replaceSubrange((block.markerIndex + 1)..<block.endIndex, with: block.expansion)
        }
        return lines.joined(separator: "\n")
    }

    /// The value after `-- <key>` when `line` (ignoring indentation) is such a marker.
    static func markerValue(_ line: String, key: String) -> String? {
        let trimmed = line.trimmingWhitespace()
        guard trimmed.hasPrefix("--") else { return nil }
        let content = trimmed.dropFirst(2).trimmingWhitespace()
        guard content.lowercased().hasPrefix(key) else { return nil }
        return content.dropFirst(key.count).trimmingWhitespace()
    }

    /// The field list of the last `<relation> (<f>, <f>, …) AS` in `bytes` (case-insensitive).
    static func fieldList(of relation: String, in bytes: [UInt8]) -> [String]? {
        let pattern = Array(relation.lowercased().utf8)
        let lowered = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        var result: [String]?
        var search = 0
        while let match = SQLLexer.find(pattern, in: lowered, from: search) {
            search = match + 1
            guard match == 0 || !SQLLexer.isIdentifierByte(lowered[match - 1]) else { continue }
            var index = match + pattern.count
            while index < bytes.count, SQLLexer.isWhitespace(bytes[index]) { index += 1 }
            guard index < bytes.count, bytes[index] == Byte.openParen,
                let close = bytes[index...].firstIndex(of: Byte.closeParen)
            else { continue }
            var after = close + 1
            while after < bytes.count, SQLLexer.isWhitespace(bytes[after]) { after += 1 }
            let isAs =
                after + 2 <= bytes.count && lowered[after] == 0x61 && lowered[after + 1] == 0x73
                && (after + 2 == bytes.count || !SQLLexer.isIdentifierByte(lowered[after + 2]))
            guard isAs else { continue }
            let inner = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
            result = inner.split(separator: ",").map { $0.trimmingWhitespace() }
        }
        return result
    }
}
