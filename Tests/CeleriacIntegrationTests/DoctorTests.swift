import CeleriacPostgres
import Foundation
import Testing

@testable import Celeriac

/// `celeriac doctor`'s checks (App/Doctor.swift), against a healthy schema, an outdated one, a
/// transaction pooler and a long transaction.
@Suite struct DoctorTests {
    func finding(_ findings: [Doctor.Finding], _ check: String) -> Doctor.Finding? {
        findings.first { $0.check == check }
    }

    @Test func aHealthyDatabaseHasNoProblem() async throws {
        try await TestEnvironment.with { env in
            let findings = Doctor(configuration: env.app.conf).run()
            #expect(findings.allSatisfy { $0.severity != .problem }, "\(findings)")
            #expect(finding(findings, "connection")?.detail.contains("PostgreSQL") == true)
            #expect(finding(findings, "connection")?.detail.contains(":celeriac@") == false)
            #expect(finding(findings, "schema")?.severity == .ok)
            #expect(finding(findings, "listen")?.severity == .ok)
            #expect(finding(findings, "clock")?.severity == .ok)
            #expect(
                Set(findings.map(\.check)) == [
                    "connection", "schema", "listen", "connections", "idle timeout", "long transactions", "checkpoints",
                    "clock",
                ])
            #expect(finding(findings, "checkpoints")?.detail.contains("max_wal_size is") == true)
            // The command says so with its exit status, and never prints the password.
            let (status, output) = try await ProcessTests.runOffPool("celeriac", ["doctor"], schema: env.schema, url: env.url)
            #expect(status == 0, "\(output)")
            #expect(output.contains("0 problem(s)"))
            // The test cluster's password is "celeriac" (scripts/pg.sh).
            #expect(!output.contains(":celeriac@"))
        }
    }

    @Test func anOutdatedSchemaIsAProblemNamingWhatIsPending() async throws {
        try await TestEnvironment.with { env in
            let latest = Migrator(schema: env.schema).latestVersion
            _ = try await env.sql("DELETE FROM \(env.schema).schema_migrations WHERE version = $1", [String(latest)])
            let schema = try #require(finding(Doctor(configuration: env.app.conf).run(), "schema"))
            #expect(schema.severity == .problem)
            #expect(schema.detail.contains("run `celeriac migrate`"))
            #expect(schema.detail.contains(Migrator(schema: env.schema).migrations.last?.name ?? "?"))
            let (status, _) = try await ProcessTests.runOffPool("celeriac", ["doctor"], schema: env.schema, url: env.url)
            #expect(status != 0)
        }
    }

    @Test func aTransactionPoolerGetsAdviceAboutListen() async throws {
        try await TestEnvironment.with { env in
            var conf = env.app.conf
            conf.databaseURL = try PoolerTests.poolerURL()
            let listen = try #require(finding(Doctor(configuration: conf).run(), "listen"))
            #expect(listen.severity == .warning)
            #expect(listen.detail.contains("CELERIAC_LISTEN_DATABASE_URL"))
            #expect(listen.detail.contains("poll"))
            // With a direct URL for the sessions that listen, it is fine.
            conf.listenDatabaseURL = env.url
            #expect(finding(Doctor(configuration: conf).run(), "listen")?.severity == .ok)
        }
    }

    @Test func aLongTransactionIsReported() async throws {
        try await TestEnvironment.with { env in
            let holder = try Connection(url: try DatabaseURL(env.url), applicationName: "long-holder")
            defer { holder.close() }
            _ = try holder.execute("BEGIN")
            _ = try holder.execute("SELECT txid_current()")
            try await Task.sleep(for: .milliseconds(700))
            var doctor = Doctor(configuration: env.app.conf)
            doctor.longTransaction = 0.5
            let long = try #require(finding(doctor.run(), "long transactions"))
            #expect(long.severity == .warning)
            #expect(long.detail.contains("long-holder"))
            _ = try holder.execute("ROLLBACK")
            // (Other tests share the cluster: only this one's transaction is known to be gone.)
            #expect(finding(doctor.run(), "long transactions")?.detail.contains("long-holder") == false)
        }
    }
}
