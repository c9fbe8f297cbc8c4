import Foundation

/// One drain measurement.
struct DrainFigure {
    var workers: Int
    var concurrency: Int
    var tasks: Int
    /// First claim to last completion, on the database clock.
    var seconds: Double
    var workerCPUPer10k: Double
    var postgresCPUPer10k: Double?
    var idleRSS: Double
    var peakRSS: Double
    var rate: Double { Double(tasks) / seconds }
}

/// Drains of relaxed-durability tasks beside durable ones, in one configuration.
struct DurabilityFigure {
    var workers: Int
    var concurrency: Int
    var relaxed: Double
    var durable: Double
    /// The median of the paired rounds' ratios.
    var ratio: Double
}

/// Drains from deep backlogs, each against the shallow one of the same run.
struct DepthFigures {
    /// One deep case: its drain rate and its ratio to the shallow drain made just before it,
    /// each the median over the paired rounds.
    struct Case {
        var key: String
        var label: String
        var rate: Double
        var ratio: Double
    }

    /// The shallow drains (100,000 waiting in one queue): their median rate.
    var shallowTasks: Int
    var shallowRate: Double
    /// Rounds of (shallow drain, deep drain) per case.
    var rounds: Int
    var cases: [Case]
}

/// Percentiles of a set of milliseconds.
struct Spread {
    var p50: Double
    var p99: Double
    var max: Double

    init(_ values: [Double]) {
        let percentiles = Percentiles(values)
        p50 = percentiles.value(50)
        p99 = percentiles.value(99)
        max = percentiles.max
    }

    var text: String { String(format: "%.2f / %.2f / %.2f ms", p50, p99, max) }
}

/// Pickup latency of one set of probes.
struct LatencyFigure {
    /// Claim time minus insert time, database clock.
    var database: Spread
    /// Task body start minus the producer's clock just before the enqueue call, and just
    /// after it returned: the peers' harness's two measures (bench/peers).
    var fromCall: Spread
    var fromReturn: Spread
    var samples: Int
}

/// Every figure of one `celeriac bench` run, with ratios to the raw-SQL ceiling.
struct BenchReport {
    var cores = 0
    var postgresVersion = ""
    var rawSingleInsert = 0.0
    /// Raw single inserts awaited one at a time from async code: the ceiling with the
    /// async hand-over that every `delay()` also pays.
    var rawSingleInsertAwaited = 0.0
    var rawBulkInsert = 0.0
    var rawClaimComplete = 0.0
    var singleDelay = 0.0
    var bulkEnqueue = 0.0
    var sqlFunctionEnqueue = 0.0
    /// The raw single insert measured in the SQL function's own pass: its ceiling.
    var rawSingleInsertBesideSQL = 0.0
    /// delay() from 8 concurrent callers.
    var concurrentDelay = 0.0
    /// delay() of a unique task (a new key each call), and plain delay() in the same pass.
    var uniqueDelay = 0.0
    var plainDelayBesideUnique = 0.0
    var drains: [DrainFigure] = []
    var sleepDrain: DrainFigure?
    var idleLatency: LatencyFigure?
    var loadedLatency: LatencyFigure?
    var historyEmptyRate = 0.0
    var historyFullRate = 0.0
    /// Median over rounds of (drain with the history / drain without), each round's two
    /// drains run back to back.
    var historyRatio = 0.0
    /// Finished tasks present in the history measurement.
    var historyRows = 0
    /// Drains at 2x128 with task events recorded (-E) and without.
    var eventsOnRate = 0.0
    var eventsOffRate = 0.0
    /// Median over rounds of (drain with -E / drain without), each round's two drains back to back.
    var eventsRatio = 0.0
    /// Median milliseconds of each monitoring view, and the finished/waiting rows present.
    var viewTimings: [(String, Double)] = []
    var viewRows = (0, 0)
    /// p95 milliseconds of each dashboard route over HTTP, with the same rows present.
    var pageTimings: [(String, Double)] = []
    /// Drains from deep backlogs (the depth part).
    var depth: DepthFigures?
    /// A chord's members against a plain drain of as many tasks, and the body's delay (the
    /// canvas part).
    var chord: ChordFigure?
    /// A drain of tasks under a rate limit far above the drain rate, and its ratio to a plain
    /// drain of as many just before (median of paired rounds).
    var rateLimitedDrain = 0.0
    var rateLimitedRatio = 0.0
    /// Drains of relaxed-durability tasks and of durable ones, per configuration.
    var durability: [DurabilityFigure] = []

