import CeleriacPostgres
import Foundation
import Logging
import Synchronization

/// The periodic-task scheduler (`celeriac beat`, or `worker -B`).
///
/// Any number of beat processes may run: each computes the same tick times from
/// `<schema>.periodic_tasks` and inserts `(schedule, tick)` into `periodic_ticks` together
/// with the task, in one statement; the primary key lets exactly one of them enqueue each
/// tick. Schedule edits made with SQL are picked up at once (a trigger NOTIFYs beat) or at
/// the latest after ``maxSleep``.
///
/// ```swift
/// try await Beat(app: app).run()   // until SIGTERM
/// ```
public final class Beat: Sendable {
    /// What one pass did.
    public struct Pass: Sendable {
        /// Ticks this process enqueued.
        public var enqueued: Int = 0
        /// Ticks another beat had already enqueued.
        public var alreadyEnqueued: Int = 0
        /// The earliest next tick (database clock), if any schedule fires again.
        public var next: Date?
        /// The database's time when the pass ran.
        public var now: Date = Date()
    }

    /// The app (schema, default queue, routes, code-defined schedule).
    public let app: CeleriacApp
    /// Who this beat is, for leader election of maintenance.
    public let instanceID: String
    /// The longest a beat sleeps between passes.
    public let maxSleep: Duration
    /// Whether start-up sync overwrites schedule rows edited with SQL or the CLI.
    public let overwriteSchedule: Bool
    private let logger = Logger(label: "Beat")
    private let stopping = Mutex(false)
    private let wakeup: WakeupPipe

    public init(app: CeleriacApp, maxSleep: Duration = .seconds(5), overwriteSchedule: Bool = false) throws {
        self.app = app
        self.maxSleep = maxSleep
        self.overwriteSchedule = overwriteSchedule
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        instanceID = "beat@\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier).\(suffix)"
        wakeup = try WakeupPipe()
    }

    /// Enqueues every tick due at `now` (default: the database clock) and records the next
    /// run of each schedule. Safe to run from several processes at once.
    public func runOnce(on connection: Connection, now injected: Date? = nil) throws -> Pass {
        let conf = app.conf
        let schema = conf.schema
        let rows = try connection.execute(
            """
            SELECT name, task, cron, interval_seconds, time_zone, misfire_policy,
                   extract(epoch FROM last_run_at), extract(epoch FROM created_at), last_error,
                   extract(epoch FROM now()), extract(epoch FROM next_run_at)
            FROM \(schema).periodic_tasks WHERE enabled
            """,
            name: "load schedules"
        )
        var pass = Pass()
        guard rows.rowCount > 0 else {
            pass.now = injected ?? Date()
            return pass
        }
        let now = injected ?? Date(timeIntervalSince1970: rows.double(0, 9) ?? Date().timeIntervalSince1970)
        pass.now = now
        let channel = "\(schema).tasks"
        for row in 0..<rows.rowCount {
            let name = rows.string(row, 0) ?? ""
            let task = rows.string(row, 1) ?? ""
            let created = Date(timeIntervalSince1970: rows.double(row, 7) ?? now.timeIntervalSince1970)
            let schedule: Schedule
            do {
                if let cron = rows.string(row, 2) {
                    schedule = try Schedule.crontab(cron, timeZone: rows.string(row, 4) ?? "UTC")
                } else {
                    schedule = try Schedule.every(.fromSeconds(rows.double(row, 3) ?? 0), anchor: created)
                }
            } catch {
                let message = "\(error)"
                if rows.string(row, 8) != message {
                    logger.error("periodic task '\(name)' cannot be scheduled: \(message)")
                    try connection.execute(
                        "UPDATE \(schema).periodic_tasks SET last_error = $2 WHERE name = $1", [name, message]
                    )
                }
                continue
            }
            let policy = MisfirePolicy(rawValue: rows.string(row, 5) ?? "once") ?? .once
            let lastTick = rows.double(row, 6).map(Date.init(timeIntervalSince1970:)) ?? created
            let grace: Duration
            if let interval = rows.double(row, 3) { grace = .fromSeconds(min(60, max(2, interval))) } else { grace = .seconds(60) }
            let (due, next) = policy.dueTicks(for: schedule, lastTick: lastTick, now: now, grace: grace)
            let queue = conf.queue(forTask: task)
            for tick in due {
                let result: QueryResult
                do {
                    result = try connection.execute(
                        Self.tickStatement(schema: schema),
                        [
                            name, String(tick.timeIntervalSince1970), UUID.v7().celeryString, queue, channel,
                            next.map { String($0.timeIntervalSince1970) },
                        ]
                    )
                } catch let error as PostgresError where !error.isConnectionProblem {
                    // E.g. the schedule was deleted meanwhile: skip it, keep the others going.
                    logger.error("periodic task '\(name)': tick \(Self.format(tick)) not enqueued: \(error)")
                    continue
                }
                if result.int(0, 0) == 1 {
                    pass.enqueued += 1
                    logger.info("Scheduler: Sending due task \(name) (\(task)) for tick \(Self.format(tick))")
                } else {
                    pass.alreadyEnqueued += 1
                }
            }
            let recordedNext = rows.double(row, 10)
            if due.isEmpty, let next, recordedNext.map({ abs($0 - next.timeIntervalSince1970) > 0.0005 }) ?? true {
                try connection.execute(
                    "UPDATE \(schema).periodic_tasks SET next_run_at = to_timestamp($2) WHERE name = $1",
                    [name, String(next.timeIntervalSince1970)]
                )
            }
            if let next { pass.next = min(pass.next ?? next, next) }
        }
        return pass
    }

