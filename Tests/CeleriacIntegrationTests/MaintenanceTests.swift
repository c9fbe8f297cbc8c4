import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// Rescue of expired leases, leader election, pruning.
@Suite struct MaintenanceTests {
    /// Inserts a task that a (dead) worker claimed and whose lease has expired.
    static func insertOrphan(_ env: TestEnvironment, acksLate: Bool, attempt: Int, maxRetries: Int = 3) async throws -> UUID {
        let id = UUID.v7()
        try await env.sql(
            """
            INSERT INTO \(env.schema).tasks (id, name, state, owner, attempt, lease_expires_at, options)
            VALUES ($1, 'tasks.add', 'started', 'dead@host/1.x', $2, now() - interval '1 second', $3)
            """,
            [id.celeryString, String(attempt), "{\"acks_late\": \(acksLate), \"max_retries\": \(maxRetries)}"]
        )
        return id
    }

    @Test func expiredLeasesAreRequeuedWithAcksLateAndFailedOtherwise() async throws {
        try await TestEnvironment.with { env in
            let requeue = try await Self.insertOrphan(env, acksLate: true, attempt: 1)
            let fail = try await Self.insertOrphan(env, acksLate: false, attempt: 1)
            let exhausted = try await Self.insertOrphan(env, acksLate: true, attempt: 4, maxRetries: 3)
            let maintenance = Maintenance(configuration: env.app.conf, holder: "test")
            let report = try await env.app.pool.run { try maintenance.runOnce(on: $0) }
            #expect(report.leader)
            #expect(report.requeued == 1)
            #expect(report.failed == 2)
            #expect(try await AsyncResult<Int>(id: requeue, app: env.app).state == .pending)
            #expect(try await env.sql("SELECT last_error->>'type' FROM \(env.schema).tasks") == ["WorkerLostError"])
            for id in [fail, exhausted] {
                let error = await #expect(throws: TaskFailedError.self) {
                    try await AsyncResult<Int>(id: id, app: env.app).get(timeout: .seconds(1))
                }
                #expect(error?.info.type == "WorkerLostError")
            }
            // The re-queued task runs again and completes.
            _ = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            try await env.sql("UPDATE \(env.schema).tasks SET args = '[1, 1]'")
            let worker = env.startWorker()
            #expect(try await AsyncResult<Int>(id: requeue, app: env.app).get(timeout: .seconds(10)) == 2)
            #expect(try await env.sql("SELECT attempt::text FROM \(env.schema).results WHERE id = $1", [requeue.celeryString]) == ["2"])
            try await worker.stop()
        }
    }

    @Test func onlyOneNodeLeadsUntilItsLeaseLapses() async throws {
        try await TestEnvironment.with({ conf in
            // A leader lease of minutes: only the explicit expiry below may end it, however slow the machine.
            conf.workerLeaseDuration = .seconds(600)
            conf.maintenanceInterval = .seconds(60)
        }) { env in
            let first = Maintenance(configuration: env.app.conf, holder: "first")
            let second = Maintenance(configuration: env.app.conf, holder: "second")
            #expect(try await env.app.pool.run { try first.runOnce(on: $0) }.leader)
            #expect(try await !env.app.pool.run { try second.runOnce(on: $0) }.leader)
            #expect(try await env.app.pool.run { try first.runOnce(on: $0) }.leader)  // renewal
            // The leader goes silent: its lease lapses on the database clock.
            try await env.sql("UPDATE \(env.schema).leaders SET expires_at = now() - interval '1 second'")
            #expect(try await env.app.pool.run { try second.runOnce(on: $0) }.leader)
            #expect(try await !env.app.pool.run { try first.runOnce(on: $0) }.leader)
            try await env.app.pool.run { try second.lease.release(on: $0) }
            #expect(try await env.app.pool.run { try first.runOnce(on: $0) }.leader)
        }
    }

    @Test func resultsOlderThanResultExpiresArePruned() async throws {
        try await TestEnvironment.with({ $0.resultExpires = .seconds(3600) }) { env in
            try await env.sql(
                """
                INSERT INTO \(env.schema).results (id, name, queue, state, finished_at)
                SELECT \(env.schema).uuid_v7(), 'tasks.add', 'celery', 'succeeded', now() - (n || ' minutes')::interval
                FROM generate_series(1, 120, 10) AS n
                """
            )
            // Archived attempts (retried by hand) and groups go with them.
            try await env.sql(
                """
                INSERT INTO \(env.schema).task_attempts (id, name, queue, state, finished_at)
                SELECT \(env.schema).uuid_v7(), 'tasks.add', 'celery', 'failed', now() - (n || ' minutes')::interval
                FROM generate_series(1, 120, 10) AS n
                """
            )
            try await env.sql(
                "INSERT INTO \(env.schema).groups (id, task_ids, created_at) VALUES (\(env.schema).uuid_v7(), '{}', now() - interval '2 hours'), (\(env.schema).uuid_v7(), '{}', now())"
            )
            let maintenance = Maintenance(configuration: env.app.conf, holder: "pruner")
            let report = try await env.app.pool.run { try maintenance.runOnce(on: $0) }
            #expect(report.prunedResults == 6)  // 61, 71, …, 111 minutes old
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results") == 6)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).task_attempts") == 6)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).groups") == 1)
        }
    }

    /// Pruning must not read every result: the BRIN index on finished_at only skips block
    /// ranges that are summarized, so each round summarizes the new ones first. (Results whose
    /// id falls in no partition are pruned row by row from results_default, 0022; with no
    /// partition made yet, these all are.)
    @Test func pruningReadsOnlyOldBlockRanges() async throws {
        try await TestEnvironment.with({ $0.resultExpires = .seconds(3600) }) { env in
            try await env.sql(
                """
                INSERT INTO \(env.schema).results (id, name, queue, state, finished_at)
                SELECT \(env.schema).uuid_v7(), 'tasks.add', 'celery', 'succeeded', now() - interval '10 minutes'
                FROM generate_series(1, 50000)
                """
            )
            let prune = """
                EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM \(env.schema).results
                WHERE finished_at < now() - interval '1 hour' LIMIT 10000
                """
            // Through the index whatever the planner prefers, to count the blocks it reads.
            func heapBlocksRead() async throws -> Int {
                let plan = try await env.app.pool.run { connection in
                    try connection.execute("SET enable_seqscan = off")
                    defer { _ = try? connection.execute("RESET enable_seqscan") }
                    return try connection.execute(prune).string(0, 0) ?? ""
                }
                return Self.sum(of: ["Exact Heap Blocks", "Lossy Heap Blocks"], in: try JSONValue(json: plan))
            }
            // Unsummarized, every block is a candidate (unless autovacuum's autosummarize has
            // come by already: it is on, 0022).
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results_default") == 50000)
            let maintenance = Maintenance(configuration: env.app.conf, holder: "pruner")
            #expect(try await env.app.pool.run { try maintenance.runOnce(on: $0) }.prunedResults == 0)
            #expect(try await heapBlocksRead() == 0)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results") == 50000)
        }
    }

    static func sum(of keys: [String], in value: JSONValue) -> Int {
        switch value {
        case .object(let fields):
            let own = keys.compactMap { key -> Int? in
                if case .number(let number)? = fields[key] { return Int(number) }
                return nil
            }.reduce(0, +)
            return own + fields.values.map { sum(of: keys, in: $0) }.reduce(0, +)
        case .array(let items): return items.map { sum(of: keys, in: $0) }.reduce(0, +)
        default: return 0
        }
    }
}

