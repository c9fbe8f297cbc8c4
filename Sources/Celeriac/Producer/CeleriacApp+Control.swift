import CeleriacPostgres
import Foundation

extension CeleriacApp {
    /// Deletes waiting tasks (queued, scheduled or awaiting retry), from one queue or all.
    /// Running tasks are not touched. Returns how many were deleted.
    @discardableResult
    public func purge(queue: String? = nil, actor: String? = nil) async throws -> Int {
        let sql = try self.sql
        return try await acting(actor) { connection in
            try connection.row(SQL.Control.Purge(queue: queue), in: sql)?.purged ?? 0
        }
    }

    /// Revokes tasks with `celeriac.revoke()`: see ``AsyncResult/revoke(terminate:reason:)``.
    /// Returns each id with what happened to it.
    public func revoke(_ ids: [UUID], terminate: Bool = false, reason: String = "revoked", actor: String? = nil) async throws
        -> [(id: UUID, outcome: String)]
    {
        let sql = try self.sql
        return try await acting(actor) { connection in
            try connection.rows(SQL.Control.Revoke(ids: ids, terminate: terminate, reason: reason), in: sql)
                .map { ($0.taskId, $0.outcome) }
        }
    }

    /// Runs failed or revoked tasks again, with the same ids, from the queue (`celeriac.retry()`);
    /// their final rows are kept in `task_attempts`. Returns each id with what happened:
    /// `retried`, `not failed` or `unknown`.
    public func retry(_ ids: [UUID], actor: String? = nil) async throws -> [(id: UUID, outcome: String)] {
        let sql = try self.sql
        return try await acting(actor) { connection in
            try connection.rows(SQL.Control.Retry(ids: ids), in: sql).map { ($0.taskId, $0.outcome) }
        }
    }

    /// Pauses a queue: workers take nothing from it from their next claim on; tasks keep
    /// arriving and wait. Returns false if it was already paused.
    @discardableResult
    public func pauseQueue(_ queue: String, actor: String? = nil) async throws -> Bool {
        do { try QueueName.validate(queue) } catch { throw EnqueueError("\(error)") }
        let sql = try self.sql
        return try await acting(actor) { connection in
            try connection.row(SQL.Control.PauseQueue(queue: queue), in: sql)?.paused ?? false
        }
    }

    /// Resumes a paused queue and wakes its workers. Returns false if it was not paused.
    @discardableResult
    public func resumeQueue(_ queue: String, actor: String? = nil) async throws -> Bool {
        let sql = try self.sql
        return try await acting(actor) { connection in
            try connection.row(SQL.Control.ResumeQueue(queue: queue), in: sql)?.resumed ?? false
        }
    }

    /// A control command for workers (`celeriac.control()`): Celery's `celery control`.
    public enum ControlCommand: Sendable, Hashable, CustomStringConvertible {
        /// A warm shutdown: finish running tasks, then exit.
        case shutdown
        /// Run `n` more tasks at once.
        case poolGrow(Int)
        /// Run `n` fewer tasks at once (never below one).
        case poolShrink(Int)
        /// Start consuming a queue.
        case addConsumer(String)
        /// Stop consuming a queue.
        case cancelConsumer(String)

        /// `pool_grow 2`, as `celeriac control` takes it.
        public var description: String {
            switch self {
            case .shutdown: name
            case .poolGrow(let n), .poolShrink(let n): "\(name) \(n)"
            case .addConsumer(let queue), .cancelConsumer(let queue): "\(name) \(queue)"
            }
        }

        /// The command's name in `celeriac.control()`.
        public var name: String {
            switch self {
            case .shutdown: "shutdown"
            case .poolGrow: "pool_grow"
            case .poolShrink: "pool_shrink"
            case .addConsumer: "add_consumer"
            case .cancelConsumer: "cancel_consumer"
            }
        }

        var arguments: JSONValue {
            switch self {
            case .shutdown: .object([:])
            case .poolGrow(let n), .poolShrink(let n): .object(["n": .number(Double(n))])
            case .addConsumer(let queue), .cancelConsumer(let queue): .object(["queue": .string(queue)])
            }
        }
    }

    /// Sends a control command to one worker (its node name, e.g. `celeriac@host`, or its
    /// instance id) or to every worker (nil), with `celeriac.control()`: delivered at once on
    /// the control topic, and kept for 5 minutes so that a live worker that missed it (its
    /// connection was down) still acts on it. Recorded in the audit log. Returns the message id.
    @discardableResult
    public func control(_ command: ControlCommand, destination: String? = nil, actor: String? = nil) async throws -> Int {
        let sql = try self.sql
        let statement = SQL.Control.Control(
            destination: destination ?? "*", command: command.name, arguments: command.arguments.description)
        return try await acting(actor) { connection in try connection.row(statement, in: sql)?.id ?? 0 }
    }

    /// Runs a control call; with `actor` (the dashboard's signed-in user), in a transaction
    /// that names them first, so the audit log records who acted (`celeriac_audit.actor`).
    func acting<T: Sendable>(_ actor: String?, _ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        guard let actor else { return try await retryingRun(body) }
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.transaction { connection in
                try connection.run(SQL.Control.SetActor(actor: actor), in: sql)
                return try body(connection)
            }
        }
    }
}

extension CeleriacApp {
    /// Turns a periodic task on or off (`celeriac.enable_schedule()`, audited). Returns false
    /// if there is no such schedule.
    @discardableResult
    public func enableSchedule(_ name: String, _ enabled: Bool, actor: String? = nil) async throws -> Bool {
        let sql = try self.sql
        return try await acting(actor) { connection in
            try connection.row(SQL.Control.EnableSchedule(name: name, enabled: enabled), in: sql)?.found ?? false
        }
    }

    /// Enqueues a periodic task's task once, now, not as a tick (`celeriac.run_schedule_now()`,
    /// audited). Returns the task id, nil if there is no such schedule.
    public func runScheduleNow(_ name: String, actor: String? = nil) async throws -> UUID? {
        let sql = try self.sql
        return try await acting(actor) { connection in
            try connection.row(SQL.Control.RunScheduleNow(name: name), in: sql)?.taskId
        }
    }
}
