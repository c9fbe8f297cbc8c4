import CeleriacPostgres

/// The SQL catalogue (``SQL``) for one schema: every named statement with the schema's name in
/// place, prepared once per session under a short name.
///
/// Prepared statement names are `celeriac_<index>_<schema>`: at most 61 characters, under
/// PostgreSQL's 63, and distinct per schema on one session.
package struct SchemaSQL: Sendable {
    /// The schema (validated by ``Configuration/validate()`` before it reaches here).
    package let schema: String
    /// The NOTIFY channels of this schema.
    package let topics: Topics
    private let prepared: [PreparedStatement]

    package init(schema: String) {
        self.schema = schema
        topics = Topics(schema: schema)
        prepared = SQL.all.map { query in
            PreparedStatement(name: "celeriac_\(query.index)_\(schema)", sql: query.text(schema: schema))
        }
    }

    /// The prepared form of `statement`'s query, and its parameters.
    package func bind<S: SQLStatement>(_ statement: S) -> (PreparedStatement, [String?]) {
        (prepared[S.query.index], statement.parameters)
    }
}

extension Connection {
    /// Runs a catalogue statement and returns its raw result.
    @discardableResult
    package func run<S: SQLStatement>(_ statement: S, in sql: SchemaSQL) throws -> QueryResult {
        let (prepared, parameters) = sql.bind(statement)
        do {
            return try execute(prepared, parameters)
        } catch var error as PostgresError {
            error.queryName = S.query.qualifiedName
            throw error
        }
    }

    /// Runs a catalogue statement and decodes its rows by column name.
    package func rows<S: SQLStatement>(_ statement: S, in sql: SchemaSQL) throws -> [S.Row] {
        try S.Row.decode(try run(statement, in: sql), query: S.query)
    }

    /// Runs a catalogue statement and decodes its first row, if any.
    package func row<S: SQLStatement>(_ statement: S, in sql: SchemaSQL) throws -> S.Row? {
        try rows(statement, in: sql).first
    }
}

extension SQLRow {
    /// Every row of `result`, each column found by its name.
    package static func decode(_ result: QueryResult, query: NamedQuery) throws -> [Self] {
        let index = try columns.map { name in
            guard let column = result.column(named: name) else {
                throw PostgresError(
                    code: .unexpectedResult, message: "the result has no column \(name)", queryName: query.qualifiedName)
            }
            return column
        }
        var rows: [Self] = []
        rows.reserveCapacity(result.rowCount)
        for row in 0..<result.rowCount { rows.append(try Self(result, row: row, at: index)) }
        return rows
    }
}
