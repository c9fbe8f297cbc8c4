import CeleriacPostgres
import Foundation
import Synchronization

/// The Celeriac application: configuration, the registry of tasks, and the producer.
/// One per process, shared by every task definition, the worker and the CLI.
///
/// ```swift
/// let app = CeleriacApp("simple_example", database: "postgres://localhost:5432/celeriac")
/// app.conf.taskTrackStarted = true
/// app.conf.workerConcurrency = 2
///
/// let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
/// let result = try await add.delay(7, 11)
/// print(try await result.get(timeout: .seconds(10))) // 18
/// ```
public final class CeleriacApp: Sendable {
    /// The app's name, shown in the worker banner.
    public let name: String
    private let configuration: Mutex<Configuration>
    private let tasks = Mutex<[String: RegisteredTask]>([:])
    private let runtime = Mutex<ProducerRuntime?>(nil)

    /// Creates an app. Settings start from their defaults, then `CELERIAC_*` environment
    /// variables, then `database` when given.
    /// - Parameters:
    ///   - name: shown in the banner.
    ///   - database: a `postgres://` URL or conninfo string; default
    ///     `CELERIAC_DATABASE_URL`, else `postgres://localhost:5432/celeriac`.
    public init(_ name: String, database: String? = nil) {
        self.name = name
        var configuration = Configuration()
        // A malformed variable is reported by `validate()` when the app is first used.
        try? configuration.applyEnvironment()
        if let database { configuration.databaseURL = database }
        self.configuration = Mutex(configuration)
    }

    /// The settings. Change them before the first call that touches the database.
    public var conf: Configuration {
        get { configuration.withLock { $0 } }
        set { configuration.withLock { $0 = newValue } }
    }

    // MARK: - Registry

    /// Registers the body that runs under `name`. Later registrations replace earlier ones.
    func register(_ task: RegisteredTask) {
        tasks.withLock { $0[task.name] = task }
    }

    /// The registered task called `name`.
    func registeredTask(named name: String) -> RegisteredTask? {
        tasks.withLock { $0[name] }
    }

    /// The names of every registered task, sorted.
    public var registeredTaskNames: [String] {
        tasks.withLock { $0.keys.sorted() }
    }

    // MARK: - Database access

    /// The SQL catalogue for the configured schema.
    var sql: SchemaSQL { get throws { try producerRuntime().sql } }

    /// The producers' connection pool, opened on first use.
    public var pool: ConnectionPool { get throws { try producerRuntime().pool } }

    private func producerRuntime() throws -> ProducerRuntime {
        if let existing = runtime.withLock({ $0 }) { return existing }
        let conf = self.conf
        try conf.validate()
        let url = try DatabaseURL(conf.databaseURL)
        return runtime.withLock { runtime in
            if let runtime { return runtime }
            let created = ProducerRuntime(
                pool: ConnectionPool(url: url, size: conf.producerPoolSize, name: "celeriac-producer"),
                sql: SchemaSQL(schema: conf.schema)
            )
            runtime = created
            return created
        }
    }

    /// Runs an idempotent database job on the pool, retrying with jittered backoff for up
    /// to about ten seconds when the connection breaks (a restart, a failover, a killed
    /// backend): the pool reconnects on the next attempt.
    func retryingRun<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
        var failures = 0
        while true {
            do {
                return try await pool.run(body)
            } catch let error as PostgresError where error.isConnectionProblem && failures < 8 {
                failures += 1
                try await Task.sleep(for: backoff.next())
            }
        }
    }

    /// Closes the producer connections (the app can reopen them on next use).
    public func shutdown() {
        let closing = runtime.withLock { runtime -> ProducerRuntime? in
            defer { runtime = nil }
            return runtime
        }
        closing?.pool.shutdown()
    }

    /// Creates or upgrades the schema. Returns the file names applied (migrations, then
    /// `repeatable/<file>` for each repeatable file re-applied).
    @discardableResult
    public func migrate() async throws -> [String] {
        let migrator = Migrator(schema: conf.schema)
        return try await retryingRun { connection in try migrator.apply(on: connection).names }
    }
}

/// What a producer needs, created once per app.
struct ProducerRuntime: Sendable {
    let pool: ConnectionPool
    let sql: SchemaSQL
}

extension CeleriacApp {
    /// Runs one idempotent statement on the app's pool (retried across reconnects) and
    /// returns the first column of the first row. For tools and tests.
    @discardableResult
    public func sendQuery(_ sql: String, _ parameters: [String?] = []) async throws -> String? {
        try await retryingRun { connection in try connection.execute(sql, parameters).scalar }
    }
}
