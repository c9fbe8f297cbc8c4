import Celeriac
import CeleriacPostgres
import Foundation

/// Runs every measurement of `celeriac bench` against one database, in one sitting.
struct Benchmark {
    struct Settings {
        var drainTasks = 100_000
        var singleDrainTasks = 20_000
        var enqueueSingles = 4_000
        var bulkSize = 10_000
        var latencyProbes = 500
        var historyRows = 1_000_000
        var historyDrainTasks = 50_000
        /// Waiting tasks present while the views are timed.
        var viewsWaitingTasks = 100_000
        /// The depth part's backlogs.
        var depthShallowTasks = 100_000
        var depthDeepTasks = 1_000_000
        /// Paired rounds per depth case.
        var depthRounds = 3
        /// The depth cases to run (keys without `depth_`), or all of them.
        var depthCases: Set<String>?
        /// Tasks per side in the rate-limited drain of the canvas part.
        var limitDrainTasks = 50_000
        /// Leave the views part's data in place at the end.
        var keepViewsData = false
        /// Drains per side in the events measurement (2x128, with and without -E in turns).
        var eventsDrainTasks = 50_000
        /// Run only these parts (raw, enqueue, drain, depth, canvas, events, durability, sleep, latency,
        /// history, views); nil runs all.
        var only: Set<String>?
        /// Drain configurations (workers, concurrency).
        var drainConfigurations = [(1, 1), (2, 1), (1, 16), (2, 16), (1, 128), (2, 128)]

        func includes(_ part: String) -> Bool { only?.contains(part) ?? true }
    }

    let app: CeleriacApp
    let url: DatabaseURL
    let settings: Settings
    let tasks: BenchTasks
    var report = BenchReport()
    private var schema: String { app.conf.schema }

    init(app: CeleriacApp, url: DatabaseURL, settings: Settings) {
        self.app = app
        self.url = url
        self.settings = settings
        tasks = BenchTasks(app: app)
    }

    mutating func run() async throws {
        try await resetSchema()
        report.postgresVersion = try await scalar("SHOW server_version") ?? "?"
        report.cores = ProcessInfo.processInfo.activeProcessorCount

        let raw = RawCeiling(url: url, schema: schema)
        try await raw.prepare()
        if settings.includes("raw") {
            progress("raw SQL ceiling: claim + complete")
            report.rawClaimComplete = try await raw.claimCompleteRate(count: settings.drainTasks)
        }
        if settings.includes("raw") || settings.includes("enqueue") {
            // The claim ceiling just wrote ~100,000 row versions: flush them now rather than
            // have a checkpoint land among the single inserts, whose commits it would slow.
            try await checkpoint()
            progress("enqueue, raw and Celeriac in turns")
            try await measureEnqueue(raw: raw)
        }
        for (workers, concurrency) in settings.drainConfigurations where settings.includes("drain") {
            let count = concurrency == 1 ? min(settings.singleDrainTasks, settings.drainTasks) : settings.drainTasks
            progress("drain \(count) no-op tasks, \(workers) worker(s) x \(concurrency)")
            let drain = try await measureDrain(task: "bench.noop", count: count, workers: workers, concurrency: concurrency)
            report.drains.append(drain)
        }

        if settings.includes("depth") { try await measureDepth() }
        if settings.includes("canvas") { try await measureChord() }
        if settings.includes("events") { try await measureEvents() }
        if settings.includes("durability") { try await measureDurability() }
        if settings.includes("sleep") {
            progress("10 ms sleeping tasks at concurrency 200")
            report.sleepDrain = try await measureDrain(task: "bench.sleep", count: 10_000, workers: 1, concurrency: 200)
        }
        if settings.includes("latency") {
            progress("pickup latency, idle")
            report.idleLatency = try await measureLatency(backgroundRate: 0)
            progress("pickup latency under 1,000 tasks/s")
            report.loadedLatency = try await measureLatency(backgroundRate: 1_000)
        }
        if settings.includes("history") { try await measureHistory() }
        if settings.includes("views") { try await measureViews() }
        if !(settings.keepViewsData && settings.includes("views")) {
            try await execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        }
    }

