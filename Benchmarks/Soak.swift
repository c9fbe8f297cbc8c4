import Celeriac
import CeleriacPostgres
import Foundation
import Synchronization

/// `celeriac bench --soak` (`make soak`): a long run under steady load, with pruning on, that
/// shows whether anything drifts. Workers record task events (-E). Producers enqueue mixed tasks (no-ops, 10 ms sleeps, and
/// tasks that retry once) at a steady rate, or as fast as the workers drain (rate 0: the queue
/// is topped up); beat enqueues a periodic task every 5 s. Every `every` it reports throughput,
/// pickup p50/p99, the rows and size on disk of results, events and tasks (with dead rows), the
/// workers' RSS and the PostgreSQL connections in use; at the end, whether results stayed
/// within 1.2 × result_expires × rate, whether their size grew after the first expiry period,
/// the RSS drift after warm-up, and the latency trend.
struct Soak {
    struct Settings {
        var minutes = 20.0
        var every: Duration = .seconds(60)
        /// Tasks per second; 0: as fast as the workers drain.
        var rate = 2_000
        var workers = 2
        var concurrency = 64
        var resultExpires = 60
        /// Samples before this are warm-up: left out of the drift and trend verdicts.
        var warmUp: Duration = .seconds(120)
        /// Another session holds a transaction open this long (holding back vacuum), from
        /// ``holdAt`` into the run, as an application's forgotten transaction would.
        var holdTransaction: Duration?
        var holdAt: Duration = .seconds(120)
    }

    struct Sample {
        var at: Double
        var finishedPerSecond: Double
        var pickupP50: Double
        var pickupP99: Double
        var resultsRows: Int
        var resultsMiB: Double
        var eventsRows: Int
        var eventsMiB: Double
        var tasksLive: Int
        var tasksDead: Int
        var workerRSS: Double
        var connections: Int
        /// Whether the held transaction was open at some point of the interval.
        var holding = false
    }

