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

    /// Pauses a queue: workers take nothing from it from their next claim on; tasks keep
    /// arriving and wait. Returns false if it was already paused.
    @discardableResult
    public func pauseQueue(_ queue: String) async throws -> Bool {
        do { try QueueName.validate(queue) } catch { throw EnqueueError("\(error)") }
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.row(SQL.Revocations.PauseQueue(queue: queue), in: sql)?.paused ?? false
        }
    }

    /// Resumes a paused queue and wakes its workers. Returns false if it was not paused.
    @discardableResult
    public func resumeQueue(_ queue: String) async throws -> Bool {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.row(SQL.Revocations.ResumeQueue(queue: queue), in: sql)?.resumed ?? false
        }
    }
}