extension MaintenanceTests {
    /// A worker killed while waiting for work keeps `listening` set; once it has been silent
    /// for a whole lease the leader clears it, so producers stop notifying on its account.
    @Test func workersSilentForALeaseNoLongerCountAsWaiting() async throws {
        try await TestEnvironment.with { env in
            for (id, silentFor) in [("dead", "1 hour"), ("alive", "1 second")] {
                try await env.sql(
                    """
                    INSERT INTO \(env.schema).workers (id, name, hostname, pid, queues, concurrency, pool, version,
                                                     listening, last_heartbeat_at)
                    VALUES ($1, $1, 'host', 1, '{celery}', 1, 'async', 'test', true, now() - $2::interval)
                    """,
                    [id, silentFor]
                )
            }
            let maintenance = Maintenance(configuration: env.app.conf, holder: "test")
            #expect(try await env.app.pool.run { try maintenance.runOnce(on: $0) }.leader)
            #expect(try await env.sql("SELECT id FROM \(env.schema).workers WHERE listening ORDER BY id") == ["alive"])
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).workers") == 2)
        }
    }
}

/// The maintenance service: a round when one is due at the time given, none before.
@Suite struct MaintenanceServiceTests {
    @Test func aRoundRunsWhenDueAtTheTimeGivenAndNotBefore() async throws {
        try await TestEnvironment.with({ $0.maintenanceInterval = .seconds(1) }) { env in
            let url = try DatabaseURL(env.url)
            let service = try MaintenanceLoop(
                maintenance: Maintenance(configuration: env.app.conf, holder: "service-test"), url: url,
                applicationName: "maintenance-test")
            let leaders = "SELECT count(*) FROM \(env.schema).leaders WHERE holder = 'service-test'"
            let start = ContinuousClock.now
            let thread = DatabaseThread(url: url, name: "maintenance-test-driver")
            defer { thread.shutdown() }
            // The service keeps its own session; it is driven here from one thread, as its loop would.
            let first = try await thread.run { _ in try service.runOnce(now: start) }
            #expect(first == start + .seconds(1))
            #expect(try await env.count(leaders) == 1)
            try await env.sql("DELETE FROM \(env.schema).leaders")
            // Not due yet: no round, so nobody takes the lease again.
            #expect(try await thread.run { _ in try service.runOnce(now: start + .milliseconds(500)) } == first)
            #expect(try await env.count(leaders) == 0)
            // Due: a round, which takes the lease.
            _ = try await thread.run { _ in try service.runOnce(now: start + .seconds(1)) }
            #expect(try await env.count(leaders) == 1)
        }
    }