    private mutating func measureHistory() async throws {
        progress("claim rate with \(settings.historyRows) finished tasks present, and with none, in turns")
        // Single drains here vary by ±20%, more than the 10% effect looked for: drains with
        // and without history alternate (the million rows live in a second table swapped in
        // by renaming, which is instant) and the medians are compared.
        try await execute("TRUNCATE \(schema).results")
        try await execute("DROP TABLE IF EXISTS \(schema).results_history")
        try await execute("CREATE TABLE \(schema).results_history (LIKE \(schema).results INCLUDING ALL)")
        try await fillHistory(table: "results_history", rows: settings.historyRows)
        try await checkpoint()
        let swap = """
            BEGIN;
            ALTER TABLE \(schema).results RENAME TO results_swapping;
            ALTER TABLE \(schema).results_history RENAME TO results;
            ALTER TABLE \(schema).results_swapping RENAME TO results_history;
            COMMIT;
            """
        var empty: [Double] = []
        var full: [Double] = []
        for round in 0..<6 {
            for withHistory in round % 2 == 0 ? [true, false] : [false, true] {
                if withHistory { try await executeScript(swap) }
                let drain = try await measureDrain(
                    task: "bench.noop", count: settings.historyDrainTasks, workers: 1, concurrency: 128,
                    keepResults: withHistory)
                if withHistory { try await executeScript(swap) }
                progress(String(format: "  %@ history: %.0f/s", withHistory ? "with" : "without", drain.rate))
                if withHistory { full.append(drain.rate) } else { empty.append(drain.rate) }
            }
        }
        try await execute("DROP TABLE \(schema).results_history")
        report.historyRows = settings.historyRows
        report.historyEmptyRate = Percentiles(empty).median
        report.historyFullRate = Percentiles(full).median
        // Each round's two drains ran back to back: their ratio is free of the drift
        // between rounds, and the median of those ratios is the figure.
        report.historyRatio = Percentiles(zip(full, empty).map { $0 / $1 }).median
    }

    /// Drains at 2x128 with task events on (-E) and off, in turns, as the history part does:
    /// recording events must not cost more than a tenth of the drain rate.
    private mutating func measureEvents() async throws {
        progress("drain with task events (-E) and without, in turns (2x128)")
        var on: [Double] = []
        var off: [Double] = []
        for round in 0..<4 {
            for events in round % 2 == 0 ? [true, false] : [false, true] {
                try await execute("TRUNCATE \(schema).events")
                let drain = try await measureDrain(
                    task: "bench.noop", count: settings.eventsDrainTasks, workers: 2, concurrency: 128, events: events)
                if events {
                    let recorded = try await countRows(
                        "SELECT coalesce(sum(cardinality(task_ids)), 0) FROM \(schema).events WHERE task_ids IS NOT NULL")
                    guard recorded >= settings.eventsDrainTasks * 3 else {
                        throw BenchError("-E recorded \(recorded) task events for \(settings.eventsDrainTasks) tasks")
                    }
                }
                progress(String(format: "  %@ events: %.0f/s", events ? "with" : "without", drain.rate))
                if events { on.append(drain.rate) } else { off.append(drain.rate) }
            }
        }
        report.eventsOnRate = Percentiles(on).median
        report.eventsOffRate = Percentiles(off).median
        report.eventsRatio = Percentiles(zip(on, off).map { $0 / $1 }).median
    }

    /// Drains of relaxed no-ops (acks_late, synchronous_commit off for their claims and
    /// completions) and of plain ones, in turns: at 1x1, where every task is a claim and a
    /// completion of its own (each commit waits for the disk), and at 2x128, where one commit
    /// covers a batch. The median of each configuration's paired ratios.
    private mutating func measureDurability() async throws {
        for (workers, concurrency, count) in [(1, 1, settings.singleDrainTasks / 4), (2, 128, settings.eventsDrainTasks)] {
            progress("drain with relaxed durability and without, in turns (\(workers)x\(concurrency))")
            var relaxed: [Double] = []
            var durable: [Double] = []
            for round in 0..<4 {
                for task in round % 2 == 0 ? ["bench.relaxed", "bench.noop"] : ["bench.noop", "bench.relaxed"] {
                    let drain = try await measureDrain(task: task, count: count, workers: workers, concurrency: concurrency)
                    progress(String(format: "  %@: %.0f/s", task, drain.rate))
                    if task == "bench.relaxed" { relaxed.append(drain.rate) } else { durable.append(drain.rate) }
                }
            }
            report.durability.append(
                DurabilityFigure(
                    workers: workers, concurrency: concurrency, relaxed: Percentiles(relaxed).median,
                    durable: Percentiles(durable).median, ratio: Percentiles(zip(relaxed, durable).map { $0 / $1 }).median))
        }
    }

