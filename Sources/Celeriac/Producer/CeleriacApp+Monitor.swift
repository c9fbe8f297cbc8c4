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

extension CeleriacApp {
    /// One row of `task_stats`: a worker's count of one metric (an outcome by runtime bucket,
    /// or `wait` by wait bucket) for a task name and queue in one minute.
    public struct TaskStatsRow: Sendable, Equatable {
        public var minute: Date
        public var queue: String
        public var name: String
        public var worker: String
        /// succeeded, failed, retried, revoked or wait.
        public var metric: String
        /// The log-scale bucket of `stats_bucket()`: 0 up to 100 µs, then one per factor of √2.
        public var bucket: Int
        public var count: Int
    }

    /// The `task_stats` rows of the minutes from `since` on (counts of the current minute
    /// still grow).
    public func recentTaskStats(since: Date) async throws -> [TaskStatsRow] {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.TaskStats.Recent(since: since.timeIntervalSince1970), in: sql).map {
                TaskStatsRow(
                    minute: Date(timeIntervalSince1970: $0.minute), queue: $0.queue, name: $0.name, worker: $0.worker,
                    metric: $0.metric, bucket: $0.bucket, count: $0.count)
            }
        }
    }
}

extension CeleriacApp {
    /// Finished tasks in one minute.
    public struct ThroughputPoint: Sendable, Equatable {
        public var minute: Date
        public var succeeded: Int
        public var failed: Int

        public init(minute: Date, succeeded: Int, failed: Int) {
            self.minute = minute
            self.succeeded = succeeded
            self.failed = failed
        }

        mutating func add(_ other: ThroughputPoint) {
            succeeded += other.succeeded
            failed += other.failed
        }
    }

    /// Finished tasks per minute over the last `minutes` minutes (the `throughput` view), for
    /// every queue or one; minutes with none are absent.
    public func throughput(minutes: Int = 60, queue: String? = nil) async throws -> [ThroughputPoint] {
        let byQueue = try await throughputByQueue(minutes: minutes)
        let points = queue.map { byQueue[$0] ?? [] } ?? Array(byQueue.values.joined())
        var byMinute: [Date: ThroughputPoint] = [:]
        for point in points {
            byMinute[point.minute, default: ThroughputPoint(minute: point.minute, succeeded: 0, failed: 0)].add(point)
        }
        return byMinute.values.sorted { $0.minute < $1.minute }
    }

    /// Finished tasks per minute for each queue over the last `minutes` minutes, oldest first.
    public func throughputByQueue(minutes: Int = 60) async throws -> [String: [ThroughputPoint]] {
        let sql = try self.sql
        let rows = try await retryingRun { connection in
            try connection.rows(SQL.Views.Throughput(minutes: minutes), in: sql).map {
                ($0.queue, ThroughputPoint(minute: Date(timeIntervalSince1970: $0.minute), succeeded: $0.succeeded, failed: $0.failed))
            }
        }
        return Dictionary(grouping: rows, by: \.0).mapValues { $0.map(\.1) }
    }

    /// What a list of tasks may be narrowed to, and its order. Every part is optional.
    public struct TaskFilter: Sendable, Equatable {
        /// queued, scheduled, retry, started, succeeded, failed or revoked.
        public var state: String?
        public var name: String?
        public var queue: String?
        /// Only tasks older than this one (exclusive; keyset paging newest first: the last id
        /// of the page before).
        public var before: UUID?
        /// Only tasks newer than this one (exclusive; keyset paging oldest first).
        public var after: UUID?
        /// Text to find in args, kwargs, result or error message (case-insensitive).
        public var search: String?
        /// The worker running it, or that ran its last attempt (instance id).
        public var worker: String?
        /// Created at or after this time.
        public var since: Date?
        /// Created before this time.
        public var until: Date?
        /// Oldest first instead of newest first.
        public var oldestFirst: Bool

        public init(
            state: String? = nil, name: String? = nil, queue: String? = nil, before: UUID? = nil, after: UUID? = nil,
            search: String? = nil, worker: String? = nil, since: Date? = nil, until: Date? = nil, oldestFirst: Bool = false
        ) {
            self.state = state
            self.name = name
            self.queue = queue
            self.before = before
            self.after = after
            self.search = search
            self.worker = worker
            self.since = since
            self.until = until
            self.oldestFirst = oldestFirst
        }

        /// The states a filter may name.
        public static let states = ["queued", "scheduled", "retry", "started", "succeeded", "failed", "revoked"]
    }