    @Test func aRowWithoutARetryLimitUsesTheAppsDefault() async throws {
        try await TestEnvironment.with({ $0.taskDefaultMaxRetries = 1 }) { env in
            for attempt in [1, 2] {
                try await env.sql(
                    """
                    INSERT INTO \(env.schema).tasks (id, name, state, owner, attempt, lease_expires_at, options)
                    VALUES ($1, 'tasks.add', 'started', 'dead@host/1.x', $2, now() - interval '1 second', '{"acks_late": true}')
                    """,
                    [UUID.v7().celeryString, String(attempt)]
                )
            }
            let maintenance = Maintenance(configuration: env.app.conf, holder: "test")
            let report = try await env.app.pool.run { try maintenance.runOnce(on: $0) }
            // One retry allowed: the first attempt runs again, the second has used it up.
            #expect(report.requeued == 1)
            #expect(report.failed == 1)
        }
    }

    /// A task's options come from its workers' registry, whoever enqueued it: an acks_late
    /// task sent with the SQL function is re-queued when its worker dies.
    @Test func rescueFollowsTheOptionsTheWorkersRegistered() async throws {
        try await TestEnvironment.with({ $0.taskDefaultMaxRetries = 9 }) { env in
            _ = env.app.task("tasks.late", maxRetries: 1, acksLate: true) { (x: Int) async throws -> Int in x }
            _ = env.app.task("tasks.early") { (x: Int) async throws -> Int in x }
            let worker = env.startWorker()
            try await worker.stop()
            #expect(
                try await env.sql("SELECT name || ' ' || acks_late || ' ' || max_retries FROM \(env.schema).task_types ORDER BY name")
                    == ["tasks.early false 9", "tasks.late true 1"])
            // Sent from SQL (no options in the row), claimed by a worker that then died.
            var ids: [String: String] = [:]
            for (task, attempt) in [("tasks.late", 1), ("tasks.late", 2), ("tasks.early", 1)] {
                let id = try #require(try await env.sql("SELECT \(env.schema).enqueue($1, '[1]')", [task]).first ?? nil)
                try await env.sql(
                    """
                    UPDATE \(env.schema).tasks SET state = 'started', owner = 'dead@host/1.x', attempt = $2,
                           lease_expires_at = now() - interval '1 second'
                    WHERE id = $1
                    """,
                    [id, String(attempt)])
                ids["\(task)/\(attempt)"] = id
            }
            let maintenance = Maintenance(configuration: env.app.conf, holder: "test")
            let report = try await env.app.pool.run { try maintenance.runOnce(on: $0) }
            // tasks.late: acks_late from the registry, one retry: attempt 1 runs again, attempt 2
            // has used it up. tasks.early: not acks_late, so it fails.
            #expect(report.requeued == 1)
            #expect(report.failed == 2)
            #expect(try await env.sql("SELECT id::text FROM \(env.schema).tasks") == [ids["tasks.late/1"]])
        }
    }
}