    /// Drains from deep backlogs against a shallow one, each at 2 workers x 128: a million
    /// tasks waiting in one queue; a million over 10 queues and 5 priorities (timed over its
    /// first 200,000), with workers consuming all ten; 100,000 over 10 queues; and 100,000 due
    /// with a million scheduled for later in the same queue. A single drain here swings by a
    /// third from one minute to the next, so each case runs ``Settings/depthRounds`` times,
    /// each time right after a shallow drain, and the figure is the median of those ratios.
    private mutating func measureDepth() async throws {
        let shallow = settings.depthShallowTasks
        let deep = settings.depthDeepTasks
        let queues = (0..<10).map { "bench\($0)" }
        let cases: [(key: String, label: String, backlog: Backlog)] = [
            ("depth_deep", "\(deep.formatted()) waiting, one queue", Backlog(count: deep)),
            (
                "depth_spread", "\((deep / 5).formatted()) of a deep backlog over 10 queues x 5",
                Backlog(count: deep, queues: queues, priorities: 5, measured: deep / 5)
            ),
            ("depth_ten_queues", "\(shallow.formatted()) over 10 queues", Backlog(count: shallow, queues: queues)),
            (
                "depth_with_scheduled", "\(shallow.formatted()) due beside a deep scheduled backlog",
                Backlog(count: shallow, scheduled: deep)
            ),
        ]
        var baselines: [Double] = []
        var figures: [DepthFigures.Case] = []
        for item in cases where settings.depthCases?.contains(String(item.key.dropFirst("depth_".count))) ?? true {
            var rates: [Double] = []
            var ratios: [Double] = []
            for round in 1...settings.depthRounds {
                progress("depth: \(item.label), round \(round): \(shallow) from one queue, then the case")
                let base = try await measureDrain(task: "bench.noop", backlog: Backlog(count: shallow), workers: 2, concurrency: 128)
                let drain = try await measureDrain(task: "bench.noop", backlog: item.backlog, workers: 2, concurrency: 128)
                progress(String(format: "  %.0f/s against %.0f/s: %.2fx", drain.rate, base.rate, drain.rate / base.rate))
                baselines.append(base.rate)
                rates.append(drain.rate)
                ratios.append(drain.rate / base.rate)
            }
            figures.append(
                DepthFigures.Case(
                    key: item.key, label: item.label, rate: Percentiles(rates).median, ratio: Percentiles(ratios).median))
        }
        report.depth = DepthFigures(
            shallowTasks: shallow, shallowRate: Percentiles(baselines).median, rounds: settings.depthRounds, cases: figures)
    }

    /// A chord of 10,000 no-op members and a body that adds their results, drained by 2x128,
    /// each round right after a plain drain of as many tasks: the members' rate (first start to
    /// last finish) against the plain drain's, and the time from the last member's outcome (its
    /// statement's clock) to the body's start (its claim's).
    private mutating func measureChord() async throws {
        let members = 10_000
        var memberRates: [Double] = []
        var plainRates: [Double] = []
        var ratios: [Double] = []
        var delays: [Double] = []
        for round in 1...settings.depthRounds {
            progress("canvas, round \(round): \(members) plain, then a chord of \(members)")
            let plain = try await measureDrain(task: "bench.noop", count: members, workers: 2, concurrency: 128)
            try await execute("TRUNCATE \(schema).results, \(schema).groups")
            let onBench = CallOptions(queue: "bench")
            let header = Group(Array(repeating: tasks.noop.s().set(onBench), count: members))
            let body = try await chord(header, tasks.sum.s().set(onBench)).delay()
            let pool = try WorkerProcesses(count: 2, concurrency: 128, url: url, schema: schema, queues: ["bench"])
            defer { pool.stop() }
            try await pool.waitUntilReady(timeout: .seconds(30))
            _ = try await body.get(timeout: .seconds(600))
            pool.stop()
            let timings =
                "SELECT extract(epoch FROM max(m.finished_at) - min(m.started_at)) || ' ' || "
                + "extract(epoch FROM (SELECT b.started_at FROM \(schema).results AS b WHERE b.id = $1) - max(m.finished_at)) "
                + "FROM \(schema).results AS m WHERE m.group_id IS NOT NULL"
            let row = try await scalar(timings, [body.id.uuidString])
            let parts = (row ?? "").split(separator: " ").compactMap { Double($0) }
            guard parts.count == 2, parts[0] > 0 else { throw BenchError("the chord's timings could not be read: \(row ?? "none")") }
            let rate = Double(members) / parts[0]
            progress(
                String(
                    format: "  members %.0f/s against %.0f/s: %.2fx; body %.1f ms after the last", rate, plain.rate,
                    rate / plain.rate, parts[1] * 1_000))
            memberRates.append(rate)
            plainRates.append(plain.rate)
            ratios.append(rate / plain.rate)
            delays.append(parts[1] * 1_000)
        }
        // A rate limit far above the drain rate: what the limit machinery costs when it never binds.
        var limitedRates: [Double] = []
        var limitRatios: [Double] = []
        for round in 1...settings.depthRounds {
            progress("canvas, round \(round): \(settings.limitDrainTasks) plain, then as many under a rate limit of 1,000,000/s")
            let plain = try await measureDrain(task: "bench.noop", count: settings.limitDrainTasks, workers: 2, concurrency: 128)
            let limited = try await measureDrain(
                task: "bench.limited", backlog: Backlog(count: settings.limitDrainTasks), workers: 2, concurrency: 128)
            progress(
                String(
                    format: "  %.0f/s against %.0f/s: %.2fx (CPU s per 10k: workers %.3f against %.3f, server %.3f against %.3f)",
                    limited.rate, plain.rate, limited.rate / plain.rate, limited.workerCPUPer10k, plain.workerCPUPer10k,
                    limited.postgresCPUPer10k ?? .nan, plain.postgresCPUPer10k ?? .nan))
            limitedRates.append(limited.rate)
            limitRatios.append(limited.rate / plain.rate)
        }
        report.rateLimitedDrain = Percentiles(limitedRates).median
        report.rateLimitedRatio = Percentiles(limitRatios).median
        report.chord = ChordFigure(
            members: members, rounds: settings.depthRounds, memberRate: Percentiles(memberRates).median,
            plainRate: Percentiles(plainRates).median, ratio: Percentiles(ratios).median,
            bodyDelayMilliseconds: Percentiles(delays).median)
    }

