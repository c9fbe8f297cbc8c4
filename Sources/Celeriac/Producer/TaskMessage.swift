import CeleriacPostgres
import Foundation

/// One task row ready to insert: what ``TaskDefinition/delay(_:)`` and friends send.
///
/// Build one with ``TaskDefinition/message(_:options:)`` to enqueue in bulk
/// (``CeleriacApp/enqueue(_:)-([TaskMessage])``) or on your own transaction
/// (``Transaction/enqueue(_:)``).
public struct TaskMessage: Sendable {
    /// The id, known before insert (time-ordered).
    public var id: UUID
    /// The registered task name.
    public var name: String
    /// Positional arguments as a JSON array.
    public var args: String
    /// Keyword arguments as a JSON object.
    public var kwargs: String
    /// The queue (already routed and validated).
    public var queue: String
    /// 0…255, higher first.
    public var priority: Int
    /// Run no earlier than this long after insert (database clock).
    public var countdown: Duration?
    /// Run no earlier than this moment.
    public var eta: Date?
    /// Revoke instead of running after this moment.
    public var expires: Date?
    /// Overrides the task's retry limit.
    public var maxRetries: Int?
    /// Extra per-call options, a JSON object (`acks_late`, `max_retries`).
    public var options: String = "{}"
    /// The remaining chain steps, a JSON array (see `sql/migrations/0001_core.sql`).
    public var chain: String? = nil
    /// The task whose result created this one.
    public var parentID: UUID? = nil
    /// The first task of its chain.
    public var rootID: UUID? = nil

    /// The statement for this row and its parameters (the NOTIFY channel last), for a
    /// statement of its own or one inside the caller's transaction.
    func insertStatement(_ queries: Queries, inTransaction: Bool) -> (PreparedStatement, [String?]) {
        let statements = inTransaction ? queries.insertInTransaction : queries.insertAlone
        guard countdown == nil, eta == nil else { return (statements.scheduled, parameters + [queries.channel]) }
        // The `simple` statement takes the first seven ($1 to $7).
        if chain == nil, expires == nil, maxRetries == nil, parentID == nil, rootID == nil {
            return (statements.simple, Array(parameters.prefix(7)) + [queries.channel])
        }
        // The `now` statement takes the same parameters without eta and countdown ($9, $10).
        var now = parameters
        now.removeSubrange(8...9)
        return (statements.now, now + [queries.channel])
    }

    /// The statement parameters for `Queries.SingleInsert.scheduled`, in order (without the channel).
    var parameters: [String?] {
        [
            id.celeryString, name, queue, String(priority), args, kwargs, options, chain,
            eta.map { String($0.timeIntervalSince1970) }, countdown.map { String($0.seconds) },
            expires.map { String($0.timeIntervalSince1970) }, maxRetries.map(String.init),
            parentID?.celeryString, rootID?.celeryString,
        ]
    }
}

/// How one call is sent: Celery's `apply_async` options.
public struct CallOptions: Sendable {
    /// Delay before the task may run.
    public var countdown: Duration?
    /// Earliest moment it may run.
    public var eta: Date?
    /// After this moment it is revoked instead of run.
    public var expires: Date?
    /// The queue, overriding routes.
    public var queue: String?
    /// The priority, 0…255.
    public var priority: Int?
    /// A chosen id (default: a new time-ordered UUID).
    public var taskID: UUID?
    /// Overrides the task's retry limit.
    public var maxRetries: Int?
    /// Keyword arguments, as a JSON object (for tasks declaring `argumentNames`).
    public var kwargs: String?

    public init(
        countdown: Duration? = nil,
        eta: Date? = nil,
        expires: Date? = nil,
        queue: String? = nil,
        priority: Int? = nil,
        taskID: UUID? = nil,
        maxRetries: Int? = nil,
        kwargs: String? = nil
    ) {
        self.countdown = countdown
        self.eta = eta
        self.expires = expires
        self.queue = queue
        self.priority = priority
        self.taskID = taskID
        self.maxRetries = maxRetries
        self.kwargs = kwargs
    }
}
