import CeleriacPostgres
import Foundation

/// Every setting of a Celeriac app, with Celery's names in the comments.
///
/// Settings can be assigned in code (`app.conf.workerConcurrency = 2`) or taken from
/// environment variables (see ``applyEnvironment(_:)``); command-line flags override both.
public struct Configuration: Sendable {
    /// The PostgreSQL URL or conninfo string (`CELERIAC_DATABASE_URL`). Used as both
    /// broker and result backend.
    public var databaseURL: String = "postgres://localhost:5432/celeriac"
    /// A direct URL (not through a transaction pooler) for the sessions that LISTEN and keep
    /// session settings: a worker's consumer, its maintenance service, and beat
    /// (`CELERIAC_LISTEN_DATABASE_URL`). Nil: ``databaseURL``. Producers always use
    /// ``databaseURL``, which may go through a pooler (`?pooler=transaction`).
    public var listenDatabaseURL: String?
    /// The schema holding Celeriac's tables (`CELERIAC_SCHEMA`, default `celeriac`).
    public var schema: String = "celeriac"

    /// `task_track_started`: a worker with it reports ``TaskState/started`` while it runs a
    /// task (otherwise a running task reads as ``TaskState/pending``, as in Celery). The worker
    /// running the task decides, whoever reads the state.
    public var taskTrackStarted: Bool = false
    /// `task_time_limit`: the hard limit on one attempt (enforced by the process pool).
    public var taskTimeLimit: Duration?
    /// `task_soft_time_limit`: when the running task is cancelled cooperatively.
    public var taskSoftTimeLimit: Duration?
    /// `result_expires`: how long final results are kept (default one day; nil keeps them).
    public var resultExpires: Duration? = .seconds(86_400)
    /// `task_default_queue`.
    public var taskDefaultQueue: String = "celery"
    /// `task_routes`: task-name patterns (`*` wildcards) to queue names. The first
    /// matching pattern, in lexical order of patterns, wins; exact names win over patterns.
    public var taskRoutes: [String: String] = [:]
    /// Fleet-wide concurrency limits per queue: at most that many tasks of the queue run at
    /// once, whichever workers consume it (``ConcurrencyLimit``, key `queue:<name>`). The
    /// producer marks each task it sends to the queue; a task's or a call's own concurrency
    /// limit wins over its queue's.
    public var queueConcurrencyLimits: [String: Int] = [:]
    /// `task_default_priority` (0…255, higher runs first).
    public var taskDefaultPriority: Int = 0
    /// `task_acks_late`: a task whose worker dies is run again (at-least-once) instead of failed.
    public var taskAcksLate: Bool = false
    /// `task_always_eager` (`CELERIAC_TASK_ALWAYS_EAGER`): `delay`, `applyAsync`, `enqueue` and
    /// canvases run their tasks in this process at once, instead of inserting them, and their
    /// results are read from memory. For tests without a database (the README says what
    /// is kept of a real run: order, arguments, chords, failures, retries, links; not
    /// countdowns, limits or queues). Tasks enqueued inside your own transaction are still
    /// inserted.
    public var taskAlwaysEager: Bool = false
    /// `task_reject_on_worker_lost`: with acks-late, re-queue tasks whose worker died.
    public var taskRejectOnWorkerLost: Bool = false
    /// `task_default_max_retries` (Celery: 3).
    public var taskDefaultMaxRetries: Int = 3
    /// `task_default_retry_delay` (Celery: 3 minutes).
    public var taskDefaultRetryDelay: Duration = .seconds(180)
    /// The largest accepted JSON payload (arguments, results), in bytes
    /// (`CELERIAC_MAX_PAYLOAD_BYTES`). Workers write it to `settings`, where
    /// `celeriac.enqueue()` reads it, so SQL producers get the same limit.
    public var maxPayloadBytes: Int = 1 << 20

