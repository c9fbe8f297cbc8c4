/// An error from the database layer: what went wrong, PostgreSQL's SQLSTATE when the
/// server sent one, and the name of the query that failed.
///
/// Messages never contain connection passwords: connection strings are reported
/// through ``DatabaseURL/masked``.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// The broad category of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        /// The connection string could not be understood.
        public static let invalidConnectionString = Code(raw: "invalidConnectionString")
        /// Connecting (or reconnecting) failed.
        public static let connectionFailed = Code(raw: "connectionFailed")
        /// The server refused the connection for good: wrong password, unknown role or
        /// database, no access. Retrying cannot help.
        public static let connectionRejected = Code(raw: "connectionRejected")
        /// The connection broke while a statement was running or being sent.
        public static let connectionLost = Code(raw: "connectionLost")
        /// The server rejected a statement (see ``PostgresError/sqlState``).
        public static let server = Code(raw: "server")
        /// The server answered with something the caller did not expect.
        public static let unexpectedResult = Code(raw: "unexpectedResult")
        /// A wait ran out of time.
        public static let timeout = Code(raw: "timeout")
        public var description: String { raw }
    }

    /// The broad category of failure.
    public var code: Code
    /// The five-character SQLSTATE sent by the server, e.g. `23505` for a unique violation.
    public var sqlState: String?
    /// The primary, human-readable message.
    public var message: String
    /// The server's optional detail line.
    public var detail: String?
    /// The server's optional hint line.
    public var hint: String?
    /// The name of the statement that failed, when it had one.
    public var queryName: String?

    public init(
        code: Code,
        message: String,
        sqlState: String? = nil,
        detail: String? = nil,
        hint: String? = nil,
        queryName: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.queryName = queryName
    }

    /// True when retrying on a fresh connection may succeed (the connection broke,
    /// or the server is shutting down / starting up).
    public var isConnectionProblem: Bool {
        if code == .connectionLost || code == .connectionFailed { return true }
        guard let state = sqlState else { return false }
        // Class 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now.
        return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
    }

    public var description: String {
        var text = "\(code)"
        if let sqlState { text += " [\(sqlState)]" }
        if let queryName { text += " in \(queryName)" }
        text += ": \(message)"
        if let detail { text += " (\(detail))" }
        if let hint { text += " hint: \(hint)" }
        return text
    }
}
