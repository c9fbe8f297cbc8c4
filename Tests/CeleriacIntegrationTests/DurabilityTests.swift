import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// Relaxed durability: claims and completions made only of relaxed acks_late tasks commit
/// with synchronous_commit off, and a durable task in the same transaction puts it back.
@Suite struct DurabilityTests {
    /// The session's synchronous_commit after `statements`, inside one transaction.
    static func synchronousCommit(
        _ env: TestEnvironment, before: String? = nil, _ body: @escaping @Sendable (Connection, SchemaSQL) throws -> Void
    ) async throws -> String? {
        let sql = SchemaSQL(schema: env.schema)
        return try await env.app.pool.run { connection in
            try connection.transaction { connection in
                if let before { try connection.execute("SET LOCAL synchronous_commit = \(before)") }
                try body(connection, sql)
                return try connection.execute("SHOW synchronous_commit").string(0, 0)
            }
        }
    }

    static func claim(_ env: TestEnvironment, relaxed: [String], restore: String? = nil) -> SQL.Tasks.Claim {
        SQL.Tasks.Claim(
            queues: ["celery"], limit: 10, owner: "durability-test", leaseSeconds: 30, events: false,
            eventsChannel: SchemaSQL(schema: env.schema).topics.events, relaxedNames: relaxed, restoreCommit: restore,
            afterQueues: [], afterPriorities: [], afterRunAts: [], afterIds: [], turn: 0, limitedNames: [])
    }

    @Test func aClaimOfRelaxedTasksOnlyCommitsWithoutWaitingForTheDisk() async throws {
        try await TestEnvironment.with { env in
            let s = env.schema
            try await env.sql(
                "INSERT INTO \(s).tasks (id, name) VALUES ($1, 'tasks.fast'), ($2, 'tasks.fast')",
                [UUID.v7().celeryString, UUID.v7().celeryString])
            #expect(
                try await Self.synchronousCommit(env) { c, sql in try c.run(Self.claim(env, relaxed: ["tasks.fast"]), in: sql) } == "off")
            try await env.sql(
                "INSERT INTO \(s).tasks (id, name) VALUES ($1, 'tasks.fast'), ($2, 'tasks.slow')",
                [UUID.v7().celeryString, UUID.v7().celeryString])
            // A durable task among those claimed: the session's own setting stays.
            #expect(
                try await Self.synchronousCommit(env) { c, sql in try c.run(Self.claim(env, relaxed: ["tasks.fast"]), in: sql) } == "on")
            try await env.sql("INSERT INTO \(s).tasks (id, name) VALUES ($1, 'tasks.slow')", [UUID.v7().celeryString])
            // Behind a relaxed completion (which turned it off), a durable claim puts it back.
            #expect(
                try await Self.synchronousCommit(env, before: "off") { c, sql in
                    try c.run(Self.claim(env, relaxed: ["tasks.fast"], restore: "on"), in: sql)
                } == "on")
            // No relaxed names: nothing is touched.
            try await env.sql("INSERT INTO \(s).tasks (id, name) VALUES ($1, 'tasks.fast')", [UUID.v7().celeryString])
            #expect(try await Self.synchronousCommit(env) { c, sql in try c.run(Self.claim(env, relaxed: []), in: sql) } == "on")
        }
    }

    @Test func aRelaxedBatchOfOutcomesCommitsWithoutWaitingForTheDisk() async throws {
        try await TestEnvironment.with { env in
            let topics = SchemaSQL(schema: env.schema).topics
            let relaxed = SQL.Tasks.Complete(
                ids: [], attempts: [], outcomes: [], payloads: [], countdowns: [], runtimes: [], owner: "durability-test",
                channel: topics.wakeup, events: false, eventsChannel: topics.events, relaxed: true)
            var durable = relaxed
            durable.relaxed = false
            let afterRelaxed = try await Self.synchronousCommit(env) { c, sql in try c.run(relaxed, in: sql) }
            #expect(afterRelaxed == "off")
            let afterDurable = try await Self.synchronousCommit(env) { [durable] c, sql in try c.run(durable, in: sql) }
            #expect(afterDurable == "on")
        }
    }

    @Test func relaxedTasksRunToTheEndLikeAnyOther() async throws {
        try await TestEnvironment.with { env in
            let fast = env.app.task("tasks.fast", options: TaskOptions(acksLate: true, durability: .relaxed)) {
                (x: Int) async throws -> Int in x * 2
            }
            let worker = env.startWorker()
            let results = try await (0..<20).asyncMap { try await fast.delay($0) }
            for (i, result) in results.enumerated() { #expect(try await result.get(timeout: .seconds(10)) == i * 2) }
            try await worker.stop()
        }
    }
}
