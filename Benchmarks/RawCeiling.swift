import Celeriac
import CeleriacPostgres
import Foundation

/// What plain SQL achieves on the same database, in the same run: the ceiling every
/// Celeriac figure is divided by. Uses its own minimal table, `<schema>.raw_jobs` (7
/// columns, where a task has 21), with the same claim index but none of the rules or
/// logic. Ids are made as cheaply as Celeriac makes its own (Foundation's `UUID()` reads
/// `/dev/urandom` on every call here, which would slow the ceiling down and flatter the
/// ratios).
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
                    id       uuid PRIMARY KEY,
                    name     text NOT NULL,
                    queue    text NOT NULL,
                    priority smallint NOT NULL DEFAULT 0,
                    state    smallint NOT NULL DEFAULT 0,
                    args     jsonb NOT NULL,
                    run_at   timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX raw_jobs_ready ON \(schema).raw_jobs (queue, priority DESC, run_at, id) WHERE state = 0;
                """
            )
        }
    }

    /// Inserts `count` rows, one per transaction, on `connection`; returns the seconds taken.
    /// The caller interleaves short runs of this with Celeriac's own inserts.
    func singleInserts(count: Int, on connection: Connection) throws -> Double {
        let statement = PreparedStatement(
            name: "raw_insert_one",
            sql: "INSERT INTO \(schema).raw_jobs (id, name, queue, args) VALUES ($1, $2, $3, $4)"
        )
        let started = ContinuousClock.now
        for _ in 0..<count {
            try connection.execute(statement, [UUID.v7().celeryString, "bench.noop", "bench", "[]"])
        }
        return (ContinuousClock.now - started).seconds
    }

    /// Empties the raw table.
    func truncate() async throws {
        let schema = self.schema
        try await onThread { try $0.execute("TRUNCATE \(schema).raw_jobs") }
    }

    /// Rows per second inserting `count` rows in one `unnest` statement, including building
    /// the parameters. The caller alternates this with Celeriac's bulk enqueue.
    func bulkInsertRate(count: Int) async throws -> Double {
        let schema = self.schema
        return try await onThread { connection in
            let started = ContinuousClock.now
            let ids = SQLText.arrayLiteral(strings: (0..<count).map { _ in UUID.v7().celeryString })
            let names = SQLText.arrayLiteral(strings: repeatElement("bench.noop", count: count))
            let queues = SQLText.arrayLiteral(strings: repeatElement("bench", count: count))
            let args = SQLText.arrayLiteral(strings: repeatElement("[]", count: count))
            try connection.execute(
                """
                INSERT INTO \(schema).raw_jobs (id, name, queue, args)
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])
                """,
                [ids, names, queues, args]
            )
            let rate = Double(count) / (ContinuousClock.now - started).seconds
            try connection.execute("TRUNCATE \(schema).raw_jobs")
            return rate
        }
    }

    /// Jobs per second claimed `batch` at a time with SKIP LOCKED and completed in batches,
    /// on `connections` connections, draining `count` rows.
    func claimCompleteRate(count: Int, connections: Int = 2, batch: Int = 100) async throws -> Double {
        let schema = self.schema
        try await onThread { connection in
            try connection.execute("TRUNCATE \(schema).raw_jobs")
            try connection.execute(
                """
                INSERT INTO \(schema).raw_jobs (id, name, queue, args)
                SELECT gen_random_uuid(), 'bench.noop', 'bench', '[]' FROM generate_series(1, $1)
                """,
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
                    ORDER BY priority DESC, run_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
                )
                UPDATE \(schema).raw_jobs AS j SET state = 1 FROM picked WHERE j.id = picked.id
                RETURNING j.id, j.name, j.args::text
                """
        )
        let complete = PreparedStatement(
            name: "raw_complete",
            sql: "UPDATE \(schema).raw_jobs SET state = 2 WHERE id = ANY($1::uuid[])"
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
                            let ids = (0..<rows.rowCount).compactMap { rows.string($0, 0) }
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