    /// A task in a list: its arguments, result and error cut short.
    public struct ListedTask: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var queue: String
        public var state: String
        public var worker: String?
        /// Arguments as JSON text, cut to the preview length.
        public var args: String
        public var kwargs: String
        /// The result as JSON text, cut to the preview length, once it succeeded.
        public var result: String?
        /// `Type: message` of the error, cut to the preview length.
        public var error: String?
        public var attempt: Int
        public var createdAt: Date
        public var startedAt: Date?
        public var finishedAt: Date?
        public var runtime: Double?
    }

    /// One page of tasks, finished and unfinished, narrowed and ordered by `filter`
    /// (`task_list()` in SQL); `skip` tasks are passed over first, and arguments, result and
    /// error are cut to `preview` characters. Paging by `before`/`after` stays quick however
    /// deep; `skip` reads what it skips. A `search` reads rows until the page is full: cap it
    /// with ``listWindow(from:size:oldestFirst:)``.
    public func listTasks(_ filter: TaskFilter = TaskFilter(), limit: Int = 50, skip: Int = 0, preview: Int = 200)
        async throws -> [ListedTask]
    {
        if let state = filter.state, !TaskFilter.states.contains(state) {
            throw ConfigurationError("unknown state '\(state)': use \(TaskFilter.states.joined(separator: ", "))")
        }
        let sql = try self.sql
        let statement = SQL.Views.ListTasks(
            state: filter.state, name: filter.name, queue: filter.queue, worker: filter.worker, search: filter.search,
            after: filter.after, before: filter.before, since: filter.since?.timeIntervalSince1970,
            until: filter.until?.timeIntervalSince1970, oldestFirst: filter.oldestFirst, limit: limit, skip: skip,
            preview: preview)
        return try await retryingRun { connection in
            try connection.rows(statement, in: sql).map {
                ListedTask(
                    id: $0.id, name: $0.name, queue: $0.queue, state: $0.state, worker: $0.worker, args: $0.args,
                    kwargs: $0.kwargs, result: $0.result, error: $0.error, attempt: $0.attempt,
                    createdAt: Date(timeIntervalSince1970: $0.createdAt),
                    startedAt: $0.startedAt.map(Date.init(timeIntervalSince1970:)),
                    finishedAt: $0.finishedAt.map(Date.init(timeIntervalSince1970:)), runtime: $0.runtime)
            }
        }
    }

    /// The id `size` tasks away from `start` (exclusive; `nil` starts at the newest, or the
    /// oldest), counting finished and unfinished tasks, or `nil` when fewer are left. As the
    /// filter's `after` (newest first) or `before` (oldest first), it caps a search at `size`
    /// rows read.
    public func listWindow(from start: UUID?, size: Int, oldestFirst: Bool = false) async throws -> UUID? {
        let sql = try self.sql
        let statement = SQL.Views.ListWindow(start: start, size: size, oldestFirst: oldestFirst)
        return try await retryingRun { connection in try connection.rows(statement, in: sql).first?.bound }
    }
}

extension CeleriacApp {
    /// One periodic task, as the `schedules` view shows it.
    public struct ScheduleStatus: Sendable, Equatable {
        public var name: String
        public var task: String
        /// The cron expression, or `every Ns`.
        public var schedule: String
        public var timeZone: String
        public var enabled: Bool
        public var nextRunAt: Date?
        public var lastRunAt: Date?
        public var totalRunCount: Int
        /// How late beat is with the next run, in seconds (0 when on time or disabled).
        public var lateBy: Double
        /// How its latest run ended (a task state), if it ran.
        public var lastState: String?
        public var lastError: String?
    }

    /// Every periodic task (the `schedules` view).
    public func schedules() async throws -> [ScheduleStatus] {
        let sql = try self.sql
        return try await retryingRun { connection in
            try connection.rows(SQL.Views.Schedules(), in: sql).map {
                ScheduleStatus(
                    name: $0.name, task: $0.task, schedule: $0.schedule, timeZone: $0.timeZone, enabled: $0.enabled,
                    nextRunAt: $0.nextRunAt.map(Date.init(timeIntervalSince1970:)),
                    lastRunAt: $0.lastRunAt.map(Date.init(timeIntervalSince1970:)), totalRunCount: $0.totalRunCount,
                    lateBy: $0.lateBySeconds, lastState: $0.lastState, lastError: $0.lastError)
            }
        }
    }
}

extension CeleriacApp {
    /// A task of a chain, as the task page shows it.
    public struct ChainStep: Sendable, Equatable {
        public var id: UUID
        public var name: String
        /// A task state, or `pending` for a step not sent yet.
        public var state: String
        /// The step before it (whose result it receives).
        public var parentID: UUID?
    }

    /// The chain `id` belongs to, first task first, with the steps still to come; empty for a
    /// task that is in no chain and has no parent or children.
    public func chain(of id: UUID) async throws -> [ChainStep] {
        let sql = try self.sql
        let steps = try await retryingRun { connection in
            try connection.rows(SQL.Views.ChainSteps(id: id), in: sql).map {
                ChainStep(id: $0.id, name: $0.name, state: $0.state, parentID: $0.parentId)
            }
        }
        return steps.count > 1 ? steps : []
    }
}
