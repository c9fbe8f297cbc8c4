import Foundation

/// A task a worker has claimed: a row of `tasks.claim` (sql/queries/tasks.sql).
struct ClaimedTask: Sendable, Codable {
    let id: UUID
    let name: String
    let args: String
    let kwargs: String
    let options: String
    let attempt: Int
    let retries: Int
    let maxRetries: Int?
    let queue: String
    let expired: Bool
    let rootID: UUID?
    let parentID: UUID?
    /// Seconds the task waited once due, until this claim (database clock).
    let wait: Double
    /// The row's claim key when it is the last one this claim took from its queue
    /// (``ClaimHints``).
    var claimKey: ClaimHints.Key?
    /// How long the claim took in the database (every row of one claim has about the same).
    var claimSeconds: Double = 0
    /// Whether the claim came back short while a queue may hold more (`tasks.claim`).
    var claimMayHaveMore = false

    init(
        id: UUID, name: String, queue: String, args: String = "[]", kwargs: String = "{}", options: String = "{}",
        attempt: Int = 1, retries: Int = 0, maxRetries: Int? = nil, expired: Bool = false, rootID: UUID? = nil,
        parentID: UUID? = nil, wait: Double = 0
    ) {
        self.id = id
        self.name = name
        self.args = args
        self.kwargs = kwargs
        self.options = options
        self.attempt = attempt
        self.retries = retries
        self.maxRetries = maxRetries
        self.queue = queue
        self.expired = expired
        self.rootID = rootID
        self.parentID = parentID
        self.wait = wait
    }

    init(_ row: SQL.Tasks.Claim.Row) {
        id = row.id
        name = row.name
        args = row.args
        kwargs = row.kwargs
        options = row.options
        attempt = row.attempt
        retries = row.retries
        maxRetries = row.maxRetries
        queue = row.queue
        expired = row.expired
        rootID = row.rootId
        parentID = row.parentId
        wait = row.wait
        claimKey = row.afterRunAt.map { ClaimHints.Key(priority: row.priority, runAt: $0, id: row.id) }
        claimSeconds = row.seconds
        claimMayHaveMore = row.more
    }

    /// `tasks.add[0191…]`, as Celery prints it.
    var label: String { "\(name)[\(id.celeryString)]" }

    /// The row options the producer stored (``TaskRowOptions``).
    var rowOptions: TaskRowOptions { TaskRowOptions(workerReading: options) }
}

/// What happened to one attempt, waiting to be written by `tasks.complete`.
struct Completion: Sendable, Codable {
    enum Outcome: String, Sendable, Codable {
        /// Succeeded; `ignored` when the task has ignore_result: the value still goes down the
        /// chain, but no results row is kept.
        case succeeded, ignored, failed, retry, revoked
        /// Put off by the task itself (``SnoozeRequest``): queued again after `countdown`,
        /// with no retry used up.
        case snoozed
    }

    let id: UUID
    let attempt: Int
    let outcome: Outcome
    /// The result JSON (succeeded) or the error JSON (failed, retry, revoked).
    let payload: String
    /// Seconds until the retry (retry only).
    let countdown: Double
    /// Seconds the attempt ran.
    let runtime: Double
    /// The task name and queue, for logs and lifecycle events.
    let name: String
    let queue: String
    /// Seconds the task waited once due, until it was claimed (for the counters).
    let wait: Double

    init(_ task: ClaimedTask, _ outcome: Outcome, payload: String, countdown: Double = 0, runtime: Double) {
        id = task.id
        attempt = task.attempt
        self.outcome = outcome
        self.payload = payload
        self.countdown = countdown
        self.runtime = runtime
        name = task.name
        queue = task.queue
        wait = task.wait
    }

    /// The same attempt with another outcome (an outcome the database refused to store).
    func replaced(by outcome: Outcome, payload: String) -> Completion {
        Completion(self, outcome, payload: payload)
    }

    private init(_ other: Completion, _ outcome: Outcome, payload: String) {
        id = other.id
        attempt = other.attempt
        self.outcome = outcome
        self.payload = payload
        countdown = 0
        runtime = other.runtime
        name = other.name
        queue = other.queue
        wait = other.wait
    }

    /// `tasks.add[0191…]`, as Celery prints it.
    var label: String { "\(name)[\(id.celeryString)]" }
}
