import CeleriacPostgres
import Foundation
import Logging

/// Cluster housekeeping, run by whichever worker or beat holds the `maintenance` lease:
///
/// - **rescue**: tasks whose lease expired (their worker died, hung or lost the network)
///   go back to the queue when they were sent with acks-late and have attempts left;
///   otherwise they fail with `WorkerLostError`, as in Celery;
/// - **pruning**: results older than `result_expires` (new block ranges of the results'
///   BRIN index are summarized first, so this reads only old rows), ticks older than a
///   week, and worker rows silent for a day;
/// - **silent workers**: a worker silent for a whole lease no longer counts as waiting for
///   work, so producers stop sending NOTIFYs on its account (migration 0005).
///
/// ``runOnce(on:)`` does one round; workers call it on their heartbeat, beat on its loop.
public struct Maintenance: Sendable {
    /// What one round did.
    public struct Report: Sendable, Equatable {
        /// Whether this node led (did anything).
        public var leader = false
        /// Expired tasks put back in the queue.
        public var requeued = 0
        /// Expired tasks failed with WorkerLostError.
        public var failed = 0
        /// Results deleted for being older than `result_expires`.
        public var prunedResults = 0
    }

    let schema: String
    let resultExpires: Duration?
    let workerLease: Duration
    /// The `maintenance` leader lease.
    public let lease: LeaderLease
    /// How often a round runs.
    public let interval: Duration
    private let logger = Logger(label: "Maintenance")

    public init(configuration: Configuration, holder: String) {
        schema = configuration.schema
        resultExpires = configuration.resultExpires
        workerLease = configuration.workerLeaseDuration
        interval = min(configuration.maintenanceInterval, configuration.workerLeaseDuration / 4)
        // Two rounds: a leader that dies is replaced well within one task lease, so a task
        // orphaned with it is rescued within lease + interval.
        lease = LeaderLease(schema: configuration.schema, role: "maintenance", holder: holder, duration: interval * 2)
    }

    /// One round: take or renew the lease, and if leading, rescue and prune.
    @discardableResult
    public func runOnce(on connection: Connection) throws -> Report {
        var report = Report()
        guard try lease.acquire(on: connection) else { return report }
        report.leader = true
        let rescued = try connection.execute(Self.rescueStatement(schema: schema), ["\(schema).tasks"])
        report.requeued = rescued.int(0, 0) ?? 0
        report.failed = rescued.int(0, 1) ?? 0
        if report.requeued + report.failed > 0 {
            logger.warning(
                "Rescued \(report.requeued + report.failed) task(s) whose worker lost its lease: \(report.requeued) re-queued (acks_late), \(report.failed) failed with WorkerLostError"
            )
        }
        if let resultExpires {
            // The BRIN index skips only block ranges it has summarized; new ones are
            // summarized here, when this role may (it must own the index), so the prune
            // below reads old ranges, not the whole table (see migration 0004).
            try connection.execute(
                """
                SELECT brin_summarize_new_values(c.oid) FROM pg_class AS c JOIN pg_am AS am ON am.oid = c.relam
                WHERE c.oid = to_regclass($1) AND am.amname = 'brin' AND pg_has_role(c.relowner, 'USAGE')
                """,
                ["\(schema).results_finished_at_idx"],
                name: "summarize results"
            )
            report.prunedResults = try connection.execute(
                """
                DELETE FROM \(schema).results WHERE id IN (
                    SELECT id FROM \(schema).results
                    WHERE finished_at < now() - make_interval(secs => $1::float8)
                    LIMIT 10000
                )
                """,
                [String(resultExpires.seconds)],
                name: "prune results"
            ).affectedRows
        }
        try connection.execute(
            "DELETE FROM \(schema).periodic_ticks WHERE enqueued_at < now() - interval '7 days'", name: "prune ticks"
        )
        // Killed or cut off, its leases expired and its tasks are being rescued: it waits for
        // nothing. A live worker that was only slow sets the flag again at its next claim.
        try connection.execute(
            """
            UPDATE \(schema).workers SET listening = false
            WHERE listening AND last_heartbeat_at < now() - make_interval(secs => $1::float8)
            """,
            [String(workerLease.seconds)],
            name: "silent workers"
        )
        try connection.execute(
            "DELETE FROM \(schema).workers WHERE last_heartbeat_at < now() - interval '1 day'", name: "prune workers"
        )
        return report
    }

    /// Expired leases: acks-late tasks with attempts left go back to the queue; the rest move
    /// to results as failed (WorkerLostError), aborting the rest of their chain. $1: channel.
    static func rescueStatement(schema s: String) -> PreparedStatement {
        PreparedStatement(
            name: "celeriac_\(s)_rescue",
            sql: """
                WITH expired AS (
                    SELECT id,
                           CASE WHEN jsonb_typeof(options->'acks_late') = 'boolean' THEN (options->>'acks_late')::boolean
                                ELSE false END
                           AND attempt <= coalesce(
                               max_retries,
                               CASE WHEN coalesce(options->>'max_retries', '') ~ '^[0-9]{1,9}$'
                                    THEN (options->>'max_retries')::int END,
                               3) AS requeue
                    FROM \(s).tasks
                    WHERE state = 'started' AND lease_expires_at < now()
                    FOR UPDATE SKIP LOCKED
                ),
                requeued AS (
                    UPDATE \(s).tasks AS t
                    SET state = CASE WHEN t.retries > 0 THEN 'retry' ELSE 'queued' END, owner = NULL,
                        lease_expires_at = NULL, run_at = now(),
                        last_error = jsonb_build_object('type', 'WorkerLostError',
                            'message', format('worker %s lost its lease during attempt %s', t.owner, t.attempt))
                    FROM expired AS e
                    WHERE t.id = e.id AND e.requeue
                    RETURNING t.queue
                ),
                lost AS (
                    DELETE FROM \(s).tasks AS t USING expired AS e
                    WHERE t.id = e.id AND NOT e.requeue
                    RETURNING t.id, t.name, t.queue, t.args, t.kwargs, t.chain, t.attempt, t.retries, t.owner,
                              t.parent_id, t.root_id, t.created_at, t.started_at,
                              jsonb_build_object('type', 'WorkerLostError',
                                  'message', format('Worker exited prematurely: %s lost its lease during attempt %s',
                                                    t.owner, t.attempt)) AS error
                ),
                stored AS (
                    INSERT INTO \(s).results (id, name, queue, state, args, kwargs, error, attempt, retries, worker,
                                             parent_id, root_id, created_at, started_at)
                    SELECT id, name, queue, 'failed', args, kwargs, error, attempt, retries, owner,
                           parent_id, root_id, created_at, started_at
                    FROM lost
                    ON CONFLICT (id) DO NOTHING
                ),
                aborted AS (
                    \(Queries.abortChain(schema: s, from: "lost", error: "error", where: "chain IS NOT NULL"))
                ),
                woken AS (
                    SELECT pg_notify($1, queue) FROM (SELECT DISTINCT queue FROM requeued) AS q
                )
                SELECT (SELECT count(*) FROM requeued), (SELECT count(*) FROM lost), (SELECT count(*) FROM woken)
                """
        )
    }
}
