import CeleriacPostgres
import Foundation
import Logging

/// Keeps the partitions of `results` (by id: the creation time of Celeriac's ids) and of
/// `events` (by time), migration 0022, run by the maintenance leader every ``checkInterval``:
/// partitions are made ahead of time, each for ``width``, and a partition goes whole once
/// everything in it has expired (`maintain_partitions()`, sql/repeatable/partitions.sql).
/// Pruning thus costs the same however many rows there are, and neither table grows after one
/// `result_expires`.
///
/// A partition is a tenth of `result_expires` (between 1 second and a day), so rows are kept
/// at most about 1.1 × `result_expires` plus a second. Without `result_expires` they are kept
/// for ever, in partitions of a day.
package struct TablePartitions: Sendable {
    /// How often the partitions are looked at.
    package static let checkInterval: Duration = .seconds(1)
    /// The tables partitioned.
    package static let tables = ["results", "events"]

    package let expires: Duration?
    package let width: Duration
    /// How far past now partitions are made (at least three partitions, at least a minute),
    /// for producers whose clocks run ahead.
    package var ahead: Duration { max(width * 3, .seconds(60)) }

    private let sql: SchemaSQL
    private var warned = false
    private let logger = Logger(label: "Maintenance")

    package init(sql: SchemaSQL, expires: Duration?) {
        self.sql = sql
        self.expires = expires
        width = Self.width(expires: expires)
    }

    /// The width of a partition for `expires`.
    package static func width(expires: Duration?) -> Duration {
        guard let expires else { return .seconds(86_400) }
        return min(max(expires / 10, .seconds(1)), .seconds(86_400))
    }

    /// Creates and drops partitions of both tables as due; returns how many of each.
    @discardableResult
    package mutating func runOnce(on connection: Connection) throws -> (created: Int, dropped: Int) {
        var total = (created: 0, dropped: 0)
        for table in Self.tables {
            let statement = SQL.Partitions.Maintain(
                parent: table, expiresSeconds: expires?.seconds, widthSeconds: width.seconds, aheadSeconds: ahead.seconds)
            guard let row = try connection.row(statement, in: sql) else { continue }
            if !row.allowed, !warned {
                warned = true
                logger.warning(
                    "maintenance: this role does not own \(sql.schema).\(table) and cannot partition it; its rows are kept in \(table)_default and pruned row by row (run maintenance as the owner)"
                )
            }
            total.created += row.created
            total.dropped += row.dropped
        }
        return total
    }
}
