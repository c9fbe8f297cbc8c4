/// A `-- kind: template` entry: `INSERT INTO <table> (<cols>) SELECT <exprs> FROM <relation> AS <alias>`.
///
/// Derived blocks expand it to the columns whose fields the using statement supplies.
public struct Template: Sendable {
    /// The query file the template is defined in (`tasks`).
    public var file: String
    /// The template name (`insert_row`).
    public var name: String
    /// The target table as written (`celeriac.tasks`).
    public var table: String
    /// The target columns.
    public var columns: [String]
    /// The SELECT expressions (whitespace collapsed), one per column.
    public var expressions: [String]
    /// For each expression, the `<alias>.<field>` fields it references, in order of first use.
    public var fields: [[String]]
    /// The input relation (`task_input`).
    public var relation: String
    /// The relation alias (`i`).
    public var alias: String

    /// `file.name`, the reference used by `-- derive:` markers.
    public var reference: String {
        "\(file).\(name)"
    }

    /// The error thrown by `derive` when a column is only partly supplied.
    public struct DeriveError: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var description: String
    }

    /// Parses the body of a template entry.
    public static func parse(file: String, entry: QueryEntry, path: String) throws -> Template {
        var parser = TemplateParser(text: entry.body)
        func fail(_ message: String) -> CatalogueError {
            CatalogueError(path: path, line: entry.line, message: "template '\(entry.name)': \(message)")
        }
        guard let parsed = parser.parse() else {
            throw fail(parser.error ?? "expected INSERT INTO <table> (<columns>) SELECT <expressions> FROM <relation> AS <alias>")
        }
        guard parsed.columns.count == parsed.expressions.count else {
            throw fail("\(parsed.columns.count) columns but \(parsed.expressions.count) SELECT expressions")
        }
        if let empty = (parsed.columns + parsed.expressions).first(where: \.isEmpty) {
            throw fail("empty column or expression '\(empty)'")
        }
        let fields = parsed.expressions.map { referencedFields(in: $0, alias: parsed.alias) }
        return Template(
            file: file, name: entry.name, table: parsed.table, columns: parsed.columns, expressions: parsed.expressions,
            fields: fields, relation: parsed.relation, alias: parsed.alias)
    }

    /// The three generated lines (more when wrapped) for a statement whose `relation` supplies
    /// `available` fields. `qualified: false` removes the schema qualifier (for sql/repeatable).
    public func derive(fields available: [String], qualified: Bool, indent: String = "", width: Int = 120) throws -> [String] {
        let supplied = Set(available.map { $0.lowercased() })
        var keptColumns: [String] = []
        var keptExpressions: [String] = []
        for (index, column) in columns.enumerated() {
            let needed = fields[index]
            let missing = needed.filter { !supplied.contains($0.lowercased()) }
            if missing.isEmpty {
                keptColumns.append(column)
                keptExpressions.append(expressions[index])
            } else if missing.count < needed.count {
                throw DeriveError(
                    description: "column '\(column)' of \(reference) needs \(relation) fields \(needed.joined(separator: ", ")); "
                        + "missing \(missing.joined(separator: ", "))")
            }
        }
        let unqualify: (String) -> String = { qualified ? $0 : SQLLexer.splitAtQualifier($0).joined() }
        return Self.wrap(indent: indent, head: "INSERT INTO \(unqualify(table)) (", items: keptColumns, close: ")", width: width)
            + Self.wrap(indent: indent, head: "SELECT ", items: keptExpressions.map(unqualify), close: "", width: width)
            + [indent + "FROM \(unqualify(relation)) AS \(alias)"]
    }

    /// `head` + items joined by ", " + `close`; wrapped after commas, aligned under the first item, when wider than `width`.
    static func wrap(indent: String, head: String, items: [String], close: String, width: Int) -> [String] {
        let single = indent + head + items.joined(separator: ", ") + close
        guard single.count > width else { return [single] }
        let alignment = indent + String(repeating: " ", count: head.count)
        var lines: [String] = []
        var current = indent + head
        for (index, item) in items.enumerated() {
            let piece = item + (index == items.count - 1 ? close : ",")
            if index == 0 {
                current += piece
            } else if current.count + 1 + piece.count <= width {
                current += " " + piece
            } else {
                lines.append(current)
                current = alignment + piece
            }
        }
        lines.append(current)
        return lines
    }

    /// The identifiers `f` appearing as `<alias>.f` in code.
    static func referencedFields(in expression: String, alias: String) -> [String] {
        let bytes = Array(expression.utf8)
        let mask = SQLLexer.codeMask(bytes)
        let pattern = Array((alias + ".").utf8)
        var found: [String] = []
        var index = 0
        while let match = SQLLexer.find(pattern, in: bytes, from: index) {
            index = match + pattern.count
            guard mask[match], match == 0 || (!SQLLexer.isIdentifierByte(bytes[match - 1]) && bytes[match - 1] != Byte.dot) else {
                continue
            }
            var end = index
            while end < bytes.count, SQLLexer.isIdentifierByte(bytes[end]) { end += 1 }
            let field = String(decoding: bytes[index..<end], as: UTF8.self)
            if !field.isEmpty && !found.contains(field) { found.append(field) }
        }
        return found
    }
}
