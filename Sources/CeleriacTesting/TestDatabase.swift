import Celeriac
import CeleriacPostgres
import Foundation

/// A throwaway schema on a real PostgreSQL for one test: made and migrated before the test's
/// body, dropped after it (also when it throws), so tests run in parallel without seeing each
/// other's tasks.
///
/// ```swift
/// @Test func confirmationIsSent() async throws {
///     try await TestDatabase.with { app in
///         let send = registerTasks(app)              // your app.task(…) calls
///         let result = try await send.delay(42)
///         #expect(try await app.runQueuedTasks() == 1)
///         #expect(try await result.get() == "sent to 42")
///     }
/// }
/// ```
public enum TestDatabase {
    /// Where the test database is: `CELERIAC_TEST_DATABASE_URL`, else `CELERIAC_DATABASE_URL`.
    public static var url: String? {
        let environment = ProcessInfo.processInfo.environment
        return environment["CELERIAC_TEST_DATABASE_URL"] ?? environment["CELERIAC_DATABASE_URL"]
    }

    /// Runs `body` with an app on a new schema of the database at `url`, then drops the schema.
    /// - Parameters:
    ///   - url: the database (default ``url``).
    ///   - configure: settings for the app (the schema is set for you).
    /// - Throws: ``TestDatabaseError`` when no database is named; whatever `body` throws.
    public static func with<T>(
        url: String? = nil,
        configure: (inout Configuration) -> Void = { _ in },
        _ body: (CeleriacApp) async throws -> T
    ) async throws -> T {
        guard let url = url ?? Self.url else {
            throw TestDatabaseError(
                "no database for the test: set CELERIAC_TEST_DATABASE_URL (or CELERIAC_DATABASE_URL) to a PostgreSQL URL")
        }
        let schema = "test_" + String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        // No process environment: a CELERIAC_SCHEMA set for the shell must not put every test in one schema.
        let app = CeleriacApp("test", database: url, environment: [:])
        var conf = app.conf
        conf.schema = schema
        conf.workerPollInterval = .milliseconds(100)
        conf.workerHeartbeatInterval = .seconds(1)
        conf.maintenanceInterval = .seconds(1)
        configure(&conf)
        conf.schema = schema
        app.conf = conf
        do {
            try await app.migrate()
            let value = try await body(app)
            await drop(schema, app: app)
            return value
        } catch {
            await drop(schema, app: app)
            throw error
        }
    }

    private static func drop(_ schema: String, app: CeleriacApp) async {
        _ = try? await app.pool.run { connection in
            try connection.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        }
        app.shutdown()
    }
}

/// Why a test database could not be used.
public struct TestDatabaseError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
