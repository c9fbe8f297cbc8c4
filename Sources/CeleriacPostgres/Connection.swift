import CLibPQ
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One blocking libpq connection. Owns its `PGconn` and closes it on deinit.
///
/// A `Connection` is used by one thread at a time and is deliberately not `Sendable`:
/// create it on the thread that will use it (see ``DatabaseThread``), never on Swift's
/// cooperative pool, since every call below blocks on the network.
///
/// ```swift
/// let connection = try Connection(url: DatabaseURL("postgres://localhost/app"))
/// let rows = try connection.execute("SELECT $1::int + 1", ["41"])
/// print(rows.int(0, 0) ?? 0) // 42
/// ```
public final class Connection {
    /// Where this connection goes.
    public let url: DatabaseURL
    /// Statements run after every (re)connect, e.g. `SET statement_timeout = '30s'`.
    public let sessionSetup: [String]
    private let applicationName: String
    /// The libpq connection (nil once closed). Touched only by this connection's owner.
    var handle: OpaquePointer?
    private var preparedNames: Set<String> = []
    /// The channels LISTENed on, renewed after a reconnect.
    var channels: [String] = []

    /// Connects at once.
    /// - Parameters:
    ///   - url: the server.
    ///   - applicationName: shown in `pg_stat_activity` unless the URL sets one.
    ///   - sessionSetup: statements run after every (re)connect.
    public init(url: DatabaseURL, applicationName: String = "celeriac", sessionSetup: [String] = []) throws {
        self.url = url
        self.applicationName = applicationName
        self.sessionSetup = sessionSetup
        try connect()
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    // MARK: - Connection state

    /// Whether libpq believes the connection is usable.
    public var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server process id serving this connection (for `pg_terminate_backend`).
    public var backendPID: Int32 {
        guard let handle else { return 0 }
        return PQbackendPID(handle)
    }

    /// The server's version number, e.g. 150018.
    public var serverVersion: Int {
        guard let handle else { return 0 }
        return Int(PQserverVersion(handle))
    }

    /// (Re)connects from scratch: closes any previous session, runs ``sessionSetup``,
    /// and `LISTEN`s again on every channel this connection listened on.
    public func connect() throws {
        if let handle {
            PQfinish(handle)
            self.handle = nil
        }
        preparedNames.removeAll()
        // Defaults first: a later `dbname` connection string overrides them.
        let pairs: [(String, String)] = [
            ("application_name", applicationName),
            ("connect_timeout", "10"),
            ("keepalives", "1"),
            ("keepalives_idle", "10"),
            ("keepalives_interval", "5"),
            ("keepalives_count", "3"),
            // A statement sent into a dead network fails after 10 s instead of TCP's minutes.
            ("tcp_user_timeout", "10000"),
            ("client_encoding", "UTF8"),
            ("dbname", url.rawValue),
        ]
        let keys = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keyPointers = keys.map { UnsafePointer($0) } + [nil]
        var valuePointers = values.map { UnsafePointer($0) } + [nil]
        let connection = PQconnectdbParams(&keyPointers, &valuePointers, 1)
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { Self.trimmedMessage(PQerrorMessage($0)) } ?? "out of memory"
            if let connection { PQfinish(connection) }
            throw PostgresError(
                code: Self.isPermanent(message) ? .connectionRejected : .connectionFailed,
                message: "could not connect to \(url.masked): \(DatabaseURL.mask(message))"
            )
        }
        handle = connection
        // Server NOTICEs (e.g. from DROP … CASCADE) would otherwise go straight to stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        // Behind a transaction pooler the next transaction may run on another server
        // connection: session settings would apply to someone else's session.
        for statement in sessionSetup where !url.pooled {
            _ = try execute(statement)
        }
        for channel in channels {
            _ = try execute("LISTEN \(Self.quoteIdentifier(channel))")
        }
    }

    /// Closes the session. Later calls fail until ``connect()``.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    // MARK: - Statements

    /// Runs one statement with text parameters (`$1`, `$2`, …; nil is SQL NULL).
    /// - Parameter name: a name for error messages.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = [], name: String? = nil) throws -> QueryResult {
        let handle = try liveHandle(name: name)
        let result = Self.withCStrings(parameters) { pointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        return try check(result, name: name)
    }

    /// Runs a prepared statement, preparing it on first use on this session. Behind a
    /// transaction pooler (``DatabaseURL/pooled``) it is sent unnamed instead: parsed and
    /// planned on each execution, since a named statement lives in one server session.
    @discardableResult
    public func execute(_ statement: PreparedStatement, _ parameters: [String?] = []) throws -> QueryResult {
        if url.pooled { return try execute(statement.sql, parameters, name: statement.name) }
        let handle = try liveHandle(name: statement.name)
        if !preparedNames.contains(statement.name) {
            let prepared = PQprepare(handle, statement.name, statement.sql, 0, nil)
            _ = try check(prepared, name: statement.name)
            preparedNames.insert(statement.name)
        }
        let result = Self.withCStrings(parameters) { pointers in
            PQexecPrepared(handle, statement.name, Int32(parameters.count), pointers, nil, nil, 0)
        }
        return try check(result, name: statement.name)
    }