    /// `worker_concurrency`: tasks a worker runs at once (default: the number of cores).
    public var workerConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount
    /// The most tasks claimed in one statement (claims are also capped by free slots).
    public var workerClaimBatchSize: Int = 100
    /// The most completions written in one statement.
    public var workerCompletionBatchSize: Int = 500
    /// `worker_send_task_events` (`CELERIAC_WORKER_SEND_TASK_EVENTS`; `worker -E`): record
    /// every task's received, started and outcome events, and the worker's heartbeats, in
    /// the `events` table (off by default, as in Celery).
    public var workerSendTaskEvents: Bool = false
    /// How often an idle worker polls even without a notification.
    public var workerPollInterval: Duration = .seconds(1)
    /// How often a worker renews its leases and its registry row.
    public var workerHeartbeatInterval: Duration = .seconds(5)
    /// How long a claim stays valid without renewal (database clock).
    public var workerLeaseDuration: Duration = .seconds(20)
    /// How long a warm shutdown waits for running tasks.
    public var workerShutdownGrace: Duration = .seconds(60)
    /// Connections a producer opens at most.
    public var producerPoolSize: Int = 4
    /// How long a call keeps retrying while the database cannot be reached
    /// (`CELERIAC_DATABASE_RETRY_SECONDS`); each retry is logged with its reason. A connection
    /// the server rejects for good (wrong password, unknown database) fails at once.
    public var databaseRetryTimeout: Duration = .seconds(15)

    /// `beat_schedule`: periodic tasks defined in code, written to `periodic_tasks` when
    /// beat starts (rows edited since with SQL or the CLI are left alone).
    public var beatSchedule: [PeriodicTask] = []
    /// How often maintenance (lease rescue, result pruning) runs on the elected node; at
    /// most a quarter of ``workerLeaseDuration`` is used, so rescue stays within lease + interval.
    public var maintenanceInterval: Duration = .seconds(5)
    /// Priority aging (`CELERIAC_PRIORITY_AGING`, seconds; 0 turns it off): a task due in its
    /// queue gains one priority level for every such interval it has waited, up to 255, so
    /// low priorities never starve under steady high-priority load. Its own priority stays
    /// in the row's options (`aged_from`). Done by maintenance, so at most every
    /// ``maintenanceInterval``.
    public var priorityAging: Duration? = .seconds(60)

    public init() {}

