import CeleriacPostgres
import Foundation
import Logging
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
    /// The settings as the code set them, the command-line overrides, and the settings as
    /// they apply: the code's, then the environment, then the overrides.
    private let configuration: Mutex<(code: Configuration, overrides: [Override], effective: Configuration)>
    /// The `CELERIAC_*` variables this app reads (the process environment by default).
    private let environment: [String: String]
    private let tasks = Mutex<[String: RegisteredTask]>([:])
    /// Celery's signals: functions called around publishing and as workers run tasks
    /// (``Hooks``).
    public let hooks = Hooks()
    /// What eager mode ran (``Configuration/taskAlwaysEager``).
    let eagerOutcomes = EagerOutcomes()
    private let runtime = Mutex<ProducerRuntime?>(nil)

    /// Creates an app.
    ///
    /// Settings apply in one order everywhere, each over the one before: the defaults, what
    /// the code sets (`database`, `app.conf`), the `CELERIAC_*` environment variables, and the
    /// command-line flags of the hosted commands. The deployment decides over the build, so a
    /// producer and the worker in one process always read the same settings.
    /// - Parameters:
    ///   - name: shown in the banner.
    ///   - database: a `postgres://` URL or conninfo string; `CELERIAC_DATABASE_URL` wins
    ///     when set. Default `postgres://localhost:5432/celeriac`.
    ///   - environment: where `CELERIAC_*` variables are read (default: the process's). A
    ///     malformed one is reported by ``checkEnvironment()``, and by every call that touches
    ///     the database, naming the variable.
    public init(
        _ name: String,
        database: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.name = name
        self.environment = environment
        var code = Configuration()
        if let database { code.databaseURL = database }
        configuration = Mutex((code, [], Self.effective(code, environment, [])))
    }

    /// A change made by command-line flags: applied over the environment.
    public typealias Override = @Sendable (inout Configuration) -> Void

    /// The settings in force: what the code set, with the environment applied over it.
    /// Change them before the first call that touches the database; a variable set in the
    /// environment keeps its value whatever the code assigns.
    public var conf: Configuration {
        get { configuration.withLock { $0.effective } }
        set {
            let environment = self.environment
            configuration.withLock { state in
                state.code = newValue
                state.effective = Self.effective(newValue, environment, state.overrides)
            }
        }
    }

    /// Applies `change` over the environment, now and after any later change to ``conf``:
    /// what the hosted commands do with their flags (`--database`, `--schema`, `-c`).
    public func override(_ change: @escaping Override) {
        let environment = self.environment
        configuration.withLock { state in
            state.overrides.append(change)
            state.effective = Self.effective(state.code, environment, state.overrides)
        }
    }

    /// Throws a ``ConfigurationError`` naming every malformed `CELERIAC_*` variable.
    public func checkEnvironment() throws {
        var probe = configuration.withLock { $0.code }
        try probe.applyEnvironment(environment)
    }

    /// `code` with every well-formed variable of `environment` applied over it, then `overrides`.
    private static func effective(
        _ code: Configuration,
        _ environment: [String: String],
        _ overrides: [Override]
    ) -> Configuration {
        var effective = code
        // Malformed variables are skipped here and reported by checkEnvironment().
        try? effective.applyEnvironment(environment)
        for override in overrides { override(&effective) }
        return effective
    }

    // MARK: - Registry

    /// Registers the body that runs under `name`. Later registrations replace earlier ones.
    func register(_ task: RegisteredTask) {
        tasks.withLock { $0[task.name] = task }
    }

    /// The registered task called `name` (or the built-in ``Starmap``, which every app runs).
    func registeredTask(named name: String) -> RegisteredTask? {
        tasks.withLock { $0[name] } ?? (name == Starmap.name ? Starmap.task(in: self) : nil)
    }

    /// Every registered task, by name.
    var registeredTasks: [RegisteredTask] {
        tasks.withLock { $0.values.sorted { $0.name < $1.name } }
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
        try checkEnvironment()
        let conf = self.conf
        try conf.validate()
        let url = try DatabaseURL(conf.databaseURL)
        return runtime.withLock { runtime in
            if let runtime { return runtime }
            let created = ProducerRuntime(
                pool: ConnectionPool(
                    url: url, size: conf.producerPoolSize, name: "celeriac-producer",
                    reconnectTimeout: conf.databaseRetryTimeout, onRetry: Self.logRetry),
                sql: SchemaSQL(schema: conf.schema)
            )
            runtime = created
            return created
        }
    }

    /// Runs an idempotent database job on the pool, retrying with jittered backoff for up
    /// to ``Configuration/databaseRetryTimeout`` when the connection breaks (a restart, a
    /// failover, a killed backend): the pool reconnects on the next attempt. Each retry is
    /// logged with its reason; a connection the server rejects for good fails at once.
    func retryingRun<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
        let deadline = ContinuousClock.now + conf.databaseRetryTimeout
        while true {
            do {
                return try await pool.run(body)
            } catch let error as PostgresError where error.isConnectionProblem {
                let delay = backoff.next()
                guard ContinuousClock.now + delay < deadline else { throw error }
                Self.logRetry(error, delay)
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Logs a failed attempt that will be retried, with its reason.
    static let logRetry: RetryReporter = { error, delay in
        Logger(label: "Producer").warning(
            "cannot reach the database (\(error.message)); retrying in \(TaskRunner.format(delay.seconds))s")
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
    /// `repeatable/<file>` for each repeatable file re-applied). With `roles`, also creates
    /// (if missing) and grants the four least-privilege roles (sql/repeatable/roles.sql); a
    /// later migrate grants them again.
    @discardableResult
    public func migrate(roles: RoleNames? = nil) async throws -> [String] {
        let migrator = Migrator(schema: conf.schema)
        return try await retryingRun { connection in try migrator.apply(on: connection, roles: roles).names }
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
