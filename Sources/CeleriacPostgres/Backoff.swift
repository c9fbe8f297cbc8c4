/// Exponential backoff with full jitter, for reconnect loops.
///
/// ```swift
/// var backoff = Backoff()
/// while true {
///     do { try connect(); break } catch { sleep(for: backoff.next()) }
/// }
/// ```
package struct Backoff: Sendable {
    /// The first delay's upper bound.
    package var initial: Duration
    /// The largest delay's upper bound.
    package var maximum: Duration
    private var attempt = 0

    package init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The next delay: a random duration in [cap/2, cap], where cap doubles each call up to ``maximum``.
    package mutating func next() -> Duration {
        let factor = 1 << min(attempt, 20)
        attempt += 1
        let cap = min(initial * factor, maximum)
        let capNanos = cap.components.seconds * 1_000_000_000 + cap.components.attoseconds / 1_000_000_000
        let half = max(capNanos / 2, 1)
        return .nanoseconds(half + Int64.random(in: 0...half))
    }

    /// Starts over after a success.
    package mutating func reset() { attempt = 0 }
}