    /// Times every monitoring view (and task_history) with a million finished tasks (1% failed,
    /// spread over the last day), 100,000 waiting, a day of counters for 20 task names from 4
    /// workers, 10 workers and 50 schedules: each must answer within 50 ms.
    private mutating func measureViews() async throws {
        let finished = settings.historyRows
        let waiting = settings.viewsWaitingTasks
        progress("monitoring views with \(finished) finished and \(waiting) waiting tasks")
        try await execute("TRUNCATE \(schema).results, \(schema).tasks, \(schema).task_stats, \(schema).events")
        try await execute(
            """
            INSERT INTO \(schema).results (id, name, queue, state, result, error, attempt, worker, created_at, started_at,
                                         finished_at, runtime)
            SELECT \(schema).uuid_v7(), 'bench.task' || (g % 20), 'q' || (g % 5),
                   CASE WHEN g % 100 = 0 THEN 'failed' ELSE 'succeeded' END, '0',
                   CASE WHEN g % 100 = 0 THEN '{"type": "ValueError", "message": "bad"}'::jsonb END, 1, 'w' || (g % 4),
                   now() - make_interval(secs => (g / 100 * 100)::float8 / $1 * 86400),
                   now() - make_interval(secs => (g / 100 * 100)::float8 / $1 * 86400),
                   now() - make_interval(secs => (g / 100 * 100)::float8 / $1 * 86400), 0.01
            FROM generate_series(1, $1) AS g
            """,
            [String(finished)])
        // With -E: a received, a started and a succeeded row per batch of 100 tasks.
        try await execute(
            """
            INSERT INTO \(schema).events (at, kind, worker, task_ids, names, queues, attempts, runtimes)
            SELECT r.finished_at, k.kind, 'w0', array_agg(r.id), array_agg(r.name), array_agg(r.queue), array_agg(1),
                   CASE WHEN k.kind = 'succeeded' THEN array_agg(r.runtime) END
            FROM \(schema).results AS r CROSS JOIN (VALUES ('received'), ('started'), ('succeeded')) AS k(kind)
            GROUP BY r.finished_at, k.kind
            """)
        try await execute(
            """
            INSERT INTO \(schema).tasks (id, name, queue, run_at)
            SELECT \(schema).uuid_v7(), 'bench.task' || (g % 20), 'q' || (g % 5),
                   now() - interval '10 minutes' + make_interval(secs => g % 1200)
            FROM generate_series(1, $1) AS g
            """,
            [String(waiting)])
        try await execute(
            """
            INSERT INTO \(schema).task_stats (minute, queue, name, worker, metric, bucket, count)
            SELECT date_trunc('minute', now()) - make_interval(mins => m), 'q' || (n % 5), 'bench.task' || n, 'w' || w,
                   metric, b, 10
            FROM generate_series(0, 1439) AS m, generate_series(0, 19) AS n, generate_series(0, 3) AS w,
                 unnest(ARRAY['succeeded', 'wait']) AS metric, generate_series(20, 23) AS b
            """)
        try await execute(
            """
            INSERT INTO \(schema).workers (id, name, hostname, pid, queues, concurrency, pool, version)
            SELECT 'w' || g, 'bench' || g || '@host', 'host', g, ARRAY['q0', 'q1', 'q2', 'q3', 'q4'], 16, 'async', 'bench'
            FROM generate_series(0, 9) AS g
            """)
        try await execute(
            """
            INSERT INTO \(schema).periodic_tasks (name, task, interval_seconds, next_run_at, last_run_at)
            SELECT 'schedule' || g, 'bench.task' || (g % 20), 60, now() + interval '30 seconds', now() - interval '30 seconds'
            FROM generate_series(1, 50) AS g
            """)
        try await execute(
            """
            INSERT INTO \(schema).periodic_ticks (schedule, tick, task_id)
            SELECT 'schedule' || g, now() - make_interval(mins => t), \(schema).uuid_v7()
            FROM generate_series(1, 50) AS g, generate_series(1, 100) AS t
            """)
        for table in ["results", "tasks", "task_stats", "events", "workers", "periodic_tasks", "periodic_ticks"] {
            try await execute("VACUUM ANALYZE \(schema).\(table)")
        }
        let someID = try await scalar("SELECT id::text FROM \(schema).results ORDER BY finished_at DESC LIMIT 1") ?? ""
        let queries: [(String, String)] = [
            ("queues", "SELECT * FROM \(schema).queues"),
            ("task_names", "SELECT * FROM \(schema).task_names"),
            ("recent_failures (latest 50)", "SELECT * FROM \(schema).recent_failures LIMIT 50"),
            ("worker_status", "SELECT * FROM \(schema).worker_status"),
            ("schedules", "SELECT * FROM \(schema).schedules"),
            ("task_history(id)", "SELECT * FROM \(schema).task_history('\(someID)')"),
            ("task_events, last minute", "SELECT * FROM \(schema).task_events WHERE at > now() - interval '1 minute'"),
        ]
        report.viewTimings = []
        for (name, query) in queries {
            var times: [Double] = []
            for _ in 0..<7 {
                let start = ContinuousClock.now
                try await execute(query)
                times.append((ContinuousClock.now - start).seconds * 1000)
            }
            // The first run reads from disk into the cache; the figure is the median of the rest.
            report.viewTimings.append((name, Percentiles(Array(times.dropFirst())).median))
        }
        report.viewRows = (finished, waiting)
        progress("dashboard pages and API over HTTP, p95 of 20 requests each")
        let taskID = someID.isEmpty ? "" : someID
        report.pageTimings = try await DashboardTimings(app: app).measure(paths: [
            "/", "/tasks", "/tasks?state=failed", "/tasks?name=bench.task3&queue=q3", "/tasks?order=oldest",
            "/tasks?search=no-such-text", "/tasks?worker=w1&state=succeeded", "/task/\(taskID)", "/queues", "/workers",
            "/periodic", "/metrics", "/healthcheck", "/api/workers", "/api/queues/length", "/api/task/types",
            "/api/tasks?limit=100", "/api/tasks?state=FAILURE&taskname=bench.task0&limit=100", "/api/task/info/\(taskID)",
            "/api/task/result/\(taskID)",
        ])
        guard !settings.keepViewsData else {
            progress("the views' data stays in schema \(schema): celeriac monitor --schema \(schema)")
            return
        }
        try await execute(
            "TRUNCATE \(schema).results, \(schema).tasks, \(schema).task_stats, \(schema).events, \(schema).periodic_tasks CASCADE")
        try await execute("DELETE FROM \(schema).workers")
    }

