extension CeleriacApp {
    /// Deletes waiting tasks (queued, scheduled or awaiting retry), from one queue or all.
    /// Running tasks are not touched. Returns how many were deleted.
    @discardableResult
    public func purge(queue: String? = nil) async throws -> Int {
        let schema = conf.schema
        return try await retryingRun { connection in
            let rows = try connection.execute(
                """
                DELETE FROM \(schema).tasks
                WHERE state IN ('queued', 'retry') AND ($1::text IS NULL OR queue = $1)
                """,
                [queue],
                name: "purge"
            )
            return rows.affectedRows
        }
    }
}
