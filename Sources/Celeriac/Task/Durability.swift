/// How a task's claim and completion are committed.
///
/// ```swift
/// let thumbnail = app.task(
///     "images.thumbnail", options: TaskOptions(acksLate: true, durability: .relaxed)
/// ) { (path: String) async throws -> String in try await makeThumbnail(path) }
/// ```
public enum Durability: String, Sendable, Codable {
    /// Each claim and completion waits for its WAL to reach disk (PostgreSQL's
    /// `synchronous_commit` as the session has it): once a worker has it, it is kept.
    case durable
    /// Claims and completions made only of such tasks commit with `synchronous_commit = off`:
    /// they do not wait for the disk. Only for `acksLate` tasks, where a lost write means a
    /// run again, never a loss: a worker treats a relaxed task without `acksLate` as durable
    /// (and says so when it starts).
    ///
    /// The window: if the PostgreSQL server crashes (not a worker, not the network), the
    /// commits of about the last `3 × wal_writer_delay` (600 ms by default) may be undone. A
    /// claim undone puts the task back in the queue while its first run may still be going
    /// (the first run's outcome is then refused by the fence, and the task runs again); a
    /// completion undone puts the task back as running, and rescue runs it again when its
    /// lease runs out. Its result, and the next step of its chain, are written again by that
    /// run.
    case relaxed
}
