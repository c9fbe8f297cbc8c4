/// Makes a task unique (`CallOptions.unique`, or `TaskOptions.unique` for every call of a
/// task): at most one task with the same key exists among the unfinished ones (queued,
/// scheduled, started or retrying), and, with a ``window``, for that long after it finished.
///
/// The database enforces it (`unique_keys`, migration 0025), whoever sends the task: Swift,
/// bulk enqueue, `celeriac.enqueue(…, options => '{"unique_key": "…"}')` or another language.
/// Producers racing with the same key make one task. A call whose key is held gets the holding
/// task's id back: `delay` returns an ``AsyncResult`` of that task.
///
/// ```swift
/// let report = app.task("reports.build") { (account: Int) async throws -> String in "done" }
/// let first = try await report.applyAsync(42, options: CallOptions(unique: Uniqueness()))
/// let again = try await report.applyAsync(42, options: CallOptions(unique: Uniqueness()))
/// // first.id == again.id while the first has not finished
/// ```
public struct Uniqueness: Sendable, Hashable {
    /// What a call does when its key is held.
    public enum Policy: String, Sendable, Hashable {
        /// Keep the task holding the key; the call gets its id.
        case reject
        /// The same, and while that task has not started, give it this call's arguments,
        /// options, queue, priority and schedule.
        case replace
    }

    /// The key; nil makes it from the task's name and arguments (the same arguments, however
    /// their JSON was spelled, give the same key).
    public var key: String?
    /// What a call does when its key is held.
    public var policy: Policy
    /// How long the key stays held after the task finished (succeeded, failed or revoked);
    /// nil frees it at once. It is read from the task's results row: at most the app's
    /// `result_expires`, and none for a task with `ignoreResult`.
    public var window: Duration?

    /// - Parameters:
    ///   - key: at most 1,000 characters; nil for the task's name and arguments.
    ///   - policy: ``Policy/reject`` (the default) or ``Policy/replace``.
    ///   - window: how long the key stays held after the task finished.
    public init(key: String? = nil, policy: Policy = .reject, window: Duration? = nil) {
        self.key = key
        self.policy = policy
        self.window = window
    }
}
