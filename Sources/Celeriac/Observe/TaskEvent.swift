import Foundation

/// One recorded event (`worker -E`), as the `task_events` view shows it: a task's transition
/// (received, started, succeeded, failed, retried, revoked, rejected, lease-lost) or a
/// worker's (worker-online, worker-heartbeat, worker-offline).
public struct TaskEvent: Sendable, Hashable {
    /// When, by the database clock.
    public var at: Date
    /// What happened: `started`, `succeeded`, `worker-online`…
    public var kind: String
    /// The task, for task events.
    public var taskID: UUID?
    /// The task name.
    public var name: String?
    /// The task's queue.
    public var queue: String?
    /// The worker instance.
    public var worker: String?
    /// The attempt (1 for the first run).
    public var attempt: Int?
    /// Seconds the attempt ran, for outcomes.
    public var runtime: Double?
    /// The error, for failures, retries and revocations.
    public var error: ErrorInfo?
    /// More, by kind: a retry's `countdown`, a give-back's `reason`, a worker's `queues`…
    public var detail: JSONValue?

    public init(
        at: Date, kind: String, taskID: UUID? = nil, name: String? = nil, queue: String? = nil, worker: String? = nil,
        attempt: Int? = nil, runtime: Double? = nil, error: ErrorInfo? = nil, detail: JSONValue? = nil
    ) {
        self.at = at
        self.kind = kind
        self.taskID = taskID
        self.name = name
        self.queue = queue
        self.worker = worker
        self.attempt = attempt
        self.runtime = runtime
        self.error = error
        self.detail = detail
    }

    /// Celery's name for the kind: `task-succeeded`, `worker-online`…
    public var celeryKind: String { kind.hasPrefix("worker-") ? kind : "task-\(kind)" }

    /// What identifies an event when a live tail reads overlapping windows.
    var identity: String { "\(at.timeIntervalSince1970)|\(kind)|\(taskID?.uuidString ?? "")|\(worker ?? "")" }

    /// The event as one JSON object (what `celeriac events --json` prints per line).
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "at": .number(at.timeIntervalSince1970), "kind": .string(celeryKind),
        ]
        if let taskID { fields["task_id"] = .string(taskID.celeryString) }
        if let name { fields["name"] = .string(name) }
        if let queue { fields["queue"] = .string(queue) }
        if let worker { fields["worker"] = .string(worker) }
        if let attempt { fields["attempt"] = .number(Double(attempt)) }
        if let runtime { fields["runtime"] = .number(runtime) }
        if let error {
            var value: [String: JSONValue] = ["type": .string(error.type), "message": .string(error.message)]
            if let traceback = error.traceback { value["traceback"] = .string(traceback) }
            fields["error"] = .object(value)
        }
        if let detail { fields["detail"] = detail }
        return .object(fields)
    }
}