    /// Flushes dirty buffers if the role may (`pg_checkpoint`, granted by scripts/pg.sh).
    private func checkpoint() async throws {
        do {
            try await execute("CHECKPOINT")
        } catch let error as PostgresError where error.sqlState == "42501" {
            progress("no CHECKPOINT privilege (grant pg_checkpoint): measuring without one")
        }
    }

    // MARK: - Enqueue

    /// Single inserts, in two passes. In each, the parts take turns in runs of 25, in
    /// rotating order, and each part's time is summed: commit latency here drifts by tens of
    /// percent within seconds (a shared disk), so only fine interleaving compares like with
    /// like. Pass one: raw SQL in a tight loop, raw SQL awaited one statement at a time from
    /// async code (the hand-over every `delay()` pays), and `delay()`. Pass two: the same
    /// with the SQL function in place of `delay()`, for its own ceiling.
    ///
    /// The SQL function is kept out of `delay()`'s pass so that, as for the raw inserts,
    /// one connection alone writes the table measured. With its inserts into `tasks`
    /// interleaved, `delay()` came out 0.76x of raw on average instead of 0.82x in 12 paired
    /// runs (11 the same way; not its NOTIFY: the same with a countdown); later, noisier
    /// runs did not separate the two layouts. Which parts take turns shifts these ratios
    /// by up to 0.1 here (the raw insert itself ran ~15% faster beside the SQL function
    /// alone than beside the awaited raw insert and `delay()`), hence two passes of the
    /// same shape.
    ///
    /// Each run begins with one untimed call: the part before it used another connection
    /// thread, which is still spinning for work (``DatabaseThread``), and the first calls of
    /// a run would otherwise pay for switching threads (≈ 15 µs a call over a run of 25,
    /// measured), a cost a program making calls one after another never sees.
    /// Bulk: eight rounds of 10,000 in alternating order, medians kept.
    private mutating func measureEnqueue(raw: RawCeiling) async throws {
        let schema = self.schema
        let rawThread = DatabaseThread(url: url, name: "bench-raw")
        let sqlThread = DatabaseThread(url: url, name: "bench-sql")
        defer {
            rawThread.shutdown()
            sqlThread.shutdown()
        }
        let run = 25
        let runs = max(4, settings.enqueueSingles / run)
        let noop = tasks.noop
        // Each part runs one untimed call, then `run` timed ones; returns their seconds.
        @Sendable func timed(_ call: () async throws -> Void) async throws -> Double {
            try await call()
            let started = ContinuousClock.now
            for _ in 0..<run { try await call() }
            return (ContinuousClock.now - started).seconds
        }
        let rawTight: @Sendable () async throws -> Double = {
            try await rawThread.run { connection in
                _ = try raw.singleInserts(count: 1, on: connection)
                return try raw.singleInserts(count: run, on: connection)
            }
        }
        let rawAwaited: @Sendable () async throws -> Double = {
            try await timed { _ = try await rawThread.run { try raw.singleInserts(count: 1, on: $0) } }
        }
        let delay: @Sendable () async throws -> Double = { try await timed { _ = try await noop.delay() } }
        let sqlFunction: @Sendable () async throws -> Double = {
            try await sqlThread.run { connection in
                let enqueue = "SELECT \(schema).enqueue('bench.noop', '[]', queue => 'bench')"
                try connection.execute(enqueue)
                let started = ContinuousClock.now
                for _ in 0..<run { try connection.execute(enqueue) }
                return (ContinuousClock.now - started).seconds
            }
        }
        func rate(_ seconds: Double) -> Double { seconds > 0 ? Double(runs * run) / seconds : 0 }
        let enqueue = settings.includes("enqueue")

        let first = try await interleave(enqueue ? [rawTight, rawAwaited, delay] : [rawTight, rawAwaited], runs: runs)
        report.rawSingleInsert = rate(first[0])
        report.rawSingleInsertAwaited = rate(first[1])
        if enqueue {
            report.singleDelay = rate(first[2])
            try await app.purge()
            let second = try await interleave([rawTight, rawAwaited, sqlFunction], runs: runs)
            report.rawSingleInsertBesideSQL = rate(second[0])
            report.sqlFunctionEnqueue = rate(second[2])
            report.concurrentDelay = try await concurrentDelayRate(callers: 8)
            // A unique task's delay(): its key taken in a trigger, its holder read in the same
            // round trip; against plain delay() in the same pass.
            let uniqueDelay: @Sendable () async throws -> Double = {
                try await timed {
                    _ = try await noop.applyAsync(options: CallOptions(unique: Uniqueness(key: UUID().uuidString)))
                }
            }
            try await app.purge()
            let third = try await interleave([delay, uniqueDelay], runs: runs)
            report.plainDelayBesideUnique = rate(third[0])
            report.uniqueDelay = rate(third[1])
        }
        try await raw.truncate()
        try await app.purge()

        var rawBulk: [Double] = []
        var bulk: [Double] = []
        for round in 0..<8 {
            let celeriacFirst = round % 2 == 1
            if celeriacFirst, enqueue { bulk.append(try await bulkEnqueueRate()) }
            rawBulk.append(try await raw.bulkInsertRate(count: settings.bulkSize))
            if !celeriacFirst, enqueue { bulk.append(try await bulkEnqueueRate()) }
            try await app.purge()
        }
        func median(_ values: [Double]) -> Double { values.isEmpty ? 0 : Percentiles(values).median }
        report.rawBulkInsert = median(rawBulk)
        report.bulkEnqueue = median(bulk)
    }

