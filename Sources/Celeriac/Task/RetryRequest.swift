/// Thrown by a task to be run again later: `throw task.retry(because: error)`.
///
/// The worker reschedules the task (state ``TaskState/retry``) after `countdown`, or
/// fails it with `cause` once the task's `maxRetries` is used up.
public struct RetryRequest: Error, Sendable, CustomStringConvertible {
    /// The error that made the task retry (reported in logs and kept as the last error).
    public let cause: (any Error)?
    /// The delay before the next attempt; nil uses the task's `defaultRetryDelay`.
    public let countdown: Duration?
    /// Overrides the task's retry limit for this decision.
    public let maxRetries: Int?

    public init(because cause: (any Error)? = nil, countdown: Duration? = nil, maxRetries: Int? = nil) {
        self.cause = cause
        self.countdown = countdown
        self.maxRetries = maxRetries
    }

    public var description: String {
        cause.map { "Retry(\(ErrorInfo($0)))" } ?? "Retry"
    }
}
