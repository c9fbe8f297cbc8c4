import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// A wrong password or an unknown database fails at once with the server's reason; an
/// unreachable server is retried for a bounded time, not for minutes.
@Suite struct ConnectionFailureTests {
    /// The test database's URL with one part replaced.
    static func url(password: String? = nil, database: String? = nil, port: Int? = nil) throws -> String {
        let base = try DatabaseURL(try TestEnvironment.databaseURL())
        let user = base.user ?? "celeriac"
        let host = base.host ?? "127.0.0.1"
        return
            "postgres://\(user):\(password ?? "celeriac")@\(host):\(port ?? base.port ?? 5432)/\(database ?? base.database ?? "celeriac")"
    }

    static func elapsed(_ body: () async throws -> Void) async -> (Duration, (any Error)?) {
        let started = ContinuousClock.now
        do {
            try await body()
            return (ContinuousClock.now - started, nil)
        } catch {
            return (ContinuousClock.now - started, error)
        }
    }

    @Test func aWrongPasswordOrAnUnknownDatabaseFailsAtOnce() async throws {
        for (url, reason) in [
            (try Self.url(password: "wrong"), "password authentication failed"),
            (try Self.url(database: "no_such_database"), "does not exist"),
        ] {
            let app = CeleriacApp("failing", database: url, environment: [:])
            // Were it retried, it would take the whole two minutes. (A wall-clock bound of a
            // few seconds is not the test: under the whole suite's load a single connection
            // attempt here has taken 2 s.)
            app.conf.databaseRetryTimeout = .seconds(120)
            let (took, error) = await Self.elapsed { _ = try await app.purge() }
            app.shutdown()
            let failure = try #require(error as? PostgresError)
            #expect(failure.code == .connectionRejected)
            #expect(failure.message.contains(reason))
            #expect(!failure.message.contains("wrong"), "the password must not appear")
            #expect(took < .seconds(30))
        }
    }

    @Test func anUnreachableServerIsRetriedForTheConfiguredTimeOnly() async throws {
        let app = CeleriacApp("unreachable", database: try Self.url(port: 1), environment: [:])
        app.conf.databaseRetryTimeout = .seconds(1)
        let (took, error) = await Self.elapsed { _ = try await app.purge() }
        app.shutdown()
        #expect((error as? PostgresError)?.code == .connectionFailed)
        // Well under the default budget (15 s), which ignoring the setting would take; with
        // room for the whole suite's load, which has stretched 1 s of retries to over 6 s.
        #expect(took < .seconds(10))
    }

    @Test func theCommandLineSaysWhyAtOnce() async throws {
        try await TestEnvironment.with { env in
            let started = ContinuousClock.now
            let (status, output) = try await ProcessTests.runOffPool(
                "celeriac", ["call", "tasks.add", "--args", "[1, 2]"], schema: env.schema, url: try Self.url(password: "wrong"))
            #expect(status != 0)
            #expect(output.contains("password authentication failed"))
            #expect(ContinuousClock.now - started < .seconds(5))
            let (unreachable, message) = try await ProcessTests.runOffPool(
                "celeriac", ["purge", "--retry", "1"], schema: env.schema, url: try Self.url(port: 1))
            #expect(unreachable != 0)
            #expect(message.contains("retrying in"), "each retry is logged with its reason")
        }
    }

    @Test func permanentFailuresAreToldApartFromTransientOnes() {
        #expect(Connection.isPermanent("FATAL:  password authentication failed for user \"x\""))
        #expect(Connection.isPermanent("FATAL:  database \"nope\" does not exist"))
        #expect(Connection.isPermanent("invalid connection option \"pooled\""))
        #expect(!Connection.isPermanent("connection refused\n\tIs the server running on that host?"))
        #expect(!Connection.isPermanent("FATAL:  the database system is starting up"))
    }
}