    /// Runs `parts` in turns, `runs` times each, in rotating order; returns each part's total.
    private func interleave(_ parts: [@Sendable () async throws -> Double], runs: Int) async throws -> [Double] {
        var seconds = Array(repeating: 0.0, count: parts.count)
        for index in 0..<runs {
            for part in (0..<parts.count).map({ ($0 + index) % parts.count }) {
                seconds[part] += try await parts[part]()
            }
        }
        return seconds
    }

    /// `delay()` from `callers` tasks at once (over the producer pool's connections), with no
    /// worker waiting: no NOTIFY, whose lock would serialize the commits, so they share
    /// WAL flushes (group commit).
    private func concurrentDelayRate(callers: Int) async throws -> Double {
        let perCaller = max(50, settings.enqueueSingles / callers)
        let noop = tasks.noop
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask { for _ in 0..<perCaller { _ = try await noop.delay() } }
            }
            try await group.waitForAll()
        }
        let rate = Double(callers * perCaller) / (ContinuousClock.now - started).seconds
        try await app.purge()
        return rate
    }

    /// Tasks per second of one bulk enqueue of `bulkSize` no-op tasks, building the messages included.
    private func bulkEnqueueRate() async throws -> Double {
        let started = ContinuousClock.now
        let messages = try (0..<settings.bulkSize).map { _ in try tasks.noop.message() }
        try await app.enqueue(messages)
        return Double(settings.bulkSize) / (ContinuousClock.now - started).seconds
    }

    // MARK: - Drain

    /// Drains `count` tasks. With `keepResults`, finished tasks already in `results` stay
    /// (the history measurement) and only the new ones are counted.
    /// The tasks waiting when a drain starts: `count` due ones spread round-robin over
    /// `queues` and `priorities` (0 up to one less), and `scheduled` more due in an hour,
    /// which must not be claimed nor slow the claims. With `measured`, the drain is timed over
    /// its first `measured` tasks and the rest purged.
    struct Backlog {
        var count: Int
        var queues = ["bench"]
        var priorities = 1
        var scheduled = 0
        var measured: Int?
    }

    private func measureDrain(
        task: String,
        count: Int,
        workers: Int,
        concurrency: Int,
        keepResults: Bool = false,
        events: Bool = false
    ) async throws -> DrainFigure {
        try await measureDrain(
            task: task, backlog: Backlog(count: count), workers: workers, concurrency: concurrency, keepResults: keepResults,
            events: events)
    }

    private func measureDrain(
        task: String,
        backlog: Backlog,
        workers: Int,
        concurrency: Int,
        keepResults: Bool = false,
        events: Bool = false
    ) async throws -> DrainFigure {
        try await app.purge()
        if !keepResults { try await execute("TRUNCATE \(schema).results") }
        let since = try await scalar("SELECT extract(epoch FROM clock_timestamp())") ?? "0"
        try await execute("VACUUM ANALYZE \(schema).tasks")
        // Every drain starts a checkpoint cycle afresh, so none lands in one drain and not in
        // another: the first change to a page after a checkpoint writes the whole page to the
        // WAL, which costs a backlog spread over every page of the table a third of its rate.
        try await checkpoint()
        var sent = 0
        while sent < backlog.count + backlog.scheduled {
            let chunk = min(backlog.count + backlog.scheduled - sent, 10_000)
            let messages = try (sent..<(sent + chunk)).map { index in
                let due = index < backlog.count
                let options = CallOptions(
                    countdown: due ? nil : .seconds(3_600), queue: backlog.queues[index % backlog.queues.count],
                    priority: (index / backlog.queues.count) % backlog.priorities)
                return try app.message(task: task, args: "[]", options: options)
            }
            try await app.enqueue(messages)
            sent += chunk
        }
        let target = min(backlog.measured ?? backlog.count, backlog.count)
        let postgresBefore = ProcessStats.postgresCPUSeconds()
        let pool = try WorkerProcesses(
            count: workers, concurrency: concurrency, url: url, schema: schema, queues: backlog.queues, events: events)
        defer { pool.stop() }
        try await pool.waitUntilReady(timeout: .seconds(30))
        let idleRSS = pool.memory().map(\.rss).max() ?? 0
        let deadline = ContinuousClock.now + .seconds(600)
        // Polls the small queue table, not `results`: counting the finished rows every 50 ms
        // took 20 to 60 ms of the database's two cores each time, a third of a measured
        // drain's rate. A measured drain watches the statistics' count of deleted tasks (each
        // completion deletes its task; flushed within a second), then counts exactly once.
        let due = "SELECT count(*) FROM (SELECT 1 FROM \(schema).tasks WHERE run_at <= now() LIMIT 1) AS t"
        let finished = "SELECT count(*) FROM \(schema).results WHERE finished_at > to_timestamp($1)"
        let deleted = "SELECT n_tup_del FROM pg_stat_user_tables WHERE relid = '\(schema).tasks'::regclass"
        let deletedBefore = try await countRows(deleted)
        if backlog.measured != nil { progress("  draining") }
        func running() async throws -> Bool {
            if backlog.measured == nil { return try await countRows(due) > 0 }
            if try await countRows(deleted) - deletedBefore < target { return true }
            return try await countRows(finished, [since]) < target
        }
        while try await running() {
            guard ContinuousClock.now < deadline else { throw BenchError("drain of \(target) tasks did not finish in 10 minutes") }
            try pool.checkAlive()
            try await Task.sleep(for: .milliseconds(backlog.measured == nil ? 20 : 50))
        }
        let workerCPU = pool.cpuSeconds()
        let peakRSS = pool.memory().map(\.peak).max() ?? 0
        let postgresAfter = ProcessStats.postgresCPUSeconds()
        pool.stop()
        // The first `target` to finish, from the first claim.
        let elapsed =
            try await scalar(
                """
                SELECT extract(epoch FROM max(f.finished_at) - min(f.started_at)) FROM (
                    SELECT finished_at, started_at FROM \(schema).results WHERE finished_at > to_timestamp($1)
                    ORDER BY finished_at LIMIT $2) AS f
                """,
                [since, String(target)]
            ).flatMap(Double.init) ?? .nan
        let failed = try await countRows(
            "SELECT count(*) FROM \(schema).results WHERE state <> 'succeeded' AND finished_at > to_timestamp($1)", [since]
        )
        guard failed == 0 else { throw BenchError("\(failed) benchmark tasks did not succeed") }
        if backlog.scheduled > 0 {
            let ran = try await countRows(finished, [since])
            guard ran == backlog.count else { throw BenchError("\(ran - backlog.count) scheduled tasks ran before they were due") }
        }
        try await app.purge()
        return DrainFigure(
            workers: workers, concurrency: concurrency, tasks: target, seconds: elapsed,
            workerCPUPer10k: workerCPU / Double(target) * 10_000,
            postgresCPUPer10k: postgresBefore.flatMap { before in postgresAfter.map { ($0 - before) / Double(target) * 10_000 } },
            idleRSS: idleRSS, peakRSS: peakRSS
        )
    }

    // MARK: - Latency

    /// Enqueues probes one at a time and reads, for each, claim time minus insert time
    /// (both on the database clock), optionally with a steady background load.
    private func measureLatency(backgroundRate: Int) async throws -> LatencyFigure {
        try await app.purge()
        try await execute("TRUNCATE \(schema).results")
        let pool = try WorkerProcesses(count: 1, concurrency: 64, url: url, schema: schema)
        defer { pool.stop() }
        try await pool.waitUntilReady(timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(300))

        let background: Task<Void, Error>? =
            backgroundRate > 0
            ? Task { [app] in
                // 10 tasks every 10 ms in one statement each.
                let start = ContinuousClock.now
                var sent = 0
                while !Task.isCancelled {
                    let messages = try (0..<10).map { _ in
                        try app.message(task: "bench.noop", args: "[]", options: CallOptions(queue: "bench", priority: 0))
                    }
                    try await app.enqueue(messages)
                    sent += 10
                    let due = start + .milliseconds(sent * 1000 / backgroundRate)
                    let wait = due - ContinuousClock.now
                    if wait > .zero { try await Task.sleep(for: wait) }
                }
            } : nil
        if background != nil { try await Task.sleep(for: .seconds(1)) }

        // Each probe notes the wall clock just before its enqueue call and just after it
        // returns; the task returns the moment its body started (same machine, same clock).
        var ids: [String] = []
        var calls: [String: (before: Double, after: Double)] = [:]
        for _ in 0..<settings.latencyProbes {
            let message = try tasks.stamp.message(options: CallOptions(queue: "bench"))
            let before = Date().timeIntervalSince1970
            try await app.enqueue(message)
            calls[message.id.celeryString] = (before, Date().timeIntervalSince1970)
            ids.append(message.id.celeryString)
            try await Task.sleep(for: .milliseconds(4))
        }
        background?.cancel()
        _ = try? await background?.value
        let probes = SQLText.arrayLiteral(strings: ids)
        let deadline = ContinuousClock.now + .seconds(60)
        while try await countRows("SELECT count(*) FROM \(schema).results WHERE id = ANY($1::uuid[])", [probes]) < ids.count {
            guard ContinuousClock.now < deadline else { throw BenchError("latency probes did not finish") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let rows = try await app.pool.run { [schema] connection in
            let rows = try connection.execute(
                """
                SELECT id::text, extract(epoch FROM started_at - created_at) * 1000, result::text::float8
                FROM \(schema).results WHERE id = ANY($1::uuid[])
                """,
                [probes]
            )
            return (0..<rows.rowCount).compactMap { row -> (String, Double, Double)? in
                guard let id = rows.string(row, 0), let database = rows.double(row, 1), let started = rows.double(row, 2) else {
                    return nil
                }
                return (id, database, started)
            }
        }
        var fromCall: [Double] = []
        var fromReturn: [Double] = []
        for (id, _, started) in rows {
            guard let call = calls[id] else { continue }
            fromCall.append((started - call.before) * 1000)
            fromReturn.append((started - call.after) * 1000)
        }
        return LatencyFigure(
            database: Spread(rows.map(\.1)), fromCall: Spread(fromCall), fromReturn: Spread(fromReturn), samples: rows.count)
    }

    // MARK: - History

    /// Fills `table` (shaped like `results`) with `rows` finished tasks an hour old, in the
    /// steady state a live system keeps it in: vacuumed, analyzed, BRIN ranges summarized.
    private func fillHistory(table: String, rows: Int) async throws {
        try await execute(
            """
            INSERT INTO \(schema).\(table) (id, name, queue, state, result, attempt, created_at, started_at, finished_at, runtime)
            SELECT \(schema).uuid_v7(), 'bench.noop', 'bench', 'succeeded', '0', 1,
                   now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour', 0.0001
            FROM generate_series(1, $1)
            """,
            [String(rows)]
        )
        try await execute("VACUUM ANALYZE \(schema).\(table)")
        try await execute(
            """
            SELECT brin_summarize_new_values(i.indexrelid) FROM pg_index AS i
            JOIN pg_class AS c ON c.oid = i.indexrelid JOIN pg_am AS am ON am.oid = c.relam
            WHERE i.indrelid = '\(schema).\(table)'::regclass AND am.amname = 'brin'
            """)
    }

    // MARK: - Helpers

    private func resetSchema() async throws {
        try await execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        try await app.migrate()
    }

    private func execute(_ sql: String, _ parameters: [String?] = []) async throws {
        try await app.pool.run { connection in try connection.execute(sql, parameters) }
    }

    private func executeScript(_ sql: String) async throws {
        try await app.pool.run { connection in try connection.executeScript(sql) }
    }

    private func scalar(_ sql: String, _ parameters: [String?] = []) async throws -> String? {
        try await app.pool.run { connection in try connection.execute(sql, parameters).scalar }
    }

    private func countRows(_ sql: String, _ parameters: [String?] = []) async throws -> Int {
        Int(try await scalar(sql, parameters) ?? "0") ?? 0
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("bench: \(text)…\n".utf8))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
