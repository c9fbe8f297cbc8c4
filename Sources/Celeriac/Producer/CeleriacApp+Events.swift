import CeleriacPostgres
import Foundation

extension CeleriacApp {
    /// Recorded events from `since` on (database clock), oldest first.
    public func events(since: Date, limit: Int = 1_000) async throws -> [TaskEvent] {
        let sql = try self.sql
        let statement = SQL.Events.Since(since: since.timeIntervalSince1970, limit: limit)
        return try await retryingRun { connection in try connection.rows(statement, in: sql).map(TaskEvent.init) }
    }

    /// Every recorded event of one task, oldest first: each attempt with its worker, times,
    /// runtime and error (`task_history()`, sql/repeatable/events.sql).
    public func history(of id: UUID) async throws -> [TaskEvent] {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Events.OfTask(taskId: id), in: sql).map {
                TaskEvent(
                    at: Date(timeIntervalSince1970: $0.at), kind: $0.kind, taskID: id, name: $0.name, queue: $0.queue,
                    worker: $0.worker,
                    attempt: $0.attempt, runtime: $0.runtime, error: $0.error.map(ErrorInfo.stored),
                    detail: $0.detail.flatMap { try? JSONValue(json: $0) })
            }
        }
    }

    /// A live tail of the event log: the events recorded from `since` on (default: now), then
    /// each new one as the events topic announces its batch (or `poll` passes). Needs a direct
    /// connection (LISTEN): ``Configuration/sessionDatabaseURL``. Ends when the consuming task
    /// is cancelled.
    ///
    /// An event's time is its statement's, and a statement may commit after a later one: the
    /// tail looks back ``eventTailLookback`` and drops events it has already delivered.
    public func eventStream(since: Date? = nil, poll: Duration = .seconds(1)) -> AsyncThrowingStream<TaskEvent, any Error> {
        AsyncThrowingStream { continuation in
            let producer = Task {
                do {
                    try await self.tailEvents(since: since, poll: poll) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in producer.cancel() }
        }
    }

    /// How far back a live tail reads again, for events whose statement committed late.
    public static let eventTailLookback: Double = 5

    private func tailEvents(since: Date?, poll: Duration, deliver: @Sendable (TaskEvent) -> Void) async throws {
        let conf = self.conf
        let url = try DatabaseURL(conf.sessionDatabaseURL)
        guard !url.pooled else {
            throw ConfigurationError("a live tail of events needs a direct connection: set CELERIAC_LISTEN_DATABASE_URL")
        }
        let sql = try self.sql
        let thread = DatabaseThread(url: url, name: "celeriac-events", reconnectTimeout: conf.databaseRetryTimeout)
        defer { thread.shutdown() }
        var cursor = try await thread.run { connection -> Double in
            try connection.listen(sql.topics.events)
            if let since { return since.timeIntervalSince1970 }
            return try connection.row(SQL.Events.Now(), in: sql)?.now ?? Date().timeIntervalSince1970
        }
        var delivered: [String: Double] = [:]
        // Reading from the cursor itself, without waiting: at the start, and while a read comes
        // back full (a burst larger than one read).
        var catchingUp = true
        let limit = 10_000
        while !Task.isCancelled {
            let from = catchingUp ? cursor : cursor - Self.eventTailLookback
            let waitFirst = !catchingUp
            let batch = try await thread.run { connection -> [TaskEvent] in
                // LISTEN again: a reconnected session has forgotten it (and it is cheap).
                try connection.listen(sql.topics.events)
                if waitFirst { _ = try connection.wait(timeout: poll) }
                return try connection.rows(SQL.Events.Since(since: from, limit: limit), in: sql).map(TaskEvent.init)
            }
            catchingUp = batch.count == limit
            for event in batch where delivered[event.identity] == nil {
                delivered[event.identity] = event.at.timeIntervalSince1970
                deliver(event)
            }
            if let last = batch.last { cursor = max(cursor, last.at.timeIntervalSince1970) }
            // A single statement with more tasks than one read: skip the rest of its instant.
            if catchingUp, cursor <= from { cursor = from + 0.000_001 }
            delivered = delivered.filter { $0.value >= cursor - Self.eventTailLookback }
        }
    }
}

extension TaskEvent {
    init(_ row: SQL.Events.Since.Row) {
        self.init(
            at: Date(timeIntervalSince1970: row.at), kind: row.kind, taskID: row.taskId, name: row.name, queue: row.queue,
            worker: row.worker, attempt: row.attempt, runtime: row.runtime, error: row.error.map(ErrorInfo.stored),
            detail: row.detail.flatMap { try? JSONValue(json: $0) })
    }
}
