import Foundation

/// Something that happened to a task or a worker, as the worker saw it: what events (`-E`),
/// metrics, hooks and tracing are built from (see ``LifecycleObserver``).
public struct LifecycleEvent: Sendable, Hashable {
    /// What happened.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The worker claimed the task (Celery's `task-received`).
        case claimed
        /// The task was handed to a slot of the pool and runs.
        case started
        /// Its success was stored (fenced: only the attempt's owner can store it).
        case succeeded
        /// Its failure was stored.
        case failed
        /// A retry was scheduled.
        case retried
        /// It was put off (``TaskContext/snooze(for:)``) without using up a retry.
        case snoozed
        /// It was revoked instead of run (e.g. expired).
        case revoked
        /// Its lease was lost while it ran here (it was rescued or given back): it is stopped
        /// here, or its outcome was refused by the fence. ``count`` tells how many tasks when
        /// the worker lost all its leases at once.
        case leaseLost
        /// The maintenance leader rescued tasks whose worker lost its lease (``count`` of them).
        case rescued
        /// The worker registered and is ready.
        case workerOnline
        /// The worker stopped.
        case workerOffline
    }

    /// What happened.
    public var kind: Kind
    /// The worker instance that saw it (its lease owner id).
    public var worker: String
    /// The task, for task events.
    public var taskID: UUID?
    /// The task name, when known.
    public var taskName: String?
    /// The task's queue, when known.
    public var queue: String?
    /// The attempt (1 for the first run), when known.
    public var attempt: Int?
    /// Seconds the attempt ran, for outcomes.
    public var runtime: Double?
    /// The error, for failures, retries and revocations.
    public var error: ErrorInfo?
    /// How many tasks, for ``Kind/rescued``.
    public var count: Int?
    /// Seconds the task waited once due until it was claimed, for ``Kind/claimed``.
    public var wait: Double?

    public init(
        kind: Kind,
        worker: String,
        taskID: UUID? = nil,
        taskName: String? = nil,
        queue: String? = nil,
        attempt: Int? = nil,
        runtime: Double? = nil,
        error: ErrorInfo? = nil,
        count: Int? = nil,
        wait: Double? = nil
    ) {
        self.kind = kind
        self.worker = worker
        self.taskID = taskID
        self.taskName = taskName
        self.queue = queue
        self.attempt = attempt
        self.runtime = runtime
        self.error = error
        self.count = count
        self.wait = wait
    }
}
