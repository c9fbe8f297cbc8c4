import CeleriacPostgres
import Foundation

/// One setting as `celeriac config` prints it.
public struct ConfigurationEntry: Sendable, Equatable {
    /// The property of ``Configuration``.
    public var name: String
    /// The environment variable that sets it, if any.
    public var variable: String?
    /// Its value in force, as text; passwords in URLs are masked.
    public var value: String
}

extension Configuration {
    /// Every setting with the variable that sets it and its value in force, passwords masked:
    /// what `celeriac config` prints.
    public var entries: [ConfigurationEntry] {
        func seconds(_ duration: Duration?) -> String { duration.map { String(format: "%g s", $0.seconds) } ?? "none" }
        func list(_ values: [String: String]) -> String {
            values.isEmpty ? "none" : values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        }
        let rows: [(String, String?, String)] = [
            ("databaseURL", "CELERIAC_DATABASE_URL", DatabaseURL.mask(databaseURL)),
            ("listenDatabaseURL", "CELERIAC_LISTEN_DATABASE_URL", listenDatabaseURL.map(DatabaseURL.mask) ?? "none (databaseURL)"),
            ("schema", "CELERIAC_SCHEMA", schema),
            ("taskDefaultQueue", "CELERIAC_DEFAULT_QUEUE", taskDefaultQueue),
            ("taskRoutes", "CELERIAC_TASK_ROUTES", list(taskRoutes)),
            ("queueConcurrencyLimits", "CELERIAC_QUEUE_CONCURRENCY_LIMITS", list(queueConcurrencyLimits.mapValues(String.init))),
            ("taskDefaultPriority", "CELERIAC_DEFAULT_PRIORITY", String(taskDefaultPriority)),
            ("taskTrackStarted", "CELERIAC_TASK_TRACK_STARTED", String(taskTrackStarted)),
            ("taskTimeLimit", "CELERIAC_TASK_TIME_LIMIT", seconds(taskTimeLimit)),
            ("taskSoftTimeLimit", "CELERIAC_TASK_SOFT_TIME_LIMIT", seconds(taskSoftTimeLimit)),
            ("resultExpires", "CELERIAC_RESULT_EXPIRES", seconds(resultExpires)),
            ("taskAcksLate", "CELERIAC_TASK_ACKS_LATE", String(taskAcksLate)),
            ("taskAlwaysEager", "CELERIAC_TASK_ALWAYS_EAGER", String(taskAlwaysEager)),
            ("taskRejectOnWorkerLost", "CELERIAC_TASK_REJECT_ON_WORKER_LOST", String(taskRejectOnWorkerLost)),
            ("taskDefaultMaxRetries", "CELERIAC_DEFAULT_MAX_RETRIES", String(taskDefaultMaxRetries)),
            ("taskDefaultRetryDelay", "CELERIAC_DEFAULT_RETRY_DELAY", seconds(taskDefaultRetryDelay)),
            ("maxPayloadBytes", "CELERIAC_MAX_PAYLOAD_BYTES", String(maxPayloadBytes)),
            ("workerConcurrency", "CELERIAC_WORKER_CONCURRENCY", String(workerConcurrency)),
            ("workerClaimBatchSize", "CELERIAC_CLAIM_BATCH_SIZE", String(workerClaimBatchSize)),
            ("workerCompletionBatchSize", "CELERIAC_COMPLETION_BATCH_SIZE", String(workerCompletionBatchSize)),
            ("workerSendTaskEvents", "CELERIAC_WORKER_SEND_TASK_EVENTS", String(workerSendTaskEvents)),
            ("workerPollInterval", "CELERIAC_POLL_INTERVAL", seconds(workerPollInterval)),
            ("workerHeartbeatInterval", "CELERIAC_HEARTBEAT_SECONDS", seconds(workerHeartbeatInterval)),
            ("workerLeaseDuration", "CELERIAC_LEASE_SECONDS", seconds(workerLeaseDuration)),
            ("workerShutdownGrace", "CELERIAC_SHUTDOWN_GRACE", seconds(workerShutdownGrace)),
            ("producerPoolSize", "CELERIAC_PRODUCER_POOL_SIZE", String(producerPoolSize)),
            ("databaseRetryTimeout", "CELERIAC_DATABASE_RETRY_SECONDS", seconds(databaseRetryTimeout)),
            ("maintenanceInterval", "CELERIAC_MAINTENANCE_INTERVAL", seconds(maintenanceInterval)),
            ("priorityAging", "CELERIAC_PRIORITY_AGING", seconds(priorityAging)),
            ("beatSchedule", nil, beatSchedule.isEmpty ? "none" : beatSchedule.map(\.name).joined(separator: ", ")),
        ]
        return rows.map { ConfigurationEntry(name: $0.0, variable: $0.1, value: $0.2) }
    }
}
