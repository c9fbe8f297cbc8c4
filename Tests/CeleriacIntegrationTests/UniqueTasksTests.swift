import CeleriacPostgres
import Foundation
import Testing

@testable import Celeriac

/// Unique tasks (0025): one task per key among the unfinished ones, and within a window after,
/// enforced by the database for every producer.
@Suite struct UniqueTasksTests {
    @Test func aHeldKeyGivesBackTheHolderUntilItFinishesThenIsFree() async throws {
        try await TestEnvironment.with { env in
            let report = env.app.task("reports.build") { (account: Int) async throws -> Int in account }
            let unique = CallOptions(unique: Uniqueness())
            let first = try await report.applyAsync(42, options: unique)
            let again = try await report.applyAsync(42, options: unique)
            let other = try await report.applyAsync(7, options: unique)
            #expect(again.id == first.id)
            #expect(other.id != first.id)
            // Without uniqueness the same call makes a task of its own.
            let plain = try await report.delay(42)
            #expect(plain.id != first.id)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 3)
            // An explicit key, however the arguments differ.
            let keyed = CallOptions(unique: Uniqueness(key: "report:daily"))
            let daily = try await report.applyAsync(1, options: keyed)
            #expect(try await report.applyAsync(2, options: keyed).id == daily.id)

            let worker = env.startWorker()
            #expect(try await first.get(timeout: .seconds(10)) == 42)
            // Finished, with no window: the key is free again.
            let next = try await report.applyAsync(42, options: unique)
            #expect(next.id != first.id)
            #expect(try await next.get(timeout: .seconds(10)) == 42)
            try await worker.stop()
        }
    }

    @Test func aWindowKeepsTheKeyAfterTheTaskFinished() async throws {
        try await TestEnvironment.with { env in
            let ping = env.app.task("tasks.ping", options: TaskOptions(unique: Uniqueness(key: "ping", window: .seconds(60)))) {
                () async throws -> Int in 1
            }
            let worker = env.startWorker()
            let first = try await ping.delay()
            #expect(try await first.get(timeout: .seconds(10)) == 1)
            // Within the window the finished task still holds the key.
            #expect(try await ping.delay().id == first.id)
            // Once the window is over (moved into the past here), the key is free.
            try await env.sql(
                "UPDATE \(env.schema).results SET finished_at = now() - interval '61 seconds' WHERE id = $1",
                [first.id.uuidString])
            let second = try await ping.delay()
            #expect(second.id != first.id)
            #expect(try await second.get(timeout: .seconds(10)) == 1)
            try await worker.stop()
        }
    }

    @Test func replaceGivesAWaitingHolderTheNewArguments() async throws {
        try await TestEnvironment.with { env in
            let sync = env.app.task("accounts.sync") { (version: Int) async throws -> Int in version }
            let replace = CallOptions(countdown: .seconds(30), unique: Uniqueness(key: "sync:1", policy: .replace))
            let first = try await sync.applyAsync(1, options: replace)
            let second = try await sync.applyAsync(2, options: CallOptions(unique: Uniqueness(key: "sync:1", policy: .replace)))
            #expect(second.id == first.id)
            let row = try await env.sql(
                "SELECT args::text || ' ' || (run_at <= now())::text FROM \(env.schema).tasks WHERE id = $1",
                [first.id.uuidString])
            #expect(row == ["[2] true"])
            // reject leaves the holder as it is.
            _ = try await sync.applyAsync(3, options: CallOptions(unique: Uniqueness(key: "sync:1")))
            #expect(try await env.sql("SELECT args::text FROM \(env.schema).tasks") == ["[2]"])
        }
    }

    @Test func aKeyWhoseTaskIsGoneIsTakenAgainAndForgotten() async throws {
        try await TestEnvironment.with { env in
            let report = env.app.task("reports.gone") { (account: Int) async throws -> Int in account }
            let unique = CallOptions(unique: Uniqueness())
            let kept = try await report.applyAsync(1, options: unique)
            let gone = try await report.applyAsync(2, options: unique)
            // Removed without any worker (as a TRUNCATE or a purge would): the key is free.
            try await env.sql("DELETE FROM \(env.schema).tasks WHERE id = $1", [gone.id.uuidString])
            let again = try await report.applyAsync(2, options: unique)
            #expect(again.id != gone.id)
            try await env.sql("DELETE FROM \(env.schema).tasks WHERE id = $1", [again.id.uuidString])
            // Maintenance forgets keys no task holds, and only those.
            try await env.sql("UPDATE \(env.schema).unique_keys SET taken_at = now() - interval '1 minute'")
            #expect(try await env.count("SELECT \(env.schema).prune_unique_keys(100)") == 1)
            let left = try await env.sql("SELECT task_id::text FROM \(env.schema).unique_keys")
            #expect(left == [kept.id.celeryString])
        }
    }

    @Test func eightProducersRacingMakeOneTask() async throws {
        try await TestEnvironment.with { env in
            let report = env.app.task("reports.race") { (account: Int) async throws -> Int in account }
            for round in 0..<20 {
                let ids = try await withThrowingTaskGroup(of: UUID.self) { group in
                    for _ in 0..<8 {
                        group.addTask { try await report.applyAsync(round, options: CallOptions(unique: Uniqueness())).id }
                    }
                    return try await group.reduce(into: Set<UUID>()) { $0.insert($1) }
                }
                #expect(ids.count == 1, "round \(round): \(ids.count) ids")
            }
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 20)
        }
    }

    @Test func bulkEnqueueAndTheSQLFunctionHonourTheKey() async throws {
        try await TestEnvironment.with { env in
            let report = env.app.task("reports.bulk") { (account: Int) async throws -> Int in account }
            let messages = try [1, 2, 1, 3, 2].map { try report.message($0, options: CallOptions(unique: Uniqueness())) }
            let ids = try await env.app.enqueue(messages)
            #expect(ids[2] == ids[0] && ids[4] == ids[1])
            #expect(Set(ids).count == 3)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 3)
            // From SQL, with the key, and by arguments (the same key as Swift's).
            let fromSQL = try await env.sql(
                "SELECT \(env.schema).enqueue('reports.bulk', '[1]', options => '{\"unique_by_args\": true}')::text")
            #expect(fromSQL == [ids[0].celeryString])
            let keyed = try await env.sql(
                "SELECT \(env.schema).enqueue('reports.bulk', '[9]', options => '{\"unique_key\": \"k\"}')::text")
            let keyedAgain = try await env.sql(
                "SELECT \(env.schema).enqueue('reports.bulk', '[8]', options => '{\"unique_key\": \"k\"}')::text")
            #expect(keyed == keyedAgain)
            // Bad options are refused at once.
            await #expect(throws: PostgresError.self) {
                try await env.sql(
                    "SELECT \(env.schema).enqueue('reports.bulk', '[1]', options => '{\"unique_key\": \"x\", \"unique_policy\": \"merge\"}')"
                )
            }
            await #expect(throws: EnqueueError.self) {
                _ = try await report.applyAsync(1, options: CallOptions(unique: Uniqueness(key: "")))
            }
        }
    }
}
