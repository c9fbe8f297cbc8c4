import CeleriacPostgres
import Foundation
import Logging

/// Keeps a deep queue as quick to claim from as a shallow one, run by the maintenance leader
/// (``MaintenanceLoop``) every ``checkInterval``.
///
/// Each claim updates a task out of `tasks_ready_idx` and each completion deletes it, and
/// both leave the old index entry behind until a vacuum. New tasks go to the index's tail, so
/// nothing else ever clears its head: every claim steps over every entry claimed since the
/// last vacuum. Autovacuum comes at most once per `autovacuum_naptime` (a minute by default)
/// and waits for a fifth of the table to be dead, so with a million tasks waiting a drain
/// slowed to 0.41x of the same drain from a hundred thousand, and to 0.86x with a vacuum every
/// second. This part vacuums `tasks` when the statistics show ``threshold`` dead rows, at most
/// once per ``minimumGap``. A vacuum of a table most of whose pages are untouched since the
/// last one reads little beyond its indexes.
///
/// A vacuum is held back when a transaction open somewhere still sees the dead rows: the
/// oldest transaction any snapshot needs (`tasks.horizon`) is the same as at the vacuum
/// before, and the statistics show less than half of them gone. Vacuuming again changes
/// nothing until it ends, so the gap doubles after each such vacuum, up to ``maximumGap``,
/// and the log names the oldest transaction it can see, once per episode. The gap is back to
/// ``minimumGap`` after the first vacuum that is not. (The statistics alone mislead: other
/// sessions report their counts up to a second late, so after a vacuum during a fast drain
/// they show rows it removed.)
///
/// It needs to own the table; a role that does not is told once, and autovacuum remains.
package struct QueueVacuum: Sendable {
    /// Dead row versions that make a vacuum worth its cost.
    package var threshold = 20_000
    /// The least time between two vacuums.
    package var minimumGap: Duration = .seconds(1)
    /// The longest time between two vacuums while they are held back.
    package var maximumGap: Duration = .seconds(8)
    /// The time until the next vacuum may run.
    package private(set) var gap: Duration = .seconds(1)
    /// How often the statistics are looked at.
    package static let checkInterval: Duration = .seconds(1)

    private let sql: SchemaSQL
    private var lastVacuum: ContinuousClock.Instant?
    /// The horizon at the last vacuum.
    private var lastHorizon: String?
    private var warned = false
    private let logger = Logger(label: "Maintenance")

    package init(sql: SchemaSQL) {
        self.sql = sql
    }

    /// Vacuums `tasks` if it is due at `now`; returns whether it did.
    @discardableResult
    package mutating func runOnce(on connection: Connection, now: ContinuousClock.Instant) throws -> Bool {
        if let lastVacuum, now - lastVacuum < max(gap, minimumGap) { return false }
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
        let horizon = try connection.row(SQL.Tasks.Horizon(), in: sql)?.horizon
        try connection.run(SQL.Tasks.Vacuum(), in: sql)
        lastVacuum = now
        let remaining = try connection.row(SQL.Tasks.DeadTuples(table: "\(sql.schema).tasks"), in: sql)?.dead ?? 0
        let stuck = horizon != nil && horizon == lastHorizon
        lastHorizon = horizon
        try heldBack(stuck && remaining * 2 > stats.dead, before: stats.dead, remaining: remaining, on: connection)
        return true
    }

    /// Doubles the gap after a vacuum that removed less than half the dead rows (warning once
    /// per episode); resets it after one that removed more.
    private mutating func heldBack(_ held: Bool, before: Int, remaining: Int, on connection: Connection) throws {
        guard held else {
            if gap > minimumGap { logger.info("maintenance: vacuums of \(sql.schema).tasks remove dead rows again") }
            gap = minimumGap
            return
        }
        if gap <= minimumGap {
            var culprit = ""
            if let oldest = try connection.row(SQL.Tasks.OldestSnapshot(), in: sql) {
                let name = oldest.application.isEmpty ? "" : " (\(oldest.application))"
                culprit = String(format: "; the oldest open transaction is pid %d%@, open %.0f s", oldest.pid, name, oldest.seconds)
            }
            logger.warning(
                "maintenance: a vacuum of \(sql.schema).tasks left \(remaining) of \(before) dead rows: a transaction held open keeps them\(culprit). Claims read past them; vacuuming less often until it ends"
            )
        }
        gap = min(max(gap, minimumGap) * 2, maximumGap)
    }
}
