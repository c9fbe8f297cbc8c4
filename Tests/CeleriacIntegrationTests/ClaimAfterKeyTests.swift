import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// A claim that starts after a key (ClaimHints): it reads the queue's range after the key
/// only, and a claim from the head still finds what came before it.
@Suite struct ClaimAfterKeyTests {
    static func claim(_ env: TestEnvironment, limit: Int, after key: (priority: Int, runAt: String, id: UUID)? = nil)
        async throws -> [SQL.Tasks.Claim.Row]
    {
        let statement = SQL.Tasks.Claim(
            queues: ["celery"], limit: limit, owner: "claim-after-key-test", leaseSeconds: 30, events: false,
            eventsChannel: SchemaSQL(schema: env.schema).topics.events, relaxedNames: [], restoreCommit: nil,
            afterQueues: key == nil ? [] : ["celery"], afterPriorities: key.map { [$0.priority] } ?? [],
            afterRunAts: key.map { [$0.runAt] } ?? [], afterIds: key.map { [$0.id] } ?? [], turn: 0, limitedNames: [])
        let sql = SchemaSQL(schema: env.schema)
        return try await env.app.pool.run { connection in try connection.rows(statement, in: sql) }
    }

    @Test func aClaimAfterAKeySkipsWhatCameBeforeItAndAClaimFromTheHeadFindsIt() async throws {
        try await TestEnvironment.with { env in
            let s = env.schema
            // Five tasks due in order, a microsecond apart (the key must go back exactly).
            let ids = (0..<5).map { _ in UUID.v7() }
            for (index, id) in ids.enumerated() {
                try await env.sql(
                    "INSERT INTO \(s).tasks (id, name, run_at) VALUES ($1, 'tasks.n', timestamptz '2026-01-01 00:00:00.000001+00' + $2::int * interval '1 microsecond')",
                    [id.celeryString, String(index)])
            }
            let first = try await Self.claim(env, limit: 2)
            #expect(Set(first.map(\.id)) == Set(ids[0..<2]))
            // Each row tells how long the claim took in the database.
            #expect(first.allSatisfy { $0.seconds >= 0 && $0.seconds < 10 })
            // Only the queue's last row claimed carries the key.
            let keyed = first.filter { $0.afterRunAt != nil }
            #expect(keyed.map(\.id) == [ids[1]])
            let key = try #require(keyed.first.flatMap { row in row.afterRunAt.map { (priority: row.priority, runAt: $0, id: row.id) } })

            // Before the key: a task whose producer committed late, and a higher priority.
            let late = UUID.v7()
            let urgent = UUID.v7()
            try await env.sql(
                "INSERT INTO \(s).tasks (id, name, run_at) VALUES ($1, 'tasks.late', timestamptz '2025-12-31 23:59:59+00')",
                [late.celeryString])
            try await env.sql("INSERT INTO \(s).tasks (id, name, priority) VALUES ($1, 'tasks.urgent', 9)", [urgent.celeryString])

            let after = try await Self.claim(env, limit: 10, after: key)
            #expect(Set(after.map(\.id)) == Set(ids[2...]))
            #expect(after.filter { $0.afterRunAt != nil }.map(\.id) == [ids[4]])

            let sweep = try await Self.claim(env, limit: 10)
            #expect(Set(sweep.map(\.id)) == [late, urgent])
            #expect(sweep.filter { $0.afterRunAt != nil }.map(\.id) == [late])
            #expect(sweep.first { $0.id == urgent }?.priority == 9)

            // The key bounds the index scan itself: the generic plan starts the range at it.
            let plan = try await env.app.pool.run { connection -> [String] in
                try connection.execute("SET search_path = \(s)")
                try connection.execute("SET plan_cache_mode = force_generic_plan")
                let rows = try connection.execute(
                    "EXPLAIN SELECT id FROM tasks WHERE state IN ('queued', 'retry') AND queue = 'celery' AND run_at <= now() AND (-priority, run_at, id) > (0, now(), '00000000-0000-0000-0000-000000000000'::uuid) ORDER BY -priority, run_at, id LIMIT 5"
                )
                try connection.execute("RESET search_path")
                return (0..<rows.rowCount).compactMap { rows.string($0, 0) }
            }
            #expect(plan.contains { $0.contains("tasks_ready_idx") }, "\(plan)")
            #expect(plan.contains { $0.contains("Index Cond") && $0.contains("ROW((- ") && !$0.contains(">= ROW") }, "\(plan)")
        }
    }
}
