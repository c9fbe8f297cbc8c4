/// Exponential backoff between a task's retries (Celery's `retry_backoff`,
/// `retry_backoff_max` and `retry_jitter`): the n-th retry waits `base × 2ⁿ` (n from 0), at
/// most ``maximum``; with ``jitter`` ("full jitter") a uniformly random time between zero and
/// that, so that tasks failing together do not retry together.
///
/// ```swift
/// let fetch = app.task("tasks.fetch", options: TaskOptions(maxRetries: 8, retryBackoff: RetryBackoff(base: .seconds(1)))) {
///     (url: String) async throws -> Int in …
/// }
/// ```
///
/// A countdown given to ``TaskContext/retry(because:countdown:maxRetries:)`` wins over it.
public struct RetryBackoff: Sendable, Hashable {
    /// The wait before the first retry (before jitter).
    public var base: Duration
    /// The longest wait (Celery's `retry_backoff_max`, 600 s by default).
    public var maximum: Duration
    /// Draw the wait uniformly between zero and the exponential value (`retry_jitter`).
    public var jitter: Bool

    /// - Parameters:
    ///   - base: the first retry's wait; Celery's `retry_backoff=True` is one second.
    ///   - maximum: the cap on any wait.
    ///   - jitter: randomise each wait between zero and its exponential value.
    public init(base: Duration = .seconds(1), maximum: Duration = .seconds(600), jitter: Bool = true) {
        self.base = base
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The wait before retry number `retries + 1` (`retries` already made).
    public func delay(afterRetries retries: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterRetries: retries, using: &generator)
    }

    /// The wait before retry number `retries + 1`, drawing jitter from `generator`.
    public func delay(afterRetries retries: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let cap = max(0, maximum.seconds)
        // 2^62 overflows nothing here: the exponent is bounded before the multiplication.
        let exponential = min(cap, max(0, base.seconds) * Double(1 << min(max(0, retries), 62)))
        let seconds = jitter && exponential > 0 ? Double.random(in: 0...exponential, using: &generator) : exponential
        return .fromSeconds(seconds)
    }
}