/// The queue's vacuum: when the statistics show enough dead rows, at most once per gap.
@Suite struct QueueVacuumTests {
    @Test func theQueueIsVacuumedOnceEnoughRowsAreDeadAndNotTooOften() async throws {
        try await TestEnvironment.with { env in
            let s = env.schema
            let dead = "SELECT pg_stat_get_dead_tuples('\(s).tasks'::regclass)"
            try await env.sql("INSERT INTO \(s).tasks (id, name) SELECT \(s).uuid_v7(), 'tasks.add' FROM generate_series(1, 300)")
            // As completions do: the rows go, their versions stay until a vacuum. The session
            // reports its counts when the statement ends, not up to a second later.
            try await env.sql("WITH gone AS (DELETE FROM \(s).tasks RETURNING 1) SELECT pg_stat_force_next_flush(), count(*) FROM gone")
            try await env.eventually("the statistics show the dead rows") { try await env.count(dead) >= 300 }

            /// One turn of the part on a pooled session; the part comes back with its memory.
            func turn(_ vacuum: QueueVacuum, at now: ContinuousClock.Instant) async throws -> (Bool, QueueVacuum) {
                try await env.app.pool.run { connection in
                    var part = vacuum
                    let vacuumed = try part.runOnce(on: connection, now: now)
                    return (vacuumed, part)
                }
            }
            var vacuum = QueueVacuum(sql: SchemaSQL(schema: s))
            vacuum.threshold = 1_000
            let start = ContinuousClock.now
            let (belowThreshold, _) = try await turn(vacuum, at: start)
            #expect(!belowThreshold)
            vacuum.threshold = 100
            let (vacuumed, after) = try await turn(vacuum, at: start)
            #expect(vacuumed)
            // (Vacuum removes only rows no open transaction may still see: other tests run
            // meanwhile, so the count of vacuums tells, not the dead rows left.)
            let vacuums = "SELECT pg_stat_get_vacuum_count('\(s).tasks'::regclass)"
            #expect(try await env.count(vacuums) == 1)
            // More dead rows, but within the gap: no vacuum; after it, one.
            try await env.sql("INSERT INTO \(s).tasks (id, name) SELECT \(s).uuid_v7(), 'tasks.add' FROM generate_series(1, 300)")
            try await env.sql("WITH gone AS (DELETE FROM \(s).tasks RETURNING 1) SELECT pg_stat_force_next_flush(), count(*) FROM gone")
            try await env.eventually("the statistics show the dead rows") { try await env.count(dead) >= 300 }
            let (early, _) = try await turn(after, at: start + .milliseconds(500))
            #expect(!early)
            #expect(try await env.count(vacuums) == 1)
            let (later, _) = try await turn(after, at: start + .seconds(2))
            #expect(later)
            #expect(try await env.count(vacuums) == 2)
        }
    }
}

