/// Options of one task type; anything left nil falls back to the app's configuration.
public struct TaskOptions: Sendable {
    /// The queue calls go to unless the caller names one (after routes: explicit > task > routes > default).
    public var queue: String?
    /// The priority calls get unless the caller sets one (0…255, higher first).
    public var priority: Int?
    /// `max_retries`: how many times ``TaskContext/retry(because:countdown:maxRetries:)`` may reschedule.
    public var maxRetries: Int?
    /// `default_retry_delay`.
    public var defaultRetryDelay: Duration?
    /// Exponential waits between retries, with a cap and jitter (Celery's `retry_backoff`);
    /// when set it replaces ``defaultRetryDelay``.
    public var retryBackoff: RetryBackoff?
    /// Errors that make the task retry by themselves (Celery's `autoretry_for`): see
    /// ``ErrorMatcher``.
    public var autoretryFor: [ErrorMatcher] = []
    /// Makes every call of the task unique (``Uniqueness``) unless the call says otherwise.
    public var unique: Uniqueness?
    /// How often calls may start, across the fleet (``RateLimit``, Celery's `rate_limit`).
    public var rateLimit: RateLimit?
    /// How many calls may run at once, across the fleet (``ConcurrencyLimit``).
    public var concurrencyLimit: ConcurrencyLimit?
    /// `acks_late`: run again rather than fail when the worker dies mid-task.
    public var acksLate: Bool?
    /// `time_limit`: the hard limit of one attempt.
    public var timeLimit: Duration?
    /// `soft_time_limit`.
    public var softTimeLimit: Duration?
    /// `ignore_result`: keep no results row for a success (its ``AsyncResult`` stays
    /// pending, as in Celery). The value still goes to the next step of a chain; a failure is
    /// kept, for inspection.
    public var ignoreResult: Bool = false
    /// Names of the positional parameters, so callers may pass keyword arguments.
    public var argumentNames: [String] = []
    /// Whether claims and completions wait for the disk (``Durability``; `.relaxed` only
    /// with `acksLate`).
    public var durability: Durability = .durable

    public init(
        queue: String? = nil,
        priority: Int? = nil,
        maxRetries: Int? = nil,
        defaultRetryDelay: Duration? = nil,
        acksLate: Bool? = nil,
        timeLimit: Duration? = nil,
        softTimeLimit: Duration? = nil,
        ignoreResult: Bool = false,
        argumentNames: [String] = [],
        durability: Durability = .durable,
        retryBackoff: RetryBackoff? = nil,
        unique: Uniqueness? = nil,
        rateLimit: RateLimit? = nil,
        concurrencyLimit: ConcurrencyLimit? = nil,
        autoretryFor: [ErrorMatcher] = []
    ) {
        self.queue = queue
        self.priority = priority
        self.maxRetries = maxRetries
        self.defaultRetryDelay = defaultRetryDelay
        self.acksLate = acksLate
        self.timeLimit = timeLimit
        self.softTimeLimit = softTimeLimit
        self.ignoreResult = ignoreResult
        self.argumentNames = argumentNames
        self.durability = durability
        self.retryBackoff = retryBackoff
        self.unique = unique
        self.rateLimit = rateLimit
        self.concurrencyLimit = concurrencyLimit
        self.autoretryFor = autoretryFor
    }
}