    var bestDrain: DrainFigure? { drains.max { $0.rate < $1.rate } }

    /// The figures as flat JSON numbers (the keys other tools read).
    var json: [String: Any] {
        var figures: [String: Any] = [
            "cores": cores,
            "postgres_version": postgresVersion,
            "raw_single_insert_per_s": rawSingleInsert.rounded(),
            "raw_single_insert_awaited_per_s": rawSingleInsertAwaited.rounded(),
            "single_enqueue_ratio_to_awaited_raw": round3(singleDelay / rawSingleInsertAwaited),
            "raw_bulk_insert_per_s": rawBulkInsert.rounded(),
            "raw_claim_complete_per_s": rawClaimComplete.rounded(),
            "single_enqueue_per_s": singleDelay.rounded(),
            "bulk_enqueue_per_s": bulkEnqueue.rounded(),
            "sql_function_enqueue_per_s": sqlFunctionEnqueue.rounded(),
            "raw_single_insert_beside_sql_per_s": rawSingleInsertBesideSQL.rounded(),
            "sql_function_enqueue_ratio": round3(sqlFunctionEnqueue / rawSingleInsertBesideSQL),
            "concurrent_enqueue_8_per_s": concurrentDelay.rounded(),
            "unique_enqueue_per_s": uniqueDelay.rounded(),
            "unique_enqueue_ratio": round3(uniqueDelay / plainDelayBesideUnique),
            "single_enqueue_ratio": round3(singleDelay / rawSingleInsert),
            "bulk_enqueue_ratio": round3(bulkEnqueue / rawBulkInsert),
            "history_claim_ratio": round3(historyRatio),
            "history_empty_drain_per_s": historyEmptyRate.rounded(),
            "history_full_drain_per_s": historyFullRate.rounded(),
            "history_rows": historyRows,
            "events_drain_per_s": eventsOnRate.rounded(),
            "no_events_drain_per_s": eventsOffRate.rounded(),
            "events_drain_ratio": round3(eventsRatio),
            "views_slowest_ms": round3(viewTimings.map(\.1).max() ?? 0),
            "dashboard_slowest_p95_ms": round3(pageTimings.map(\.1).max() ?? 0),
        ]
        if let best = bestDrain {
            figures["drain_best_per_s"] = best.rate.rounded()
            figures["drain_best_config"] = "\(best.workers)x\(best.concurrency)"
            figures["drain_ratio"] = round3(best.rate / rawClaimComplete)
        }
        for drain in drains {
            let key = "drain_w\(drain.workers)_c\(drain.concurrency)"
            figures["\(key)_per_s"] = drain.rate.rounded()
            figures["\(key)_worker_cpu_s_per_10k"] = round3(drain.workerCPUPer10k)
            if let postgres = drain.postgresCPUPer10k { figures["\(key)_postgres_cpu_s_per_10k"] = round3(postgres) }
        }
        let wide = drains.filter { $0.concurrency == 128 }
        figures["worker_peak_rss_mib"] = round3(wide.map(\.peakRSS).max() ?? 0)
        figures["worker_idle_rss_mib"] = round3(drains.map(\.idleRSS).max() ?? 0)
        if let sleep = sleepDrain {
            figures["sleep10ms_c200_per_s"] = sleep.rate.rounded()
            figures["sleep10ms_c200_overlap"] = round3(sleep.rate * 0.010 / 200)
        }
        for (key, latency) in [("pickup_idle", idleLatency), ("pickup_loaded", loadedLatency)] {
            guard let latency else { continue }
            for (suffix, spread) in [("", latency.database), ("_from_call", latency.fromCall), ("_from_return", latency.fromReturn)] {
                figures["\(key)\(suffix)_p50_ms"] = round3(spread.p50)
                figures["\(key)\(suffix)_p99_ms"] = round3(spread.p99)
                figures["\(key)\(suffix)_max_ms"] = round3(spread.max)
            }
        }
        for figure in durability {
            let key = "w\(figure.workers)_c\(figure.concurrency)"
            figures["relaxed_drain_\(key)_per_s"] = figure.relaxed.rounded()
            figures["durable_drain_\(key)_per_s"] = figure.durable.rounded()
            figures["relaxed_drain_\(key)_ratio"] = round3(figure.ratio)
        }
        if let chord {
            figures["chord_member_per_s"] = chord.memberRate.rounded()
            figures["chord_plain_drain_per_s"] = chord.plainRate.rounded()
            figures["chord_member_ratio"] = round3(chord.ratio)
            figures["chord_body_delay_ms"] = round3(chord.bodyDelayMilliseconds)
            figures["rate_limited_drain_per_s"] = rateLimitedDrain.rounded()
            figures["rate_limited_drain_ratio"] = round3(rateLimitedRatio)
        }
        if let depth {
            figures["depth_shallow_per_s"] = depth.shallowRate.rounded()
            for item in depth.cases {
                figures["\(item.key)_per_s"] = item.rate.rounded()
                figures["\(item.key)_ratio"] = round3(item.ratio)
            }
        }
        return figures
    }

