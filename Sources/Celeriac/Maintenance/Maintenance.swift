import CeleriacPostgres
import Foundation
import Logging
import Synchronization

/// Cluster housekeeping, done by whichever process holds the `maintenance` lease
/// (``MaintenanceLoop`` runs it in workers and beat):
///
/// - **rescue** (`tasks.rescue`): tasks whose lease expired (their worker died, hung or lost
///   the network) go back to the queue when they were sent with acks-late and have attempts
///   left; otherwise they fail with `WorkerLostError`, as in Celery;
/// - **pruning**: results older than `result_expires` (new block ranges of the results' BRIN
///   index are summarized first, so this reads only old rows), ticks older than a week, and
///   worker rows silent for a day;
/// - **priority aging** (`tasks.age_priorities`): a task waiting in its queue gains a priority
///   level for every ``Configuration/priorityAging`` it has waited, so none starves;
/// - **silent workers**: a worker silent for a whole lease no longer counts as waiting for
///   work, so producers stop sending NOTIFYs on its account (migration 0005).
package struct Maintenance: Sendable {
    /// What one round did.
    package struct Report: Sendable, Equatable {
        /// Whether this node led (did anything).
        package var leader = false
        /// Expired tasks put back in the queue.
        package var requeued = 0
        /// Expired tasks failed with WorkerLostError.
        package var failed = 0
        /// Results deleted for being older than `result_expires`.
        package var prunedResults = 0
        package var prunedEvents = 0
        /// Waiting tasks whose priority aging raised.
        package var aged = 0
    }

    /// The most tasks one round ages in each (queue, priority) level.
    static let agingBatch = 1_000

    /// The most results one round deletes.
    static let pruneBatch = 10_000

    let sql: SchemaSQL
    let resultExpires: Duration?
    let workerLease: Duration
    let priorityAging: Duration?
    /// The retry limit of a task whose row names none.
    let defaultMaxRetries: Int
    /// The `maintenance` leader lease.
    package let lease: LeaderLease
    /// How often a round runs.
    package let interval: Duration
    private let observers: Observers
    private let logger = Logger(label: "Maintenance")
    /// When priority aging last ran: it runs every half ``Configuration/priorityAging`` (a task
    /// gains a level per whole step anyway), not every round: each run probes every
    /// (queue, priority) level present once.
    private let agingRuns = AgingSchedule()
    /// The clock aging is scheduled by (tests inject their own).
    var now: @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }

    package init(configuration: Configuration, holder: String, observers: [any LifecycleObserver] = []) {
        sql = SchemaSQL(schema: configuration.schema)
        resultExpires = configuration.resultExpires
        workerLease = configuration.workerLeaseDuration
        priorityAging = configuration.priorityAging
        defaultMaxRetries = configuration.taskDefaultMaxRetries
        interval = min(configuration.maintenanceInterval, configuration.workerLeaseDuration / 4)
        // Two rounds: a leader that dies is replaced well within one task lease, so a task
        // orphaned with it is rescued within lease + interval.
        lease = LeaderLease(sql: sql, role: "maintenance", holder: holder, duration: interval * 2)
        self.observers = Observers(observers)
    }

    /// One round: take or renew the lease, and if leading, rescue and prune.
    @discardableResult
    package func runOnce(on connection: Connection) throws -> Report {
        var report = Report()
        guard try lease.acquire(on: connection) else { return report }
        report.leader = true
        let rescue = SQL.Tasks.Rescue(
            channel: sql.topics.wakeup, defaultMaxRetries: defaultMaxRetries, eventsChannel: sql.topics.events)
        let rescued = try connection.row(rescue, in: sql)
        report.requeued = rescued?.requeued ?? 0
        report.failed = rescued?.failed ?? 0
        if report.requeued + report.failed > 0 {
            logger.warning(
                "Rescued \(report.requeued + report.failed) task(s) whose worker lost its lease: \(report.requeued) re-queued (acks_late), \(report.failed) failed with WorkerLostError"
            )
            observers.emit(LifecycleEvent(kind: .rescued, worker: lease.holder, count: report.requeued + report.failed))
        }
        if let resultExpires {
            try connection.run(SQL.Results.SummarizeNewRanges(table: "\(sql.schema).results_default"), in: sql)
            let pruned = SQL.Results.Prune(expiresSeconds: resultExpires.seconds, batch: Self.pruneBatch)
            report.prunedResults = try connection.row(pruned, in: sql)?.pruned ?? 0
            let events = SQL.Events.Prune(expiresSeconds: resultExpires.seconds, batch: Self.pruneBatch)
            report.prunedEvents = try connection.row(events, in: sql)?.pruned ?? 0
            try connection.run(SQL.Groups.Prune(expiresSeconds: resultExpires.seconds), in: sql)
            try connection.run(SQL.TaskAttempts.Prune(expiresSeconds: resultExpires.seconds, batch: Self.pruneBatch), in: sql)
        }
        if let priorityAging, agingRuns.due(at: now(), every: priorityAging / 2) {
            let aging = SQL.Tasks.AgePriorities(stepSeconds: max(0.001, priorityAging.seconds), batch: Self.agingBatch)
            report.aged = try connection.row(aging, in: sql)?.aged ?? 0
        }
        try connection.run(SQL.PeriodicTicks.Prune(), in: sql)
        try connection.run(SQL.TaskStats.Prune(), in: sql)
        try connection.run(SQL.Workers.ForgetSilentListeners(leaseSeconds: workerLease.seconds), in: sql)
        try connection.run(SQL.Workers.Prune(), in: sql)
        try connection.run(SQL.Revocations.Prune(), in: sql)
        try connection.run(SQL.ControlMessages.Prune(), in: sql)
        try connection.run(SQL.UniqueKeys.Prune(limit: Self.pruneBatch), in: sql)
        return report
    }
}

/// When priority aging last ran, shared by the copies of one ``Maintenance``.
final class AgingSchedule: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    /// Whether a run is due at `now`, every `interval`; if so, `now` is recorded as the last.
    func due(at now: ContinuousClock.Instant, every interval: Duration) -> Bool {
        last.withLock { last in
            if let previous = last, now - previous < interval { return false }
            last = now
            return true
        }
    }
}
