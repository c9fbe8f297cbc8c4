import CeleriacPostgres
import Foundation

/// What plain SQL achieves on the same database, in the same run: the ceiling every
/// Celeriac figure is divided by. Uses its own table, `<schema>.raw_jobs`.
struct RawCeiling {
    let url: DatabaseURL
    let schema: String

    /// Creates the raw table (empty).
    func prepare() async throws {
        let schema = self.schema
        try await onThread { connection in
            try connection.executeScript(
                """
                DROP TABLE IF EXISTS \(schema).raw_jobs;
                CREATE TABLE \(schema).raw_jobs (
                    id      bigserial PRIMARY KEY,
                    queue   text NOT NULL,
                    state   smallint NOT NULL DEFAULT 0,
                    payload jsonb NOT NULL,
                    run_at  timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX raw_jobs_ready ON \(schema).raw_jobs (queue, run_at, id) WHERE state = 0;
                """
            )
        }
    }

    /// Rows per second inserting one row per transaction on one connection.
    func singleInsertRate(count: Int) async throws -> Double {
        let schema = self.schema
        return try await onThread { connection in
            let statement = PreparedStatement(
                name: "raw_insert_one", sql: "INSERT INTO \(schema).raw_jobs (queue, payload) VALUES ($1, $2)"
            )
            let started = ContinuousClock.now
            for _ in 0..<count { try connection.execute(statement, ["bench", "[]"]) }
            return Double(count) / (ContinuousClock.now - started).seconds
        }
    }

    /// Rows per second inserting `count` rows in one `unnest` statement (best of `rounds`).
    func bulkInsertRate(count: Int, rounds: Int = 3) async throws -> Double {
        let schema = self.schema
        return try await onThread { connection in
            var best = 0.0
            for _ in 0..<rounds {
                let started = ContinuousClock.now
                let queues = SQLText.arrayLiteral(strings: repeatElement("bench", count: count))
                let payloads = SQLText.arrayLiteral(strings: repeatElement("[]", count: count))
                try connection.execute(
                    "INSERT INTO \(schema).raw_jobs (queue, payload) SELECT * FROM unnest($1::text[], $2::jsonb[])",
                    [queues, payloads]
                )
                best = max(best, Double(count) / (ContinuousClock.now - started).seconds)
            }
            try connection.execute("TRUNCATE \(schema).raw_jobs")
            return best
        }
    }

    /// Jobs per second claimed 100 at a time with SKIP LOCKED and completed in batches,
    /// on `connections` connections, draining `count` rows.
    func claimCompleteRate(count: Int, connections: Int = 2, batch: Int = 100) async throws -> Double {
        let schema = self.schema
        try await onThread { connection in
            try connection.execute("TRUNCATE \(schema).raw_jobs")
            try connection.execute(
                "INSERT INTO \(schema).raw_jobs (queue, payload) SELECT 'bench', '[]' FROM generate_series(1, $1)",
                [String(count)]
            )
            try connection.execute("VACUUM ANALYZE \(schema).raw_jobs")
        }
        let claim = PreparedStatement(
            name: "raw_claim",
            sql: """
                WITH picked AS (
                    SELECT id FROM \(schema).raw_jobs
                    WHERE state = 0 AND queue = 'bench' AND run_at <= now()
                    ORDER BY run_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
                )
                UPDATE \(schema).raw_jobs AS j SET state = 1 FROM picked WHERE j.id = picked.id
                RETURNING j.id, j.payload::text
                """
        )
        let complete = PreparedStatement(
            name: "raw_complete",
            sql: "UPDATE \(schema).raw_jobs SET state = 2 WHERE id = ANY($1::bigint[])"
        )
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<connections {
                let thread = DatabaseThread(url: url, name: "raw-\(index)")
                group.addTask {
                    defer { thread.shutdown() }
                    try await thread.run { connection in
                        while true {
                            let rows = try connection.execute(claim, [String(batch)])
                            if rows.rowCount == 0 { return }
                            let ids = (0..<rows.rowCount).map { rows.string($0, 0) ?? "0" }
                            try connection.execute(complete, [SQLText.arrayLiteral(strings: ids)])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (ContinuousClock.now - started).seconds
        try await onThread { try $0.execute("TRUNCATE \(schema).raw_jobs") }
        return Double(count) / elapsed
    }

    private func onThread<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let thread = DatabaseThread(url: url, name: "raw")
        defer { thread.shutdown() }
        return try await thread.run(body)
    }
}
