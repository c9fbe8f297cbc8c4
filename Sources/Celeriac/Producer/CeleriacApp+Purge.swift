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
}
