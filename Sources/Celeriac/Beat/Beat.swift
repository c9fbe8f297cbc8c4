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
        let sql = SchemaSQL(schema: conf.schema)
        let rows = try connection.rows(SQL.PeriodicTasks.LoadEnabled(), in: sql)
        var pass = Pass()
        guard let first = rows.first else {
            pass.now = injected ?? Date()
            return pass
        }
        let now = injected ?? Date(timeIntervalSince1970: first.now)
        pass.now = now
        for row in rows {
            let created = Date(timeIntervalSince1970: row.createdAt)
            let schedule: Schedule
            do {
                if let cron = row.cron {
                    schedule = try Schedule.crontab(cron, timeZone: row.timeZone)
                } else {
                    schedule = try Schedule.every(.fromSeconds(row.intervalSeconds ?? 0), anchor: created)
                }
            } catch {
                let message = "\(error)"
                if row.lastError != message {
                    logger.error("periodic task '\(row.name)' cannot be scheduled: \(message)")
                    try connection.run(SQL.PeriodicTasks.RecordError(name: row.name, error: message), in: sql)
                }
                continue
            }
            let policy = MisfirePolicy(rawValue: row.misfirePolicy) ?? .once
            let lastTick = row.lastRunAt.map(Date.init(timeIntervalSince1970:)) ?? created
            let grace: Duration
            if let interval = row.intervalSeconds { grace = .fromSeconds(min(60, max(2, interval))) } else { grace = .seconds(60) }
            let (due, next) = policy.dueTicks(for: schedule, lastTick: lastTick, now: now, grace: grace)
            let queue = conf.queue(forTask: row.task)
            for tick in due {
                let enqueued: Int
                do {
                    let statement = SQL.PeriodicTicks.EnqueueTick(
                        schedule: row.name, tick: tick.timeIntervalSince1970, taskId: UUID.v7(), defaultQueue: queue,
                        channel: sql.topics.wakeup, nextRun: next?.timeIntervalSince1970)
                    enqueued = try connection.row(statement, in: sql)?.enqueued ?? 0
                } catch let error as PostgresError where !error.isConnectionProblem {
                    // E.g. the schedule was deleted meanwhile: skip it, keep the others going.
                    logger.error("periodic task '\(row.name)': tick \(Self.format(tick)) not enqueued: \(error)")
                    continue
                }
                if enqueued == 1 {
                    pass.enqueued += 1
                    logger.info("Scheduler: Sending due task \(row.name) (\(row.task)) for tick \(Self.format(tick))")
                } else {
                    pass.alreadyEnqueued += 1
                }
            }
            if due.isEmpty, let next, row.nextRunAt.map({ abs($0 - next.timeIntervalSince1970) > 0.0005 }) ?? true {
                try connection.run(SQL.PeriodicTasks.RecordNextRun(name: row.name, nextRun: next.timeIntervalSince1970), in: sql)
            }
            if let next { pass.next = min(pass.next ?? next, next) }
        }
        return pass
    }

    /// Runs passes until ``stop()`` or a shutdown signal: syncs the code-defined schedule
    /// first, then sleeps until the next tick, a schedule change, or ``maxSleep``.
    public func run(handleSignals: Bool = true) async throws {
        let conf = app.conf
        try app.checkEnvironment()
        try conf.validate()
        // Beat LISTENs for schedule edits: a direct URL if given (a pooled one means polling).
        let url = try DatabaseURL(conf.sessionDatabaseURL)
        let signals = handleSignals ? ShutdownSignals { [weak self] _ in self?.stop() } : nil
        defer { signals?.cancel() }
        let setup = DatabaseThread(
            url: url, name: "celeriac-beat-setup", reconnectTimeout: conf.databaseRetryTimeout,
            onRetry: CeleriacApp.logRetry)
        defer { setup.shutdown() }
        let migrator = Migrator(schema: conf.schema)
        let store = ScheduleStore(schema: conf.schema)
        let (definitions, overwrite) = (conf.beatSchedule, overwriteSchedule)
        let written = try await setup.run { connection -> Int in
            try migrator.verify(on: connection)
            return try store.sync(definitions, overwrite: overwrite, on: connection)
        }
        logger.info("beat: Starting... (\(definitions.count) schedule(s) in code, \(written) written)")
        let maintenance = try MaintenanceLoop(
            maintenance: Maintenance(configuration: conf, holder: instanceID), url: url,
            applicationName: "celeriac-beat-maintenance")
        maintenance.start()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                self.loop(url: url)
                continuation.resume()
            }
            thread.name = "celeriac-beat"
            thread.start()
        }
        await maintenance.stop()
    }

    /// Stops ``run(handleSignals:)`` after the current pass.
    public func stop() {
        stopping.withLock { $0 = true }
        wakeup.signal()
    }

    /// Passes until stopped; a NOTIFY on the schedules topic (an edit) wakes it early.
    /// Maintenance runs beside it (``MaintenanceLoop``), so a cluster with beat and no
    /// worker still rescues and prunes.
    private func loop(url: DatabaseURL) {
        let topics = Topics(schema: app.conf.schema)
        let session = ListeningConnection(
            url: url, applicationName: "celeriac-beat", channels: [topics.schedules],
            sessionSetup: ListeningConnection.workerSessionSetup, logger: logger)
        while !stopping.withLock({ $0 }) {
            do {
                let (connection, _, _) = try session.live()
                let pass = try runOnce(on: connection)
                session.succeeded()
                var sleep = maxSleep
                if let next = pass.next { sleep = min(sleep, .fromSeconds(max(0, next.timeIntervalSince(pass.now)) + 0.001)) }
                _ = try connection.wait(timeout: sleep, wakeup: wakeup)
            } catch {
                logger.error("beat: \(error)")
                let pause = session.failed(error)
                Thread.sleep(forTimeInterval: max(pause, .milliseconds(100)).seconds)
            }
        }
        session.close()
        logger.info("beat: stopped")
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