    let app: CeleriacApp
    let url: DatabaseURL
    let settings: Settings
    var schema: String { app.conf.schema }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("soak: \(text)\n".utf8))
    }

    func run() async throws -> [String: Any] {
        progress(
            "\(settings.minutes) min, rate \(settings.rate == 0 ? "as fast as drained" : "\(settings.rate)/s"), result_expires \(settings.resultExpires) s"
        )
        _ = try await app.migrate()
        let tasks = BenchTasks(app: app)
        try await execute("TRUNCATE \(schema).results, \(schema).tasks, \(schema).events, \(schema).task_stats")
        try await execute("DELETE FROM \(schema).workers")
        try await execute("DELETE FROM \(schema).periodic_tasks")
        try await execute(
            "INSERT INTO \(schema).periodic_tasks (name, task, queue, interval_seconds, next_run_at) VALUES ('soak', 'bench.noop', 'bench', 5, now())"
        )
        let environment = [
            "CELERIAC_RESULT_EXPIRES": String(settings.resultExpires), "CELERIAC_MAINTENANCE_INTERVAL": "1",
        ]
        // With task events (-E), so that the events table is written, and pruned, as in production.
        let pool = try WorkerProcesses(
            count: settings.workers, concurrency: settings.concurrency, url: url, schema: schema, events: true,
            environment: environment)
        defer { pool.stop() }
        let beat = try BeatProcess(url: url, schema: schema, environment: environment)
        defer { beat.stop() }
        try await pool.waitUntilReady(timeout: .seconds(30))

        let producerError = Mutex<(any Error)?>(nil)
        let producer = Task {
            do { try await produce(tasks) } catch is CancellationError {} catch { producerError.withLock { $0 = error } }
        }
        defer { producer.cancel() }
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int64(settings.minutes * 60_000))
        let held = settings.holdTransaction.map { duration in
            (from: start + settings.holdAt, until: start + settings.holdAt + duration)
        }
        let holder = DatabaseThread(url: url, name: "soak-held-transaction")
        defer { holder.shutdown() }
        if let held, let duration = settings.holdTransaction {
            Task {
                try await Task.sleep(until: held.from, clock: .continuous)
                progress("a transaction is held open for \(duration.seconds) s")
                _ = try? await holder.run { connection in
                    try connection.execute("BEGIN")
                    try connection.execute("SELECT txid_current()")
                    try connection.execute("SELECT pg_sleep($1)", [String(duration.seconds)])
                    try connection.execute("COMMIT")
                }
                progress("the held transaction has ended")
            }
        }
        var samples: [Sample] = []
        var lastFinished = try await finishedTotal()
        var lastTime = ContinuousClock.now
        print("   min    done/s  pickup p50/p99 ms   results rows/MiB    events rows/MiB   tasks live/dead   RSS MiB  conns")
        while ContinuousClock.now < end {
            try await Task.sleep(until: min(end, ContinuousClock.now + settings.every), clock: .continuous)
            try pool.checkAlive()
            if let failure = producerError.withLock({ $0 }) { throw failure }
            let now = ContinuousClock.now
            let finished = try await finishedTotal()
            let sample = try await self.sample(
                at: (now - start).seconds, finishedPerSecond: Double(finished - lastFinished) / (now - lastTime).seconds,
                rss: pool.memory().map(\.rss).max() ?? 0)
            var marked = sample
            if let held { marked.holding = lastTime < held.until && now > held.from }
            (lastFinished, lastTime) = (finished, now)
            samples.append(marked)
            print(
                String(
                    format: "%6.1f %9.0f %8.1f / %-8.1f %10d / %-7.1f %8d / %-6.1f %8d / %-7d %8.1f %6d%@", sample.at / 60,
                    sample.finishedPerSecond, sample.pickupP50, sample.pickupP99, sample.resultsRows, sample.resultsMiB,
                    sample.eventsRows, sample.eventsMiB, sample.tasksLive, sample.tasksDead, sample.workerRSS, sample.connections,
                    marked.holding ? "  (transaction held)" : ""))
        }
        producer.cancel()
        return verdicts(samples)
    }

    /// The figures and verdicts of a run.
    func verdicts(_ samples: [Sample]) -> [String: Any] {
        var figures: [String: Any] = [
            "minutes": settings.minutes, "rate": settings.rate, "result_expires_s": settings.resultExpires,
            "workers": settings.workers, "concurrency": settings.concurrency,
            "samples": samples.map { sample -> [String: Any] in
                [
                    "at_s": sample.at, "finished_per_s": sample.finishedPerSecond.rounded(), "pickup_p50_ms": sample.pickupP50,
                    "pickup_p99_ms": sample.pickupP99, "results_rows": sample.resultsRows, "results_mib": sample.resultsMiB,
                    "events_rows": sample.eventsRows, "events_mib": sample.eventsMiB, "tasks_live": sample.tasksLive,
                    "tasks_dead": sample.tasksDead, "worker_rss_mib": sample.workerRSS, "connections": sample.connections,
                    "transaction_held": sample.holding,
                ]
            },
        ]
        let warm = samples.filter { $0.at >= settings.warmUp.seconds }
        let rate = warm.isEmpty ? 0 : warm.map(\.finishedPerSecond).reduce(0, +) / Double(warm.count)
        let settled = samples.filter { $0.at >= Double(settings.resultExpires) * 1.5 }
        if let first = settled.first, let last = settled.last, rate > 0 {
            let peak = settled.map(\.resultsRows).max() ?? 0
            let bound = Double(settings.resultExpires) * rate
            figures["results_peak_rows"] = peak
            figures["results_peak_ratio_to_expires_x_rate"] = (Double(peak) / bound * 1000).rounded() / 1000
            figures["results_mib_growth_after_first_expiry"] = ((last.resultsMiB - first.resultsMiB) * 10).rounded() / 10
            figures["events_mib_growth_after_first_expiry"] = ((last.eventsMiB - first.eventsMiB) * 10).rounded() / 10
            print(
                String(
                    format: "results: at most %d rows, %.2f x result_expires x rate (%.0f/s); size %.1f -> %.1f MiB after the first expiry",
                    peak, Double(peak) / bound, rate, first.resultsMiB, last.resultsMiB))
        }
        if let first = warm.first, let last = warm.last {
            figures["worker_rss_drift_mib"] = ((last.workerRSS - first.workerRSS) * 10).rounded() / 10
            let third = max(1, warm.count / 3)
            let early = warm.prefix(third).map(\.pickupP99).reduce(0, +) / Double(third)
            let late = warm.suffix(third).map(\.pickupP99).reduce(0, +) / Double(third)
            figures["pickup_p99_first_third_ms"] = (early * 10).rounded() / 10
            figures["pickup_p99_last_third_ms"] = (late * 10).rounded() / 10
            figures["finished_per_s"] = rate.rounded()
            print(
                String(
                    format:
                        "worker RSS %.1f -> %.1f MiB after warm-up (drift %.1f); pickup p99 %.1f ms in the first third, %.1f in the last",
                    first.workerRSS, last.workerRSS, last.workerRSS - first.workerRSS, early, late))
        }
        let holding = samples.filter(\.holding)
        if let firstHeld = holding.first, let lastHeld = holding.last {
            // The baseline: the samples before the hold, after warm-up when there are any (a
            // hold placed inside the warm-up leaves only the first sample out).
            let unheld = samples.filter { $0.at < firstHeld.at && !$0.holding }
            let warmBefore = unheld.filter { $0.at >= settings.warmUp.seconds }
            let before = warmBefore.isEmpty ? Array(unheld.dropFirst()) : warmBefore
            let after = samples.filter { $0.at > lastHeld.at }
            func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
            let ratio = mean(holding.map(\.finishedPerSecond)) / max(mean(before.map(\.finishedPerSecond)), 1)
            let baselineDead = before.map(\.tasksDead).max() ?? 0
            let recovered = after.first { $0.tasksDead <= max(baselineDead, 1_000) }
            figures["held_drain_ratio"] = (ratio * 1000).rounded() / 1000
            figures["held_pickup_p99_ms"] = holding.map(\.pickupP99).max() ?? 0
            figures["held_dead_before"] = baselineDead
            figures["held_dead_peak"] = holding.map(\.tasksDead).max() ?? 0
            figures["held_recovery_s"] = recovered.map { ($0.at - lastHeld.at).rounded() } ?? -1
            print(
                String(
                    format:
                        "held transaction: throughput %.2fx of before it, pickup p99 up to %.1f ms, dead rows in tasks %d before, up to %d during, back within %@ after",
                    ratio, holding.map(\.pickupP99).max() ?? 0, baselineDead, holding.map(\.tasksDead).max() ?? 0,
                    recovered.map { String(format: "%.0f s", $0.at - lastHeld.at) } ?? "the run"))
        }
        return figures
    }

    /// Enqueues mixed tasks at the steady rate, or keeps the queue topped up.
    private func produce(_ tasks: BenchTasks) async throws {
        var sent = 0
        func batch(_ count: Int) throws -> [TaskMessage] {
            try (0..<count).map { _ in
                sent += 1
                let name =
                    switch sent % 20 {
                    case 0: "bench.sleep"
                    case 10: "bench.flaky"
                    default: "bench.noop"
                    }
                return try app.message(task: name, args: "[]", options: CallOptions(queue: "bench"))
            }
        }
        if settings.rate == 0 {
            while !Task.isCancelled {
                let waiting = try await count(
                    "SELECT count(*) FROM (SELECT 1 FROM \(schema).tasks WHERE state = 'queued' LIMIT 20000) AS t")
                if waiting < 20_000 { try await app.enqueue(try batch(10_000)) }
                try await Task.sleep(for: .milliseconds(100))
            }
            return
        }
        // Fifty batches a second, each sent at its time, so the rate holds whatever the enqueue
        // costs and a batch does not queue behind itself for long.
        let tick = Duration.milliseconds(20)
        var next = ContinuousClock.now
        var owed = 0.0
        while !Task.isCancelled {
            owed += Double(settings.rate) / 50
            let count = Int(owed)
            owed -= Double(count)
            if count > 0 { try await app.enqueue(try batch(count)) }
            next += tick
            try await Task.sleep(until: next, clock: .continuous)
        }
    }

    private func finishedTotal() async throws -> Int {
        try await count("SELECT coalesce(sum(succeeded + failed + retried), 0) FROM \(schema).workers")
    }

    private func sample(at: Double, finishedPerSecond: Double, rss: Double) async throws -> Sample {
        let window = settings.every.seconds
        let pickup = try await app.pool.run { [schema] connection -> [Double] in
            let result = try connection.execute(
                """
                SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY w), 0), coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY w), 0)
                FROM (SELECT extract(epoch FROM started_at - created_at) * 1000 AS w FROM \(schema).results
                      WHERE finished_at > now() - make_interval(secs => $1) AND name <> 'bench.flaky') AS r
                """, [String(window)])
            return [result.double(0, 0) ?? 0, result.double(0, 1) ?? 0]
        }
        let mib = 1_048_576.0
        return Sample(
            at: at, finishedPerSecond: finishedPerSecond, pickupP50: pickup[0], pickupP99: pickup[1],
            resultsRows: try await count("SELECT count(*) FROM \(schema).results"),
            resultsMiB: Double(
                try await count(
                    "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('\(schema).results')"))
                / mib,
            eventsRows: try await count("SELECT count(*) FROM \(schema).events"),
            eventsMiB: Double(
                try await count(
                    "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('\(schema).events')"))
                / mib,
            tasksLive: try await count("SELECT pg_stat_get_live_tuples('\(schema).tasks'::regclass)"),
            tasksDead: try await count("SELECT pg_stat_get_dead_tuples('\(schema).tasks'::regclass)"),
            workerRSS: rss,
            connections: try await count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"))
    }

    private func count(_ sql: String) async throws -> Int {
        try await app.pool.run { connection in try connection.execute(sql).int(0, 0) ?? 0 }
    }

    private func execute(_ sql: String) async throws {
        _ = try await app.pool.run { connection in try connection.execute(sql) }
    }
}

/// `celeriac beat` for the soak's periodic task.
final class BeatProcess {
    private let process = Process()

    init(url: DatabaseURL, schema: String, environment extra: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["beat", "--schema", schema, "--loglevel", "WARNING"]
        var environment = ProcessInfo.processInfo.environment
        environment["CELERIAC_DATABASE_URL"] = url.rawValue
        environment.merge(extra) { _, given in given }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}
