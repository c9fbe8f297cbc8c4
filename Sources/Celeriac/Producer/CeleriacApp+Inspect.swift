import CeleriacPostgres
import Foundation

extension CeleriacApp {
    /// A worker's answer to `ping`.
    public struct WorkerReply: Sendable, Equatable {
        /// Its instance id: `<node name>/<pid>.<random>`.
        public var worker: String
        /// Tasks it runs now.
        public var running: Int
        /// Its free slots.
        public var free: Int
        /// The queues it consumes.
        public var queues: [String]
    }

    /// Asks every live worker to answer on the replies topic, and collects the answers that
    /// arrive within `timeout` (Celery's `status` / `inspect ping`). Needs a direct connection
    /// (LISTEN): ``Configuration/sessionDatabaseURL``.
    public func ping(timeout: Duration = .seconds(1)) async throws -> [WorkerReply] {
        let conf = self.conf
        let url = try DatabaseURL(conf.sessionDatabaseURL)
        guard !url.pooled else {
            throw ConfigurationError("ping needs a direct connection: set CELERIAC_LISTEN_DATABASE_URL")
        }
        let sql = try self.sql
        let token = UUID.v7().celeryString
        let thread = DatabaseThread(url: url, name: "celeriac-ping", reconnectTimeout: conf.databaseRetryTimeout)
        defer { thread.shutdown() }
        return try await thread.run { connection in
            try connection.listen(sql.topics.replies)
            defer { try? connection.unlisten(sql.topics.replies) }
            let message = Topics.controlPayload(.all, body: JSONValue.object(["ping": .string(token)]).description)
            try connection.run(SQL.Workers.Notify(channel: sql.topics.control, payload: message), in: sql)
            var replies: [WorkerReply] = []
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let outcome = try connection.wait(timeout: deadline - ContinuousClock.now)
                for notification in outcome.notifications {
                    guard case .reply(let payload)? = sql.topics.message(notification),
                        case .object(let fields)? = try? JSONValue(json: payload), fields["token"] == .string(token),
                        case .string(let worker)? = fields["worker"]
                    else { continue }
                    var reply = WorkerReply(worker: worker, running: 0, free: 0, queues: [])
                    if case .number(let running)? = fields["running"] { reply.running = Int(running) }
                    if case .number(let free)? = fields["free"] { reply.free = Int(free) }
                    if case .array(let queues)? = fields["queues"] {
                        reply.queues = queues.compactMap { if case .string(let queue) = $0 { queue } else { nil } }
                    }
                    replies.append(reply)
                }
            }
            return replies.sorted { $0.worker < $1.worker }
        }
    }

    /// An unfinished task, as `celeriac inspect` lists it.
    public struct InspectedTask: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var queue: String
        public var state: String
        /// The worker running it (active tasks).
        public var worker: String?
        /// Its positional arguments, JSON.
        public var args: String
        public var attempt: Int
        /// When it is (or was) due.
        public var runAt: Date
    }

    /// Unfinished tasks of one kind, oldest first: `active` (running), `scheduled` (due later)
    /// or `reserved` (due now, waiting for a worker).
    public func inspect(_ kind: String, limit: Int = 100) async throws -> [InspectedTask] {
        guard ["active", "scheduled", "reserved"].contains(kind) else {
            throw ConfigurationError("unknown kind '\(kind)': use active, scheduled or reserved")
        }
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Views.Inspect(kind: kind, limit: limit), in: sql).map {
                InspectedTask(
                    id: $0.id, name: $0.name, queue: $0.queue, state: $0.state, worker: $0.worker, args: $0.args,
                    attempt: $0.attempt, runAt: Date(timeIntervalSince1970: $0.runAt))
            }
        }
    }

    /// The task types the workers registered, with their options: (name, acks_late,
    /// max_retries, queue, registered by).
    public func registeredTaskTypes() async throws -> [(name: String, acksLate: Bool, maxRetries: Int, queue: String?, worker: String)] {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Views.Registered(), in: sql).map {
                ($0.name, $0.acksLate, $0.maxRetries, $0.queue, $0.registeredBy)
            }
        }
    }

    /// Asks one worker (its node name or instance id) or every worker (nil) to shut down
    /// warmly: stop claiming, finish running tasks (the `shutdown` control command).
    public func shutdownWorkers(_ worker: String? = nil) async throws {
        try await control(.shutdown, destination: worker)
    }
}

extension CeleriacApp {
    /// A revoked task, as `celeriac inspect revoked` lists it.
    public struct RevokedTask: Sendable, Equatable {
        public var id: UUID
        public var reason: String?
        public var terminate: Bool
        /// Who revoked it (database user, or the dashboard's user).
        public var revokedBy: String
        public var revokedAt: Date
        /// Still running, its worker stopping it.
        public var pending: Bool
    }

    /// Revocations of running tasks not settled yet, and tasks revoked in the last day.
    public func revokedTasks() async throws -> [RevokedTask] {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Views.Revoked(), in: sql).map {
                RevokedTask(
                    id: $0.taskId, reason: $0.reason, terminate: $0.terminate, revokedBy: $0.revokedBy,
                    revokedAt: Date(timeIntervalSince1970: $0.revokedAt), pending: $0.pending)
            }
        }
    }

    /// A task found by id, as `celeriac inspect query_task` shows it.
    public struct QueriedTask: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var queue: String
        /// queued, scheduled, retry, started, succeeded, failed or revoked.
        public var state: String
        /// The worker running it, or that ran its last attempt.
        public var worker: String?
        /// Its arguments, JSON.
        public var args: String
        public var kwargs: String
        public var attempt: Int
        public var startedAt: Date?
        public var finishedAt: Date?
    }

    /// The tasks with these ids that exist (unfinished or with a stored result).
    public func queryTasks(_ ids: [UUID]) async throws -> [QueriedTask] {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Views.QueryTasks(ids: ids), in: sql).map {
                QueriedTask(
                    id: $0.id, name: $0.name, queue: $0.queue, state: $0.state, worker: $0.worker, args: $0.args,
                    kwargs: $0.kwargs, attempt: $0.attempt, startedAt: $0.startedAt.map(Date.init(timeIntervalSince1970:)),
                    finishedAt: $0.finishedAt.map(Date.init(timeIntervalSince1970:)))
            }
        }
    }
}