    /// A human-readable table.
    var table: String {
        var lines: [String] = []
        func row(_ name: String, _ value: String, _ ratio: String = "") {
            lines.append(name.padding(toLength: 46, withPad: " ", startingAt: 0) + value.leftPadded(16) + "  " + ratio)
        }
        func rate(_ value: Double) -> String { String(format: "%.0f/s", value) }
        func times(_ value: Double) -> String { String(format: "%.2fx", value) }
        lines.append("Celeriac benchmark: \(cores) cores, PostgreSQL \(postgresVersion)")
        lines.append(String(repeating: "-", count: 80))
        row("raw SQL: insert, 1 row per transaction", rate(rawSingleInsert), "ceiling")
        row(
            "raw SQL: insert, 1 row/tx, awaited from async", rate(rawSingleInsertAwaited),
            times(rawSingleInsertAwaited / rawSingleInsert) + " of raw (the async hand-over)")
        row("raw SQL: insert, unnest of 10,000 rows", rate(rawBulkInsert), "ceiling")
        row("raw SQL: claim 100 + complete, 2 connections", rate(rawClaimComplete), "ceiling")
        row(
            "delay(), one task per transaction", rate(singleDelay),
            times(singleDelay / rawSingleInsert) + " of raw, " + times(singleDelay / rawSingleInsertAwaited) + " of awaited raw")
        row("bulk enqueue, 10,000 in one call", rate(bulkEnqueue), times(bulkEnqueue / rawBulkInsert) + " of raw")
        row(
            "SQL celeriac.enqueue(), single statements", rate(sqlFunctionEnqueue),
            times(sqlFunctionEnqueue / rawSingleInsertBesideSQL) + " of raw (\(rate(rawSingleInsertBesideSQL)) in its pass)")
        row("delay(), 8 callers at once", rate(concurrentDelay), times(concurrentDelay / rawSingleInsert) + " of raw (1 connection)")
        row(
            "delay() of a unique task, a new key each", rate(uniqueDelay),
            times(uniqueDelay / plainDelayBesideUnique) + " of plain delay() (\(rate(plainDelayBesideUnique)) in its pass)")
        for drain in drains {
            let cpu =
                String(format: "cpu/10k: worker %.2fs", drain.workerCPUPer10k)
                + (drain.postgresCPUPer10k.map { String(format: ", pg %.2fs", $0) } ?? "")
            row(
                "drain \(drain.tasks) no-op, \(drain.workers) worker x c=\(drain.concurrency)", rate(drain.rate),
                times(drain.rate / rawClaimComplete) + " of raw; " + cpu
            )
        }
        if let sleep = sleepDrain {
            row("10 ms sleep tasks, c=200", rate(sleep.rate), String(format: "overlap %.0f%%", sleep.rate * 0.010 / 200 * 100))
        }
        for (name, latency) in [("idle", idleLatency), ("at 1,000/s", loadedLatency)] {
            guard let latency else { continue }
            row("pickup latency \(name) p50 / p99 / max", latency.database.text, "database clock")
            row("  from before the enqueue call", latency.fromCall.text, "as bench-peers measures")
            row("  from its return", latency.fromReturn.text)
        }
        if let chord {
            row(
                "chord: \(chord.members.formatted()) no-op members (2x128)", rate(chord.memberRate),
                times(chord.ratio) + " of a plain drain of as many (median of \(chord.rounds) paired)")
            row("  last member to the body's start", String(format: "%.1f ms", chord.bodyDelayMilliseconds), "median")
            row(
                "drain under a rate limit of 1,000,000/s (2x128)", rate(rateLimitedDrain),
                times(rateLimitedRatio) + " of a plain drain (median of \(chord.rounds) paired)")
        }
        if let depth {
            row("drain \(depth.shallowTasks.formatted()) waiting, one queue (2x128)", rate(depth.shallowRate), "depth baseline")
            for item in depth.cases {
                row("  " + item.label, rate(item.rate), times(item.ratio) + " of the baseline (median of \(depth.rounds) paired)")
            }
        }
        for figure in durability {
            let config = "\(figure.workers)x\(figure.concurrency)"
            row("drain, durable (\(config))", rate(figure.durable))
            row(
                "drain, relaxed durability (\(config))", rate(figure.relaxed),
                times(figure.ratio) + " of durable (median of paired rounds)")
        }
        if eventsOffRate > 0 {
            row("drain without events (2x128)", rate(eventsOffRate))
            row("drain with -E (2x128)", rate(eventsOnRate), times(eventsRatio) + " of without (median of paired rounds)")
        }
        row("drain with empty history (1x128)", rate(historyEmptyRate))
        row(
            "drain with \(historyRows.formatted()) finished tasks (1x128)", rate(historyFullRate),
            times(historyRatio) + " of empty (median of paired rounds)")
        for (name, milliseconds) in viewTimings {
            row(
                "view \(name)", String(format: "%.1f ms", milliseconds),
                "\(viewRows.0.formatted()) finished, \(viewRows.1.formatted()) waiting")
        }
        for (path, milliseconds) in pageTimings {
            row("dashboard GET \(path.count > 40 ? String(path.prefix(40)) + "…" : path)", String(format: "%.1f ms", milliseconds), "p95")
        }
        let wide = drains.filter { $0.concurrency == 128 }
        row(
            "worker RSS idle / peak at c=128",
            String(format: "%.1f / %.1f MiB", drains.map(\.idleRSS).max() ?? 0, wide.map(\.peakRSS).max() ?? 0))
        return lines.joined(separator: "\n")
    }

    private func round3(_ value: Double) -> Double { value.isFinite ? (value * 1000).rounded() / 1000 : -1 }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// The canvas part: a chord's members drained beside a plain drain of as many tasks.
struct ChordFigure {
    var members: Int
    var rounds: Int
    /// Medians over the rounds.
    var memberRate: Double
    var plainRate: Double
    var ratio: Double
    var bodyDelayMilliseconds: Double
}
