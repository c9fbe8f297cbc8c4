/// One `-- name:` entry of a named-query file: a runtime statement or a template.
public struct QueryEntry: Sendable {
    /// Whether the entry is a runtime statement or a template used by derived blocks.
    public enum Kind: String, Sendable {
        /// A runtime statement (the default).
        case statement
        /// A `-- kind: template` entry; not embedded as a statement.
        case template
    }

    /// A declared parameter or result column.
    public struct Field: Sendable, Equatable {
        /// The snake_case name.
        public var name: String
        /// The declared type.
        public var type: SQLType
        /// The 1-based line of the declaration.
        public var line: Int

        /// Creates a field.
        public init(name: String, type: SQLType, line: Int) {
            self.name = name
            self.type = type
            self.line = line
        }

        /// The Swift property name (lowerCamelCase, keyword-escaped).
        public var propertyName: String {
            SwiftName.property(name)
        }
    }

    /// The entry name (`claim`).
    public var name: String
    /// Statement or template.
    public var kind: Kind
    /// Positional parameters: the first is `$1`.
    public var params: [Field]
    /// Result columns, decoded by name.
    public var columns: [Field]
    /// Free documentation lines, in order.
    public var doc: [String]
    /// The statement text (trailing whitespace and one trailing `;` removed).
    public var body: String
    /// The 1-based line of `-- name:`.
    public var line: Int
    /// The 1-based line where the body starts.
    public var bodyLine: Int

    /// Creates an entry.
    public init(
        name: String, kind: Kind, params: [Field], columns: [Field], doc: [String], body: String, line: Int, bodyLine: Int
    ) {
        self.name = name
        self.kind = kind
        self.params = params
        self.columns = columns
        self.doc = doc
        self.body = body
        self.line = line
        self.bodyLine = bodyLine
    }

    /// The Swift struct name (UpperCamelCase).
    public var typeName: String {
        SwiftName.upperCamel(name)
    }

    /// The body split at the schema qualifier; join with `schema + "."` to rebuild it.
    public var parts: [String] {
        SQLLexer.splitAtQualifier(body)
    }
}