    /// Sends several prepared statements in one round trip (libpq pipeline mode) and
    /// returns their results in order.
    ///
    /// The statements share one implicit transaction: one commit for all of them, and if
    /// any fails, none takes effect and the first error is thrown.
    public func pipeline(_ statements: [(PreparedStatement, [String?])]) throws -> [QueryResult] {
        let handle = try liveHandle(name: statements.first?.0.name)
        for (statement, _) in statements where !url.pooled && !preparedNames.contains(statement.name) {
            let prepared = PQprepare(handle, statement.name, statement.sql, 0, nil)
            _ = try check(prepared, name: statement.name)
            preparedNames.insert(statement.name)
        }
        guard PQenterPipelineMode(handle) == 1 else { throw connectionError(name: "pipeline") }
        var clean = false
        defer {
            // A pipeline left half-read cannot be reused: drop the session rather than risk it.
            if !clean || PQexitPipelineMode(handle) != 1 { close() }
        }
        for (statement, parameters) in statements {
            let pooled = url.pooled
            let sent = Self.withCStrings(parameters) { pointers in
                pooled
                    ? PQsendQueryParams(handle, statement.sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
                    : PQsendQueryPrepared(handle, statement.name, Int32(parameters.count), pointers, nil, nil, 0)
            }
            guard sent == 1 else { throw connectionError(name: statement.name) }
        }
        guard PQpipelineSync(handle) == 1 else { throw connectionError(name: "pipeline") }
        var results: [QueryResult] = []
        var failure: PostgresError?
        for (statement, _) in statements {
            guard let result = PQgetResult(handle) else { throw connectionError(name: statement.name) }
            let status = PQresultStatus(result)
            if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                results.append(QueryResult(handle: result))
            } else {
                if failure == nil, status != PGRES_PIPELINE_ABORTED {
                    failure = Self.serverError(result, name: statement.name)
                }
                PQclear(result)
            }
            // Each statement's results end with a NULL.
            while let extra = PQgetResult(handle) { PQclear(extra) }
        }
        // Read up to the sync point. Anything else on the way is an error from the implicit
        // COMMIT (e.g. a deferred constraint): then nothing above took effect.
        var synced = false
        var nulls = 0
        while !synced, nulls < 3 {
            guard let result = PQgetResult(handle) else {
                nulls += 1
                continue
            }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_SYNC {
                synced = true
            } else if failure == nil, status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK, status != PGRES_PIPELINE_ABORTED {
                failure = Self.serverError(result, name: "pipeline commit")
            }
            PQclear(result)
        }
        guard synced, PQstatus(handle) == CONNECTION_OK else { throw connectionError(name: "pipeline") }
        clean = true
        if let failure { throw failure }
        return results
    }

    /// Runs several `;`-separated statements without parameters (the simple query
    /// protocol), e.g. a migration file. They run in one implicit transaction unless
    /// the script has its own `BEGIN`/`COMMIT`.
    public func executeScript(_ sql: String, name: String? = nil) throws {
        let handle = try liveHandle(name: name)
        guard PQsendQuery(handle, sql) == 1 else {
            throw connectionError(name: name)
        }
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            if failure == nil, status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK, status != PGRES_EMPTY_QUERY {
                failure = Self.serverError(result, name: name)
            }
            PQclear(result)
        }
        if let failure { throw failure }
        if PQstatus(handle) != CONNECTION_OK { throw connectionError(name: name) }
    }

    /// Runs `body` between `BEGIN` and `COMMIT`, rolling back if it throws.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body(self)
            try execute("COMMIT")
            return value
        } catch {
            if isConnected { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    // MARK: - Helpers

    /// Whether libpq's message for a failed connection means retrying cannot help: the server
    /// answered and said no (credentials, role, database, access), or the connection string
    /// itself is wrong. libpq gives no SQLSTATE for a failed connection, only this text.
    package static func isPermanent(_ message: String) -> Bool {
        let permanent = [
            "password authentication failed", "authentication failed", "no password supplied",
            "no pg_hba.conf entry", "does not exist", "permission denied", "is not permitted to log in",
            "invalid connection option", "invalid URI", "missing \"=\"", "invalid sslmode", "invalid port number",
        ]
        return permanent.contains { message.contains($0) }
    }

    /// `"name"` with embedded quotes doubled.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func liveHandle(name: String?) throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(code: .connectionLost, message: "the connection is closed", queryName: name)
        }
        return handle
    }

    private func check(_ result: OpaquePointer?, name: String?) throws -> QueryResult {
        guard let result else { throw connectionError(name: name) }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY {
            return QueryResult(handle: result)
        }
        var error = Self.serverError(result, name: name)
        PQclear(result)
        if let handle, PQstatus(handle) != CONNECTION_OK {
            error.code = .connectionLost
        }
        throw error
    }

    func connectionError(name: String?) -> PostgresError {
        let message = handle.map { Self.trimmedMessage(PQerrorMessage($0)) } ?? "the connection is closed"
        return PostgresError(code: .connectionLost, message: message.isEmpty ? "connection lost" : message, queryName: name)
    }

    private static func serverError(_ result: OpaquePointer, name: String?) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        let message = field(UInt8(ascii: "M")) ?? trimmedMessage(PQresultErrorMessage(result))
        return PostgresError(
            code: .server,
            message: message.isEmpty ? "statement failed" : message,
            sqlState: field(UInt8(ascii: "C")),
            detail: field(UInt8(ascii: "D")),
            hint: field(UInt8(ascii: "H")),
            queryName: name
        )
    }

    private static func trimmedMessage(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func withCStrings<T>(
        _ strings: [String?],
        _ body: ([UnsafePointer<CChar>?]) -> T
    ) -> T {
        let copies = strings.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}

/// A statement prepared once per session and then executed by name.
public struct PreparedStatement: Sendable, Hashable {
    /// The server-side name; unique per distinct SQL text.
    public let name: String
    /// The SQL with `$n` placeholders.
    public let sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}
