import Foundation

extension CeleriacApp {
    /// Deletes waiting tasks (queued, scheduled or awaiting retry), from one queue or all.
    /// Running tasks are not touched. Returns how many were deleted.
    @discardableResult
    public func purge(queue: String? = nil) async throws -> Int {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.row(SQL.Tasks.Purge(queue: queue), in: sql)?.purged ?? 0
        }
    }

    /// Revokes tasks with `celeriac.revoke()`: see ``AsyncResult/revoke(terminate:reason:)``.
    /// Returns each id with what happened to it.
    public func revoke(_ ids: [UUID], terminate: Bool = false, reason: String = "revoked") async throws
        -> [(id: UUID, outcome: String)]
    {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Revocations.Revoke(ids: ids, terminate: terminate, reason: reason), in: sql)
                .map { ($0.taskId, $0.outcome) }
        }
    }

    /// Runs failed or revoked tasks again, with the same ids, from the queue (`celeriac.retry()`);
    /// their final rows are kept in `task_attempts`. Returns each id with what happened:
    /// `retried`, `not failed` or `unknown`.
    public func retry(_ ids: [UUID]) async throws -> [(id: UUID, outcome: String)] {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Revocations.Retry(ids: ids), in: sql).map { ($0.taskId, $0.outcome) }
        }
    }
}