extension QueueVacuumTests {
    @Test func aVacuumHeldBackByAnOpenTransactionComesLessOftenUntilItEnds() async throws {
        try await TestEnvironment.with { env in
            let s = env.schema
            let dead = "SELECT pg_stat_get_dead_tuples('\(s).tasks'::regclass)"
            let holder = DatabaseThread(url: try DatabaseURL(env.url), name: "test-held-transaction")
            defer { holder.shutdown() }
            // An application's forgotten transaction: its snapshot keeps every row version
            // that is deleted after it began.
            try await holder.run { connection in
                _ = try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                _ = try connection.execute("SELECT txid_current(), count(*) FROM \(s).tasks")
            }
            try await env.sql("INSERT INTO \(s).tasks (id, name) SELECT \(s).uuid_v7(), 'tasks.add' FROM generate_series(1, 300)")
            try await env.sql("WITH gone AS (DELETE FROM \(s).tasks RETURNING 1) SELECT pg_stat_force_next_flush(), count(*) FROM gone")
            try await env.eventually("the statistics show the dead rows") { try await env.count(dead) >= 300 }

            func turn(_ vacuum: QueueVacuum, at now: ContinuousClock.Instant) async throws -> (Bool, QueueVacuum) {
                try await env.app.pool.run { connection in
                    var part = vacuum
                    let vacuumed = try part.runOnce(on: connection, now: now)
                    return (vacuumed, part)
                }
            }
            var vacuum = QueueVacuum(sql: SchemaSQL(schema: s))
            vacuum.threshold = 100
            // The first vacuum notes the horizon; each one after it that finds it unchanged
            // and the rows still there doubles the gap. (Another test's transaction older
            // than the held one may end meanwhile and move the horizon once.)
            var at = ContinuousClock.now
            var vacuums = 0
            while vacuum.gap < .seconds(4), vacuums < 6 {
                var vacuumed: Bool
                (vacuumed, vacuum) = try await turn(vacuum, at: at)
                #expect(vacuumed)
                vacuums += 1
                at += vacuum.gap
            }
            #expect(vacuum.gap == .seconds(4), "after \(vacuums) vacuums")
            #expect(try await env.count(dead) >= 300)
            let (tooSoon, _) = try await turn(vacuum, at: at - .milliseconds(500))
            #expect(!tooSoon)

            // The transaction ends: the next vacuum (other tests' short transactions allowing)
            // removes the rows, and the gap is back to a second.
            try await holder.run { connection in _ = try connection.execute("COMMIT") }
            try await env.eventually("a vacuum removes the rows") {
                (_, vacuum) = try await turn(vacuum, at: at)
                at += vacuum.maximumGap
                let left = try await env.count(dead)
                return vacuum.gap == vacuum.minimumGap && left < 300
            }
        }
    }
}