    /// Overrides settings from the `CELERIAC_*` environment variables that are set: every
    /// setting but the beat schedule has one (``entries`` names each; the README's
    /// Configuration table gives their forms). Durations are seconds, flags true/false,
    /// maps `name=value` pairs separated by commas.
    ///
    /// Every well-formed variable is applied, whatever comes before it.
    /// - Throws: one ``ConfigurationError`` naming every variable that does not parse.
    public mutating func applyEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var problems: [String] = []
        func seconds(_ key: String, _ apply: (Duration) -> Void) {
            guard let text = environment[key] else { return }
            guard let value = Double(text), value >= 0, value.isFinite else {
                problems.append("\(key) must be a number of seconds, got '\(text)'")
                return
            }
            apply(.fromSeconds(value))
        }
        func flag(_ key: String, _ apply: (Bool) -> Void) {
            guard let text = environment[key]?.lowercased() else { return }
            switch text {
            case "1", "true", "yes", "on": apply(true)
            case "0", "false", "no", "off": apply(false)
            default: problems.append("\(key) must be true or false, got '\(text)'")
            }
        }
        if let value = environment["CELERIAC_DATABASE_URL"], !value.isEmpty { databaseURL = value }
        if let value = environment["CELERIAC_LISTEN_DATABASE_URL"], !value.isEmpty { listenDatabaseURL = value }
        if let value = environment["CELERIAC_SCHEMA"], !value.isEmpty { schema = value }
        if let value = environment["CELERIAC_DEFAULT_QUEUE"], !value.isEmpty { taskDefaultQueue = value }
        func integer(_ key: String, _ apply: (Int) -> Void) {
            guard let text = environment[key] else { return }
            if let value = Int(text) { apply(value) } else { problems.append("\(key) must be an integer, got '\(text)'") }
        }
        /// `name=value,name=value`, as `celeriac config` prints maps.
        func pairs(_ key: String, _ apply: ([String: String]) -> Void) {
            guard let text = environment[key], !text.isEmpty else { return }
            var map: [String: String] = [:]
            for item in text.split(separator: ",") {
                let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    problems.append("\(key) takes name=value pairs separated by commas, got '\(item)'")
                    return
                }
                map[parts[0]] = parts[1]
            }
            apply(map)
        }
        integer("CELERIAC_WORKER_CONCURRENCY") { workerConcurrency = $0 }
        integer("CELERIAC_DEFAULT_PRIORITY") { taskDefaultPriority = $0 }
        integer("CELERIAC_DEFAULT_MAX_RETRIES") { taskDefaultMaxRetries = $0 }
        integer("CELERIAC_CLAIM_BATCH_SIZE") { workerClaimBatchSize = $0 }
        integer("CELERIAC_COMPLETION_BATCH_SIZE") { workerCompletionBatchSize = $0 }
        integer("CELERIAC_PRODUCER_POOL_SIZE") { producerPoolSize = $0 }
        flag("CELERIAC_TASK_TRACK_STARTED") { taskTrackStarted = $0 }
        seconds("CELERIAC_DEFAULT_RETRY_DELAY") { taskDefaultRetryDelay = $0 }
        seconds("CELERIAC_SHUTDOWN_GRACE") { workerShutdownGrace = $0 }
        pairs("CELERIAC_TASK_ROUTES") { taskRoutes = $0 }
        pairs("CELERIAC_QUEUE_CONCURRENCY_LIMITS") { map in
            var limits: [String: Int] = [:]
            for (queue, text) in map {
                guard let value = Int(text), value > 0 else {
                    problems.append("CELERIAC_QUEUE_CONCURRENCY_LIMITS: the limit of '\(queue)' must be a positive integer, got '\(text)'")
                    return
                }
                limits[queue] = value
            }
            queueConcurrencyLimits = limits
        }
        seconds("CELERIAC_RESULT_EXPIRES") { resultExpires = $0 }
        flag("CELERIAC_TASK_ACKS_LATE") { taskAcksLate = $0 }
        flag("CELERIAC_TASK_ALWAYS_EAGER") { taskAlwaysEager = $0 }
        flag("CELERIAC_WORKER_SEND_TASK_EVENTS") { workerSendTaskEvents = $0 }
        flag("CELERIAC_TASK_REJECT_ON_WORKER_LOST") { taskRejectOnWorkerLost = $0 }
        seconds("CELERIAC_TASK_TIME_LIMIT") { taskTimeLimit = $0 }
        seconds("CELERIAC_TASK_SOFT_TIME_LIMIT") { taskSoftTimeLimit = $0 }
        seconds("CELERIAC_LEASE_SECONDS") { workerLeaseDuration = $0 }
        seconds("CELERIAC_HEARTBEAT_SECONDS") { workerHeartbeatInterval = $0 }
        seconds("CELERIAC_POLL_INTERVAL") { workerPollInterval = $0 }
        seconds("CELERIAC_MAINTENANCE_INTERVAL") { maintenanceInterval = $0 }
        seconds("CELERIAC_PRIORITY_AGING") { priorityAging = $0 > .zero ? $0 : nil }
        seconds("CELERIAC_DATABASE_RETRY_SECONDS") { databaseRetryTimeout = $0 }
        if let text = environment["CELERIAC_MAX_PAYLOAD_BYTES"] {
            if let value = Int(text), value > 0 {
                maxPayloadBytes = value
            } else {
                problems.append("CELERIAC_MAX_PAYLOAD_BYTES must be a positive integer, got '\(text)'")
            }
        }
        if !problems.isEmpty { throw ConfigurationError(problems.joined(separator: "; ")) }
    }

    /// Checks every setting and names the first bad one.
    public func validate() throws {
        guard SQLText.isSafeIdentifier(schema) else {
            throw ConfigurationError(
                "invalid schema name '\(schema)': use lower-case letters, digits and _ (at most 48 characters)"
            )
        }
        try QueueName.validate(taskDefaultQueue)
        for (pattern, queue) in taskRoutes {
            do { try QueueName.validate(queue) } catch {
                throw ConfigurationError("task_routes['\(pattern)']: \(error)")
            }
        }
        guard workerConcurrency >= 1 else {
            throw ConfigurationError("worker_concurrency must be at least 1, got \(workerConcurrency)")
        }
        guard (0...255).contains(taskDefaultPriority) else {
            throw ConfigurationError("task_default_priority must be between 0 and 255, got \(taskDefaultPriority)")
        }
        guard workerClaimBatchSize >= 1, workerCompletionBatchSize >= 1 else {
            throw ConfigurationError("claim and completion batch sizes must be at least 1")
        }
        guard workerLeaseDuration > workerHeartbeatInterval * 2 else {
            throw ConfigurationError(
                "the lease (\(workerLeaseDuration)) must be longer than two heartbeats (\(workerHeartbeatInterval))"
            )
        }
        var names = Set<String>()
        for periodic in beatSchedule {
            try periodic.validate()
            guard names.insert(periodic.name).inserted else {
                throw ConfigurationError("beat_schedule has two periodic tasks named '\(periodic.name)'")
            }
        }
        guard maintenanceInterval > .zero else {
            throw ConfigurationError("the maintenance interval must be positive, got \(maintenanceInterval)")
        }
        guard maxPayloadBytes > 0 else { throw ConfigurationError("max payload bytes must be positive") }
        if let soft = taskSoftTimeLimit, let hard = taskTimeLimit, soft > hard {
            throw ConfigurationError("task_soft_time_limit (\(soft)) is longer than task_time_limit (\(hard))")
        }
        _ = try DatabaseURL(databaseURL)
        if let listenDatabaseURL {
            guard !(try DatabaseURL(listenDatabaseURL)).pooled else {
                throw ConfigurationError("the listen database URL must be direct, not through a pooler (pooler=transaction)")
            }
        }
    }

    /// The URL of long-lived sessions (worker, maintenance, beat): ``listenDatabaseURL``, else
    /// ``databaseURL``.
    public var sessionDatabaseURL: String { listenDatabaseURL ?? databaseURL }

    /// The queue a task goes to when the caller names none: routes first, then the default queue.
    public func queue(forTask name: String) -> String {
        if let exact = taskRoutes[name] { return exact }
        for pattern in taskRoutes.keys.sorted() where Glob.matches(pattern, name) {
            if let queue = taskRoutes[pattern] { return queue }
        }
        return taskDefaultQueue
    }
}

/// A setting that is missing or malformed.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Queue name rules, shared with the `tasks.queue` check constraint.
public enum QueueName {
    /// Throws a ``ConfigurationError`` unless `name` uses letters, digits and `_ . : @ -`
    /// (1 to 100 characters).
    public static func validate(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
                || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "-")
        }
        guard allowed, (1...100).contains(name.utf8.count) else {
            throw ConfigurationError(
                "invalid queue name '\(name)': use letters, digits and _ . : @ - (1 to 100 characters)"
            )
        }
    }
}

/// Shell-style `*` patterns for task routes.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return pattern == text }
        var rest = Substring(text)
        guard let first = parts.first, rest.hasPrefix(first) else { return false }
        rest = rest.dropFirst(first.count)
        for (index, part) in parts.enumerated().dropFirst() {
            if index == parts.count - 1 { return part.isEmpty || rest.hasSuffix(part) }
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }
}
