import Foundation
import Logging

/// What a bound task knows about the current attempt (Celery's `self.request`).
///
/// ```swift
/// let flaky = app.task("tasks.flaky_task", maxRetries: 3, defaultRetryDelay: .seconds(5)) { task in
///     if Bool.random() { throw task.retry(because: ValueError("Ой, упал!")) }
///     return "Всё ок!"
/// }
/// ```
public struct TaskContext: Sendable {
    /// The task id.
    public let id: UUID
    /// The registered task name.
    public let name: String
    /// The queue it was claimed from.
    public let queue: String
    /// How many times it has been claimed, this attempt included (1 on the first run).
    public let attempt: Int
    /// How many retries were already scheduled (0 on the first run).
    public let retries: Int
    /// The retry limit in force.
    public let maxRetries: Int
    /// The worker node running it, e.g. `celeriac@host`.
    public let hostname: String
    /// The worker process holding this attempt's lease (the `owner` column). With
    /// ``attempt`` it is a fencing token: a write of your own made conditional on
    /// `tasks.owner = owner AND tasks.attempt = attempt` cannot land once the task was
    /// rescued from a worker that lost its lease.
    public let owner: String
    /// The first task of the chain this task belongs to (its own id when it has none).
    public let rootID: UUID
    /// The task whose result started this one, in a chain.
    public let parentID: UUID?
    /// A logger labelled with the pool slot running the task, with the task's id, name and
    /// attempt and the worker's node name as metadata (`task_id`, `task_name`, `task_attempt`,
    /// `worker`): Celery's format prints `name[id]: message`.
    public let logger: Logger

    /// A request to run this task again: `throw task.retry(because: error)`.
    /// - Parameters:
    ///   - cause: the error to report (and to fail with once retries are used up).
    ///   - countdown: the delay before the next attempt (default: the task's `defaultRetryDelay`).
    ///   - maxRetries: overrides the task's limit for this decision.
    public func retry(because cause: (any Error)? = nil, countdown: Duration? = nil, maxRetries: Int? = nil) -> RetryRequest {
        RetryRequest(because: cause, countdown: countdown, maxRetries: maxRetries)
    }

    /// A request to put this task off without using up a retry (as Oban's and River's
    /// snooze): `throw task.snooze(for: .seconds(30))`. It is queued again after `delay`;
    /// ``retries`` stays as it is and ``attempt`` counts the next run.
    public func snooze(for delay: Duration) -> SnoozeRequest {
        SnoozeRequest(delay: delay)
    }
}
