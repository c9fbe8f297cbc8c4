import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// The plans of the statements that write a batch: each row is found once, whatever the
/// planner believes about `tasks`. Counted in buffers, which do not depend on the machine's load.
@Suite struct HotPlanTests {
    /// Tasks waiting behind the batch, so that a plan reading the whole table or index shows.
    static let waiting = 20_000
    /// The batch: as many as a worker at -c 64 completes at once.
    static let batch = 64

    /// Runs `statement` under EXPLAIN (ANALYZE, BUFFERS) as its generic plan (what a worker's
    /// prepared statement uses after five runs) with `arguments`; returns the buffers it read.
    static func buffers(
        _ statement: String, _ arguments: String, schema: String, on connection: Connection
    ) throws -> Int {
        guard let query = SQL.all.first(where: { $0.qualifiedName == statement }) else {
            Issue.record("no statement \(statement)")
            return 0
        }
        try connection.execute("SET plan_cache_mode = force_generic_plan")
        try connection.execute("PREPARE hot AS \(query.text(schema: schema))")
        defer { _ = try? connection.execute("DEALLOCATE hot") }
        let rows = try connection.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE hot(\(arguments))")
        let json = rows.string(0, 0) ?? "[]"
        guard let plans = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
            let plan = plans.first?["Plan"] as? [String: Any]
        else {
            Issue.record("no plan in \(json.prefix(200))")
            return 0
        }
        return ((plan["Shared Hit Blocks"] as? Int) ?? 0) + ((plan["Shared Read Blocks"] as? Int) ?? 0)
    }

    /// Fills `tasks`, analyzed once full or, when `analyzedEmpty`, only while empty (what a
    /// vacuum of an empty queue leaves), then marks `batch` of them started by worker `w`,
    /// attempt 1, with a lease `lease` from now.
    static func prepare(_ env: TestEnvironment, analyzedEmpty: Bool, lease: String) async throws -> [String] {
        let schema = env.schema
        if analyzedEmpty { try await env.sql("ANALYZE \(schema).tasks") }
        try await env.sql(
            "INSERT INTO \(schema).tasks (id, name, queue) SELECT \(schema).uuid_v7(), 'tasks.add', 'celery' FROM generate_series(1, \(waiting))"
        )
        if !analyzedEmpty { try await env.sql("ANALYZE \(schema).tasks") }
        return try await env.sql(
            """
            WITH picked AS (SELECT id FROM \(schema).tasks ORDER BY id LIMIT \(batch))
            UPDATE \(schema).tasks AS t SET state = 'started', owner = 'w', attempt = 1,
                lease_expires_at = now() + interval '\(lease)', started_at = now()
            FROM picked WHERE t.id = picked.id RETURNING t.id::text
            """
        ).compactMap { $0 }
    }

    @Test(arguments: [false, true])
    func aBatchOfOutcomesReadsEachTaskOnce(analyzedEmpty: Bool) async throws {
        try await TestEnvironment.with { env in
            let ids = try await Self.prepare(env, analyzedEmpty: analyzedEmpty, lease: "1 minute")
            #expect(ids.count == Self.batch)
            // Half succeed, a quarter are retried, a quarter fail.
            let outcomes = ids.indices.map { $0 % 4 == 1 ? "retry" : $0 % 4 == 3 ? "failed" : "succeeded" }
            func array(_ values: [String]) -> String { "'{" + values.joined(separator: ",") + "}'" }
            let arguments = [
                array(ids), array(ids.map { _ in "1" }), array(outcomes),
                array(outcomes.map { $0 == "succeeded" ? "\"\\\"3\\\"\"" : "\"{}\"" }),
                array(ids.map { _ in "0.5" }), array(ids.map { _ in "0.01" }), "'w'", "'c.wake'", "true",
                "'c.events'", "false",
            ].joined(separator: ", ")
            let read = try await env.app.pool.run { connection in
                try Self.buffers("tasks.complete", arguments, schema: env.schema, on: connection)
            }
            // Each row: its primary-key probe and lock, its update or delete, its results row
            // and index entries, about 12 buffers. Probing every id once per row read 75 a row
            // here (150 at a million waiting).
            #expect(read > 0)
            #expect(read < Self.batch * 30, "\(read) buffers for \(Self.batch) outcomes")
            let left = try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'retry'")
            #expect(left == Self.batch / 4)
        }
    }

    @Test(arguments: [false, true])
    func aRescueReadsEachExpiredTaskOnce(analyzedEmpty: Bool) async throws {
        try await TestEnvironment.with { env in
            let ids = try await Self.prepare(env, analyzedEmpty: analyzedEmpty, lease: "-1 second")
            // Half were sent with acks_late: they go back to the queue; the rest fail.
            try await env.sql(
                "UPDATE \(env.schema).tasks SET options = '{\"acks_late\": true}' WHERE id = ANY ($1::uuid[]) AND right(id::text, 1) < '8'",
                ["{" + ids.joined(separator: ",") + "}"])
            let read = try await env.app.pool.run { connection in
                try Self.buffers("tasks.rescue", "'c.wake', 3, 'c.events'", schema: env.schema, on: connection)
            }
            #expect(read > 0)
            #expect(read < Self.batch * 30, "\(read) buffers for \(Self.batch) expired leases")
            let started = try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'")
            #expect(started == 0)
        }
    }
}