/// The partitions of results (0022): made ahead, dropped whole once expired, never while a
/// task of their range waits; ids outside every range go to the default partition.
@Suite struct TablePartitionsTests {
    @Test func partitionsAreMadeAheadAndDroppedWholeOnceExpired() async throws {
        try await TestEnvironment.with { env in
            let s = env.schema
            let partitions = TablePartitions(sql: SchemaSQL(schema: s), expires: .seconds(3_600))
            let before = Date()
            let made = try await env.app.pool.run { [partitions] connection in
                var part = partitions
                return try part.runOnce(on: connection)
            }
            // A tenth of an hour each, at least a minute ahead: two or three partitions of each table.
            #expect(made.created >= 4 && made.dropped == 0)
            for table in ["results", "events"] {
                #expect(
                    try await env.count(
                        "SELECT count(*) FROM \(s).partitions WHERE parent = '\(table)' AND upper_at > now() + interval '60 seconds'") >= 1)
            }
            // The first partition starts at the next boundary, a range with no row yet (so none has
            // to move while it is attached). A task made in it has its result there, not in the
            // default partition.
            let first = try #require(
                try await env.sql("SELECT extract(epoch FROM min(lower_at))::text FROM \(s).partitions WHERE parent = 'results'").first
                    ?? nil)
            let firstAt = try #require(Double(first))
            #expect(firstAt >= before.timeIntervalSince1970 - 1)
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            let sum = try await add.applyAsync(2, 3, options: CallOptions(taskID: UUID.v7(now: Date(timeIntervalSince1970: firstAt + 1))))
            #expect(try await sum.get(timeout: .seconds(10)) == 5)
            try await worker.stop()
            let home = try await env.sql("SELECT tableoid::regclass::text FROM \(s).results WHERE id = '\(sum.id.celeryString)'")
            #expect(home.first??.hasPrefix("\(s).results_2") == true, "\(home)")
            // Events go by time.
            try await env.sql("INSERT INTO \(s).events (at, kind) VALUES (to_timestamp($1::float8 + 1), 'worker-online')", [first])
            let eventHome = try await env.sql("SELECT tableoid::regclass::text FROM \(s).events WHERE worker IS NULL")
            #expect(eventHome.first??.hasPrefix("\(s).events_2") == true, "\(eventHome)")

        }
    }

    @Test func onlyAPartitionWhereATaskStillWaitsOutlivesItsExpiry() async throws {
        try await TestEnvironment.with { env in
            let s = env.schema
            // Partitions of a second, then everything counts as expired (a negative expiry):
            // only the partition where a task still waits stays.
            let maintain = "SELECT created, dropped FROM \(s).maintain_partitions('results', $1, 1, 60)"
            _ = try await env.sql(maintain, ["3600"])
            let waiting = try #require(
                try await env.sql("SELECT \(s).uuid_v7_at(now() + interval '10.5 seconds')::text").first ?? nil)
            try await env.sql("INSERT INTO \(s).tasks (id, name) VALUES ($1, 'tasks.add')", [waiting])
            try await env.sql(
                "INSERT INTO \(s).results (id, name, queue, state) VALUES (\(s).uuid_v7_at(now() + interval '20.5 seconds'), 'tasks.add', 'celery', 'succeeded')"
            )
            // And one made elsewhere (version 4): outside every range, in the default partition.
            let foreign = "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
            try await env.sql(
                "INSERT INTO \(s).results (id, name, queue, state, finished_at) VALUES ('\(foreign)', 'tasks.add', 'celery', 'succeeded', now() - interval '2 hours')"
            )
            #expect(
                try await env.sql("SELECT tableoid::regclass::text FROM \(s).results WHERE id = '\(foreign)'") == ["\(s).results_default"])
            _ = try await env.sql(maintain, ["-120"])
            let left = try await env.sql("SELECT name FROM \(s).partitions WHERE parent = 'results'")
            #expect(left.count == 1, "\(left)")
            #expect(try await env.count("SELECT count(*) FROM \(s).results") == 1)
            #expect(try await env.count("SELECT count(*) FROM \(s).tasks WHERE id = '\(waiting)'") == 1)
            // The registry and the partitions agree.
            #expect(
                try await env.count(
                    "SELECT count(*) FROM pg_inherits WHERE inhparent = '\(s).results'::regclass AND inhrelid <> '\(s).results_default'::regclass"
                ) == 1)
            // The default partition is pruned row by row.
            let pruned = try await env.app.pool.run { connection in
                try connection.row(SQL.Results.Prune(expiresSeconds: 3_600, batch: 100), in: SchemaSQL(schema: s))?.pruned
            }
            #expect(pruned == 1)

            // Events go by time, whole partitions once expired; one outside every range is pruned
            // row by row from the default partition.
            _ = try await env.sql("SELECT created FROM \(s).maintain_partitions('events', 3600, 1, 60)")
            try await env.sql("INSERT INTO \(s).events (at, kind, worker) VALUES (now() + interval '5 seconds', 'worker-online', 'w')")
            try await env.sql("INSERT INTO \(s).events (at, kind, worker) VALUES (now() - interval '2 hours', 'worker-online', 'w')")
            #expect(try await env.count("SELECT count(*) FROM \(s).events_default") == 1)
            _ = try await env.sql("SELECT dropped FROM \(s).maintain_partitions('events', -120, 1, 60)")
            #expect(try await env.count("SELECT count(*) FROM \(s).partitions WHERE parent = 'events'") == 0)
            let prunedEvents = try await env.app.pool.run { connection in
                try connection.row(SQL.Events.Prune(expiresSeconds: 3_600, batch: 100), in: SchemaSQL(schema: s))?.pruned
            }
            #expect(prunedEvents == 1)
            #expect(try await env.count("SELECT count(*) FROM \(s).events") == 0)
            await #expect(throws: PostgresError.self) {
                try await env.sql("SELECT created FROM \(s).maintain_partitions('tasks', 1, 1, 1)")
            }
        }
    }

    @Test func afterResultExpiresIsLoweredTheTimeBeforeTheWidePartitionsIsFilled() async throws {
        try await TestEnvironment.with { env in
            let s = env.schema
            func round(expires: Duration) async throws -> (created: Int, dropped: Int) {
                let partitions = TablePartitions(sql: SchemaSQL(schema: s), expires: expires)
                return try await env.app.pool.run { [partitions] connection in
                    var part = partitions
                    return try part.runOnce(on: connection)
                }
            }
            // A day's expiry: 2.4-hour partitions. As the first of them was made before
            // partitions began at once (they began at the next boundary), the time until the
            // second is not covered.
            _ = try await round(expires: .seconds(86_400))
            let first = try #require(
                try await env.sql("SELECT name FROM \(s).partitions WHERE parent = 'results' ORDER BY lower_at LIMIT 1").first ?? nil)
            try await env.sql("DROP TABLE \(s).\(first)")
            try await env.sql("DELETE FROM \(s).partitions WHERE name = $1", [first])
            let eventsFirst = try #require(
                try await env.sql("SELECT name FROM \(s).partitions WHERE parent = 'events' ORDER BY lower_at LIMIT 1").first ?? nil)
            try await env.sql("DROP TABLE \(s).\(eventsFirst)")
            try await env.sql("DELETE FROM \(s).partitions WHERE name = $1", [eventsFirst])
            // Lowered to a minute: 6-second partitions up to a minute ahead, ending where the
            // wide ones begin, so that a result made in 30 s has a partition of its own.
            let made = try await round(expires: .seconds(60))
            let layout = try await env.sql(
                "SELECT string_agg(name || ' ' || lower_at || ' ' || upper_at, '; ' ORDER BY lower_at) FROM \(s).partitions")
            #expect(made.created >= 2, "\(layout)")
            let covering = """
                SELECT count(*) FROM \(s).partitions
                WHERE parent = '%@' AND lower_at <= now() + interval '30 seconds' AND upper_at > now() + interval '30 seconds'
                """
            for table in ["results", "events"] {
                #expect(try await env.count(String(format: covering, table)) == 1)
                // No two ranges overlap.
                #expect(
                    try await env.count(
                        "SELECT count(*) FROM \(s).partitions AS a JOIN \(s).partitions AS b ON a.parent = b.parent AND a.name < b.name AND a.lower_at < b.upper_at AND b.lower_at < a.upper_at"
                    ) == 0)
            }
            // A second round makes nothing new.
            #expect(try await round(expires: .seconds(60)).created <= 2)
        }
    }

    @Test func aPartitionIsATenthOfTheExpiryBetweenASecondAndADay() {
        #expect(TablePartitions.width(expires: .seconds(60)) == .seconds(6))
        #expect(TablePartitions.width(expires: .seconds(5)) == .seconds(1))
        #expect(TablePartitions.width(expires: .seconds(86_400 * 30)) == .seconds(86_400))
        #expect(TablePartitions.width(expires: nil) == .seconds(86_400))
    }
}
