/// Which errors make a task retry by themselves (Celery's `autoretry_for`): a task that throws
/// one is rescheduled as if it had thrown `task.retry(because: error)`, with the task's retry
/// limit, backoff and delay; after the last attempt it fails with that error.
///
/// ```swift
/// let fetch = app.task("feeds.fetch", options: TaskOptions(maxRetries: 5, retryBackoff: RetryBackoff(),
///                                                         autoretryFor: [ErrorMatcher(URLError.self)])) { … }
/// ```
public struct ErrorMatcher: Sendable {
    /// The error type's name, for logs.
    public let name: String
    private let matches: @Sendable (any Error) -> Bool

    /// Matches errors of type `type` (and, for classes, of its subclasses).
    public init<E: Error>(_ type: E.Type) {
        name = String(describing: type)
        matches = { $0 is E }
    }

    /// Matches the errors `predicate` accepts.
    public init(name: String, _ predicate: @escaping @Sendable (any Error) -> Bool) {
        self.name = name
        matches = predicate
    }

    /// Whether `error` is one of these.
    public func callAsFunction(_ error: any Error) -> Bool { matches(error) }
}
