import CeleriacPostgres
import Foundation
import Logging

/// Keeps a deep queue as quick to claim from as a shallow one, run by the maintenance leader
/// (``MaintenanceService``) every ``checkInterval``.
///
/// Each claim updates a task out of `tasks_runnable_idx` and each completion deletes it, and
/// both leave the old index entry behind until a vacuum. New tasks go to the index's tail, so
/// nothing else ever clears its head: every claim steps over every entry claimed since the
/// last vacuum. Autovacuum comes at most once per `autovacuum_naptime` (a minute by default)
/// and waits for a fifth of the table to be dead, so with a million tasks waiting a drain
/// slowed to 0.41x of the same drain from a hundred thousand, and to 0.86x with a vacuum every
/// second. This part vacuums `tasks` when the statistics show ``threshold`` dead rows, at most
/// once per ``minimumGap``. A vacuum of a table most of whose pages are untouched since the
/// last one reads little beyond its indexes.
///
/// It needs to own the table; a role that does not is told once, and autovacuum remains.
package struct QueueVacuum: Sendable {
    /// Dead row versions that make a vacuum worth its cost.
    package var threshold = 20_000
    /// The least time between two vacuums.
    package var minimumGap: Duration = .seconds(1)
    /// How often the statistics are looked at.
    package static let checkInterval: Duration = .seconds(1)

    private let sql: SchemaSQL
    private var lastVacuum: ContinuousClock.Instant?
    private var warned = false
    private let logger = Logger(label: "Maintenance")

    package init(sql: SchemaSQL) {
        self.sql = sql
    }

    /// Vacuums `tasks` if it is due at `now`; returns whether it did.
    @discardableResult
    package mutating func runOnce(on connection: Connection, now: ContinuousClock.Instant) throws -> Bool {
        if let lastVacuum, now - lastVacuum < minimumGap { return false }
        guard let stats = try connection.row(SQL.Tasks.DeadTuples(table: "\(sql.schema).tasks"), in: sql), stats.dead >= threshold else {
            return false
        }
        guard stats.mayVacuum else {
            if !warned {
                warned = true
                logger.warning(
                    "maintenance: this role does not own \(sql.schema).tasks and cannot vacuum it; a deep queue drains slower until autovacuum comes (run maintenance as the owner, or lower autovacuum_naptime)"
                )
            }
            return false
        }
        try connection.run(SQL.Tasks.Vacuum(), in: sql)
        lastVacuum = now
        return true
    }
}
