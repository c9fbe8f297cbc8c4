import CeleriacPostgres
import Foundation

extension CeleriacApp {
    /// One queue, as the `queues` view shows it (`celeriac queues`).
    public struct QueueDepth: Sendable, Equatable {
        /// The queue.
        public var queue: String
        /// Tasks due now, waiting.
        public var queued: Int
        /// Tasks waiting for their countdown or eta.
        public var scheduled: Int
        /// Tasks waiting to run again after a failed attempt.
        public var retry: Int
        /// Tasks running.
        public var started: Int
        /// How long the oldest task due has waited, in seconds.
        public var oldestSeconds: Double?
        /// Whether the queue is paused.
        public var paused: Bool
        /// Live workers consuming it.
        public var workers: Int
        /// Tasks finished (succeeded or failed) in the last 1, 5 and 15 minutes.
        public var processed1m: Int
        public var processed5m: Int
        public var processed15m: Int
        /// Tasks failed in the last 15 minutes.
        public var failed15m: Int
    }

    /// Every queue with work, recent outcomes, a live worker or a pause (the `queues` view).
    public func queues() async throws -> [QueueDepth] {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Views.Queues(), in: sql).map {
                QueueDepth(
                    queue: $0.queue, queued: $0.waiting, scheduled: $0.scheduled, retry: $0.retrying, started: $0.running,
                    oldestSeconds: $0.oldestWaitSeconds, paused: $0.paused, workers: $0.workers, processed1m: $0.processed1m,
                    processed5m: $0.processed5m, processed15m: $0.processed15m, failed15m: $0.failed15m)
            }
        }
    }

    /// One worker, as the `worker_status` view shows it.
    public struct WorkerStatus: Sendable, Equatable {
        public var id: String
        public var name: String
        public var hostname: String
        public var pid: Int
        /// online, stale, dead (silent without stopping) or offline (stopped).
        public var status: String
        /// Tasks running now.
        public var active: Int
        /// Outcomes since it started (succeeded + failed + retried + revoked), as of its last heartbeat.
        public var processed: Int
        public var succeeded: Int
        public var failed: Int
        public var retried: Int
        public var revoked: Int
        /// Active tasks over concurrency.
        public var load: Double
        public var concurrency: Int
        public var pool: String
        public var queues: [String]
        /// The task names it runs.
        public var registered: [String]
        /// Whether it records task events (-E).
        public var sendEvents: Bool
        public var version: String
        public var startedAt: Date
        /// Seconds since its last heartbeat.
        public var heartbeatAge: Double
    }

    /// Workers registered in the last day, live ones first (the `worker_status` view).
    public func workerStatus() async throws -> [WorkerStatus] {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Views.Workers(), in: sql).map {
                WorkerStatus(
                    id: $0.id, name: $0.name, hostname: $0.hostname, pid: $0.pid, status: $0.status, active: $0.active,
                    processed: $0.processed, succeeded: $0.succeeded, failed: $0.failed, retried: $0.retried,
                    revoked: $0.revoked, load: $0.load, concurrency: $0.concurrency, pool: $0.pool, queues: $0.queues,
                    registered: $0.registered, sendEvents: $0.sendEvents, version: $0.version,
                    startedAt: Date(timeIntervalSince1970: $0.startedAt), heartbeatAge: $0.heartbeatAgeSeconds)
            }
        }
    }

    /// One task name's recent figures, as the `task_names` view shows them.
    public struct TaskNameStats: Sendable, Equatable {
        public var name: String
        /// Finished tasks per second over the last 1, 5 and 15 minutes.
        public var perSecond1m: Double
        public var perSecond5m: Double
        public var perSecond15m: Double
        public var succeeded15m: Int
        public var failed15m: Int
        public var retried15m: Int
        public var revoked15m: Int
        /// failed / (succeeded + failed) over 15 minutes.
        public var failureRate: Double?
        /// Runtime percentiles of successes, and wait percentiles, in seconds (±19%).
        public var runtimeP50: Double?
        public var runtimeP95: Double?
        public var runtimeP99: Double?
        public var waitP50: Double?
        public var waitP95: Double?
    }

    /// Every task name seen in the last 15 minutes or registered (the `task_names` view).
    public func taskNameStats() async throws -> [TaskNameStats] {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Views.TaskNames(), in: sql).map {
                TaskNameStats(
                    name: $0.name, perSecond1m: $0.perSecond1m, perSecond5m: $0.perSecond5m, perSecond15m: $0.perSecond15m,
                    succeeded15m: $0.succeeded15m, failed15m: $0.failed15m, retried15m: $0.retried15m,
                    revoked15m: $0.revoked15m, failureRate: $0.failureRate, runtimeP50: $0.runtimeP50,
                    runtimeP95: $0.runtimeP95, runtimeP99: $0.runtimeP99, waitP50: $0.waitP50, waitP95: $0.waitP95)
            }
        }
    }
}