    /// Runs passes until ``stop()`` or a shutdown signal: syncs the code-defined schedule
    /// first, then sleeps until the next tick, a schedule change, or ``maxSleep``.
    public func run(handleSignals: Bool = true) async throws {
        let conf = app.conf
        try conf.validate()
        let url = try DatabaseURL(conf.databaseURL)
        let signals = handleSignals ? ShutdownSignals { [weak self] _ in self?.stop() } : nil
        defer { signals?.cancel() }
        let setup = DatabaseThread(url: url, name: "celeriac-beat-setup", reconnectTimeout: .seconds(30))
        defer { setup.shutdown() }
        let migrator = Migrator(schema: conf.schema)
        let store = ScheduleStore(schema: conf.schema)
        let (definitions, overwrite) = (conf.beatSchedule, overwriteSchedule)
        let written = try await setup.run { connection -> Int in
            try migrator.verify(on: connection)
            return try store.sync(definitions, overwrite: overwrite, on: connection)
        }
        logger.info("beat: Starting... (\(definitions.count) schedule(s) in code, \(written) written)")
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                self.loop(url: url)
                continuation.resume()
            }
            thread.name = "celeriac-beat"
            thread.start()
        }
    }

    /// Stops ``run(handleSignals:)`` after the current pass.
    public func stop() {
        stopping.withLock { $0 = true }
        wakeup.signal()
    }

    private func loop(url: DatabaseURL) {
        let schema = app.conf.schema
        let maintenance = Maintenance(configuration: app.conf, holder: instanceID)
        var connection: Connection?
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        var nextMaintenance = ContinuousClock.now
        while !stopping.withLock({ $0 }) {
            do {
                let live: Connection
                if let connection, connection.isConnected {
                    live = connection
                } else {
                    live = try Connection(url: url, applicationName: "celeriac-beat", sessionSetup: Consumer.sessionSetup)
                    try live.listen("\(schema).schedules")
                    connection = live
                    backoff.reset()
                }
                let pass = try runOnce(on: live)
                if ContinuousClock.now >= nextMaintenance {
                    try maintenance.runOnce(on: live)
                    nextMaintenance = ContinuousClock.now + maintenance.interval
                }
                var sleep = maxSleep
                if let next = pass.next { sleep = min(sleep, .fromSeconds(max(0, next.timeIntervalSince(pass.now)) + 0.001)) }
                _ = try live.wait(timeout: sleep, wakeup: wakeup)
            } catch {
                logger.error("beat: \(error)")
                if let current = connection, !current.isConnected { connection = nil }
                Thread.sleep(forTimeInterval: backoff.next().seconds)
            }
        }
        connection?.close()
        logger.info("beat: stopped")
    }

    /// Inserts the tick, and the task only if the tick was new; records the run.
    /// $1 schedule, $2 tick (epoch), $3 task id, $4 queue when the schedule names none,
    /// $5 NOTIFY channel, $6 next tick (epoch).
    static func tickStatement(schema s: String) -> PreparedStatement {
        PreparedStatement(
            name: "celeriac_\(s)_beat_tick",
            sql: """
                WITH tick AS (
                    INSERT INTO \(s).periodic_ticks (schedule, tick, task_id)
                    VALUES ($1, to_timestamp($2::float8), $3)
                    ON CONFLICT DO NOTHING
                    RETURNING task_id
                ),
                task AS (
                    INSERT INTO \(s).tasks (id, name, queue, priority, args, kwargs, options)
                    SELECT tick.task_id, p.task, coalesce(p.queue, $4), coalesce(p.priority, 0), p.args, p.kwargs,
                           jsonb_build_object('periodic_task', p.name)
                    FROM tick JOIN \(s).periodic_tasks AS p ON p.name = $1
                    RETURNING queue
                ),
                recorded AS (
                    UPDATE \(s).periodic_tasks
                    SET last_run_at = greatest(coalesce(last_run_at, to_timestamp($2::float8)), to_timestamp($2::float8)),
                        total_run_count = total_run_count + 1,
                        next_run_at = to_timestamp($6::float8),
                        last_error = NULL
                    WHERE name = $1 AND EXISTS (SELECT 1 FROM tick)
                )
                SELECT (SELECT count(*) FROM tick), (SELECT count(*) FROM (SELECT pg_notify($5, queue) FROM task) AS n)
                """
        )
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
