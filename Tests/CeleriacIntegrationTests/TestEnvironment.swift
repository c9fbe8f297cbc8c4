import Celeriac
import CeleriacCLI
import CeleriacPostgres
import Foundation
import Synchronization
import Testing

/// A real PostgreSQL schema of its own for one test, an app pointing at it, and
/// helpers to run in-process workers. `make test` starts the database and exports
/// `CELERIAC_TEST_DATABASE_URL`.
final class TestEnvironment: Sendable {
    let app: CeleriacApp
    let schema: String
    let url: String

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func databaseURL() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["CELERIAC_TEST_DATABASE_URL"] ?? environment["CELERIAC_DATABASE_URL"] else {
            throw SetupError(
                "no test database: run `make test` (it starts one), or set CELERIAC_TEST_DATABASE_URL"
            )
        }
        return url
    }

    private init(app: CeleriacApp, schema: String, url: String) {
        self.app = app
        self.schema = schema
        self.url = url
    }

    /// Runs `body` against a freshly migrated schema, dropped afterwards.
    static func with<T>(
        migrate: Bool = true,
        _ configure: (inout Configuration) -> Void = { _ in },
        _ body: (TestEnvironment) async throws -> T
    ) async throws -> T {
        LogSetup.bootstrap(level: .warning)
        let url = try databaseURL()
        let schema = "t_" + String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        // No environment: the test decides every setting (a CELERIAC_SCHEMA set for the shell must not
        // put every test in one schema).
        let app = CeleriacApp("test", database: url, environment: [:])
        var conf = app.conf
        conf.schema = schema
        conf.workerPollInterval = .milliseconds(250)
        conf.workerHeartbeatInterval = .seconds(1)
        conf.workerLeaseDuration = .seconds(5)
        conf.workerShutdownGrace = .seconds(10)
        conf.maintenanceInterval = .seconds(1)
        configure(&conf)
        app.conf = conf
        let environment = TestEnvironment(app: app, schema: schema, url: url)
        if migrate { try await app.migrate() }
        do {
            let value = try await body(environment)
            await environment.drop()
            return value
        } catch {
            await environment.drop()
            throw error
        }
    }

    private func drop() async {
        let schema = self.schema
        _ = try? await app.pool.run { connection in
            try connection.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        }
        app.shutdown()
    }

    /// Runs SQL on a pooled connection and returns the first column of every row.
    @discardableResult
    func sql(_ text: String, _ parameters: [String?] = []) async throws -> [String?] {
        try await app.pool.run { connection in
            let rows = try connection.execute(text, parameters)
            return (0..<rows.rowCount).map { rows.string($0, 0) }
        }
    }

    /// An integer from a one-value query.
    func count(_ text: String, _ parameters: [String?] = []) async throws -> Int {
        Int(try await sql(text, parameters).first.flatMap { $0 } ?? "0") ?? 0
    }

    /// Starts an in-process worker; stop it with ``RunningWorker/stop()``.
    func startWorker(
        queues: [String] = [],
        concurrency: Int = 4,
        name: String = "test@%h",
        observers: [any LifecycleObserver] = []
    ) -> RunningWorker {
        var options = WorkerOptions()
        options.queues = queues
        options.concurrency = concurrency
        options.nodeName = name
        let worker = Worker(app: app, options: options, observers: observers)
        let task = Task { try await worker.run(handleSignals: false, printBanner: false) }
        return RunningWorker(worker: worker, task: task)
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    func eventually(
        timeout: Duration = .seconds(20),
        _ what: String,
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SetupError("timed out after \(timeout) waiting for: \(what)")
    }
}

/// A worker running in this process.
struct RunningWorker {
    let worker: Worker
    let task: Task<Void, any Error>

    /// Warm shutdown, waiting for it to finish.
    func stop() async throws {
        worker.stop()
        try await task.value
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The error tasks in these tests throw.
struct Boom: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Keeps every lifecycle event a worker reports.
final class EventLog: LifecycleObserver {
    private let events = Mutex<[LifecycleEvent]>([])
    func observe(_ event: LifecycleEvent) { events.withLock { $0.append(event) } }
    var all: [LifecycleEvent] { events.withLock { $0 } }
    func of(_ kind: LifecycleEvent.Kind) -> [LifecycleEvent] { all.filter { $0.kind == kind } }
}

/// Counts executions per key across concurrent tasks.
final class ExecutionLog: Sendable {
    private let entries = Mutex<[String]>([])
    func record(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}
