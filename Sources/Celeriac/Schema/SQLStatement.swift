import CeleriacPostgres

/// One named statement of the SQL catalogue (`sql/queries/<file>.sql`), as the EmbedSQL plugin
/// embeds it: its name, and its text split wherever it names the schema, so the same statement
/// serves any schema.
package struct NamedQuery: Sendable {
    /// Its position in ``SQL/all``.
    package let index: Int
    /// The file under `sql/queries`, without `.sql` (the table it is about).
    package let file: String
    /// The name after `-- name:`.
    package let name: String
    /// Its `-- param` lines in `$n` order, as `name type` (`queues text[]`, `expires float8?`).
    package let parameters: [String]
    /// Its comment, one line per line of the file.
    package let documentation: String
    /// The text, cut at each `celeriac.` schema qualifier (the qualifier removed).
    package let parts: [String]

    package init(index: Int, file: String, name: String, parameters: [String], documentation: String, parts: [String]) {
        self.index = index
        self.file = file
        self.name = name
        self.parameters = parameters
        self.documentation = documentation
        self.parts = parts
    }

    /// `tasks.claim`: how errors and logs name it.
    package var qualifiedName: String { "\(file).\(name)" }

    /// The statement for `schema`, ready to prepare.
    package func text(schema: String) -> String {
        parts.joined(separator: schema + ".")
    }
}

/// A statement of the catalogue with its parameters: generated for every `-- name:` entry from
/// its `-- param` lines (in `$n` order).
package protocol SQLStatement: Sendable {
    /// The row type, generated from the entry's `-- column` lines (``NoRow`` without any).
    associatedtype Row: SQLRow
    /// The statement.
    static var query: NamedQuery { get }
    /// The parameters as text, `$1` first (nil is SQL NULL).
    var parameters: [String?] { get }
}

/// One result row, decoded by column name: generated from an entry's `-- column` lines.
package protocol SQLRow: Sendable {
    /// The column names, in the order of `index` in ``init(_:row:at:)``.
    static var columns: [String] { get }
    /// Decodes row `row` of `result`, whose column `columns[k]` is at `index[k]`.
    init(_ result: QueryResult, row: Int, at index: [Int]) throws
}

/// The row type of statements that return no rows the caller reads.
package struct NoRow: SQLRow {
    package static let columns: [String] = []
    package init(_ result: QueryResult, row: Int, at index: [Int]) {}
}
