import Foundation

/// One task row ready to insert: what ``TaskDefinition/delay(_:)`` and friends send.
///
/// Build one with ``TaskDefinition/message(_:options:)`` to enqueue in bulk
/// (``CeleriacApp/enqueue(_:)-([TaskMessage])``) or on your own transaction
/// (``Transaction/enqueue(_:)``).
public struct TaskMessage: Sendable {
    /// The id, known before insert (time-ordered).
    public var id: UUID
    /// The registered task name.
    public var name: String
    /// Positional arguments as a JSON array.
    public var args: String
    /// Keyword arguments as a JSON object.
    public var kwargs: String
    /// The queue (already routed and validated).
    public var queue: String
    /// 0…255, higher first.
    public var priority: Int
    /// Run no earlier than this long after insert (database clock).
    public var countdown: Duration?
    /// Run no earlier than this moment.
    public var eta: Date?
    /// Revoke instead of running after this moment.
    public var expires: Date?
    /// Overrides the task's retry limit.
    public var maxRetries: Int?
    /// The row options: what a worker or the rescuer needs to know without the task's code.
    public var options = TaskRowOptions()
    /// The remaining chain steps, a JSON array (see `ChainStepRecord`).
    public var chain: String? = nil
    /// The task whose result created this one.
    public var parentID: UUID? = nil
    /// The first task of its chain.
    public var rootID: UUID? = nil

    /// Due as soon as it is inserted (no countdown or eta).
    var isDueNow: Bool { countdown == nil && eta == nil }

    /// Due now, with no chain, expiry, retry override or parent: the short statements fit it.
    var isSimple: Bool {
        isDueNow && chain == nil && expires == nil && maxRetries == nil && parentID == nil && rootID == nil
    }
}

/// How one call is sent: Celery's `apply_async` options.
public struct CallOptions: Sendable {
    /// Delay before the task may run.
    public var countdown: Duration?
    /// Earliest moment it may run.
    public var eta: Date?
    /// After this moment it is revoked instead of run.
    public var expires: Date?
    /// The queue, overriding routes.
    public var queue: String?
    /// The priority, 0…255.
    public var priority: Int?
    /// A chosen id (default: a new time-ordered UUID).
    public var taskID: UUID?
    /// Overrides the task's retry limit.
    public var maxRetries: Int?
    /// Keyword arguments, as a JSON object (for tasks declaring `argumentNames`).
    public var kwargs: String?
    /// Makes this call's task unique (``Uniqueness``), overriding the task's own.
    public var unique: Uniqueness?
    /// Overrides the task's `acks_late` for this call.
    public var acksLate: Bool?
    /// Overrides the task's hard time limit for this call (prefork pool).
    public var timeLimit: Duration?
    /// Overrides the task's soft time limit for this call.
    public var softTimeLimit: Duration?
    /// Overrides the task's `ignore_result` for this call.
    public var ignoreResult: Bool?
    /// Overrides the task's wait before a retry (`default_retry_delay`) for this call.
    public var defaultRetryDelay: Duration?
    /// Overrides the task's retry backoff for this call (``RetryBackoff``).
    public var retryBackoff: RetryBackoff?
    /// Overrides the task's rate limit for this call (``RateLimit``).
    public var rateLimit: RateLimit?
    /// Overrides the task's concurrency limit for this call (``ConcurrencyLimit``).
    public var concurrencyLimit: ConcurrencyLimit?

    /// Expires `duration` from now (Celery's `expires=60`): after that the task is never
    /// started and ends REVOKED with reason "expired".
    public static func expiring(in duration: Duration, _ options: CallOptions = CallOptions()) -> CallOptions {
        var copy = options
        copy.expires = Date().addingTimeInterval(duration.seconds)
        return copy
    }

    public init(
        countdown: Duration? = nil,
        eta: Date? = nil,
        expires: Date? = nil,
        queue: String? = nil,
        priority: Int? = nil,
        taskID: UUID? = nil,
        maxRetries: Int? = nil,
        kwargs: String? = nil,
        unique: Uniqueness? = nil,
        acksLate: Bool? = nil,
        timeLimit: Duration? = nil,
        softTimeLimit: Duration? = nil,
        ignoreResult: Bool? = nil
    ) {
        self.countdown = countdown
        self.eta = eta
        self.expires = expires
        self.queue = queue
        self.priority = priority
        self.taskID = taskID
        self.maxRetries = maxRetries
        self.kwargs = kwargs
        self.unique = unique
        self.acksLate = acksLate
        self.timeLimit = timeLimit
        self.softTimeLimit = softTimeLimit
        self.ignoreResult = ignoreResult
    }
}
