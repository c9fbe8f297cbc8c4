import CeleriacPostgres
import Foundation
import Logging

/// Keeps the partitions of `results` (migration 0022), run by the maintenance leader every
/// ``checkInterval``: partitions are made ahead of time, each for ``width`` of task creation,
/// and a partition goes whole once every result in it has expired (`maintain_result_partitions()`,
/// sql/repeatable/result_partitions.sql). Pruning thus costs the same however many results
/// there are, and the table stops growing after one `result_expires`.
///
/// A partition is a tenth of `result_expires` (between 1 second and a day), so results are
/// kept at most about 1.1 × `result_expires` plus a second. Without `result_expires` they are
/// kept for ever, in partitions of a day.
package struct ResultPartitions: Sendable {
    /// How often the partitions are looked at.
    package static let checkInterval: Duration = .seconds(1)

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

    /// Creates and drops partitions as due; returns how many of each.
    @discardableResult
    package mutating func runOnce(on connection: Connection) throws -> (created: Int, dropped: Int) {
        let statement = SQL.Results.MaintainPartitions(
            expiresSeconds: expires?.seconds, widthSeconds: width.seconds, aheadSeconds: ahead.seconds)
        guard let row = try connection.row(statement, in: sql) else { return (0, 0) }
        if !row.allowed, !warned {
            warned = true
            logger.warning(
                "maintenance: this role does not own \(sql.schema).results and cannot partition it; results are kept in results_default and pruned row by row (run maintenance as the owner)"
            )
        }
        return (row.created, row.dropped)
    }
}
