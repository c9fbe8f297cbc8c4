/// Thrown by a task to be run again later without using up a retry:
/// `throw task.snooze(for: .seconds(30))` (``TaskContext/snooze(for:)``).
///
/// The worker queues the task again to run after `delay`. Its retry count does not change, so
/// a task may snooze any number of times (waiting for a resource, a rate, a time of day);
/// each run is a new attempt, recorded as such, with a `snoozed` event (`-E`) between them.
public struct SnoozeRequest: Error, Sendable, CustomStringConvertible {
    /// How long until the task runs again.
    public let delay: Duration

    public init(delay: Duration) {
        self.delay = delay
    }

    public var description: String { "Snooze(\(delay))" }
}
