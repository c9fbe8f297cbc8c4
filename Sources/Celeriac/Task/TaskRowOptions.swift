import Foundation

/// The per-task options a producer stores in the task row's `options` column (a JSON
/// object), for whoever handles the row without the task's code: the worker, the rescuer,
/// the dashboard. Their keys are documented for SQL readers in `sql/README.md` ("options").
///
/// This is the one encoder and decoder of that column. Keys are snake_case; a key left out
/// means "the task's own option, else the app's setting". Unknown keys are kept by SQL and
/// ignored here, so newer producers and older workers can share a queue.
public struct TaskRowOptions: Sendable, Hashable {
    /// `acks_late`: a lost attempt may run again (rescue re-queues it while attempts remain).
    public var acksLate: Bool?
    /// `max_retries`: the retry limit in force when the task was sent.
    public var maxRetries: Int?
    /// `time_limit`: the hard limit of one attempt, in seconds.
    public var timeLimit: Double?
    /// `soft_time_limit`, in seconds.
    public var softTimeLimit: Double?
    /// `retry_delay`: the wait before a retry, in seconds (a call's `defaultRetryDelay`).
    public var retryDelay: Double?
    /// `retry_backoff` {base, max, jitter} (seconds): a call's ``RetryBackoff``.
    public var retryBackoff: RetryBackoff?
    /// `periodic_task`: the schedule that enqueued it (written by beat).
    public var periodicTask: String?
    /// `ignore_result`: keep no results row for a success (``TaskOptions/ignoreResult``).
    public var ignoreResult: Bool?
    /// `unique_key` (or `unique_by_args`), `unique_policy`, `unique_for`: the task is unique
    /// (``Uniqueness``, migration 0025).
    public var unique: Uniqueness?
    /// `group_id`: the group the task was sent in (``Group``, migration 0026); on a member
    /// chain, its last task.
    public var group: UUID?
    /// `rate_limit` ("10/m") and `rate_key`: the fleet-wide rate the task starts at (0028).
    public var rateLimit: String?
    public var rateKey: String?
    /// `concurrency_limit` and `concurrency_key`: at most that many of the key run at once.
    public var concurrencyLimit: Int?
    public var concurrencyKey: String?
    /// `link`: chain steps sent with the result when the task succeeds (a JSON array).
    public var link: String?
    /// `link_error`: chain steps sent with the task's id when it fails or is revoked.
    public var linkError: String?
    /// The trace context of the span that sent the task (distributed tracing), as the tracer's
    /// instrument wrote it: W3C `traceparent` and `tracestate` with swift-otel.
    public var trace: [String: String]?

    public init(
        acksLate: Bool? = nil,
        maxRetries: Int? = nil,
        timeLimit: Double? = nil,
        softTimeLimit: Double? = nil,
        periodicTask: String? = nil
    ) {
        self.acksLate = acksLate
        self.maxRetries = maxRetries
        self.timeLimit = timeLimit
        self.softTimeLimit = softTimeLimit
        self.periodicTask = periodicTask
    }

    /// The JSON object, keys in a fixed order, absent options left out: `{"acks_late":true,"max_retries":3}`.
    ///
    /// Built by hand rather than with `JSONEncoder`: every `delay()` writes one, and an encoder
    /// costs more than the rest of building the row.
    public var json: String {
        var text = "{"
        func field(_ key: String, _ value: String) {
            if text.utf8.count > 1 { text += "," }
            text += "\"" + key + "\":" + value
        }
        if let acksLate { field("acks_late", acksLate ? "true" : "false") }
        if let maxRetries { field("max_retries", String(maxRetries)) }
        if let timeLimit { field("time_limit", String(timeLimit)) }
        if let softTimeLimit { field("soft_time_limit", String(softTimeLimit)) }
        if let retryDelay { field("retry_delay", String(retryDelay)) }
        if let retryBackoff {
            field(
                "retry_backoff",
                "{\"base\":\(max(0, retryBackoff.base.seconds)),\"max\":\(max(0, retryBackoff.maximum.seconds)),"
                    + "\"jitter\":\(retryBackoff.jitter)}")
        }
        if let periodicTask, let name = try? JSONCoding.encode(periodicTask) { field("periodic_task", name) }
        if let ignoreResult { field("ignore_result", ignoreResult ? "true" : "false") }
        if let group { field("group_id", "\"" + group.celeryString + "\"") }
        if let rateLimit, let quoted = try? JSONCoding.encode(rateLimit) { field("rate_limit", quoted) }
        if let rateKey, let quoted = try? JSONCoding.encode(rateKey) { field("rate_key", quoted) }
        if let concurrencyLimit { field("concurrency_limit", String(concurrencyLimit)) }
        if let concurrencyKey, let quoted = try? JSONCoding.encode(concurrencyKey) { field("concurrency_key", quoted) }
        if let link { field("link", link) }
        if let linkError { field("link_error", linkError) }
        if let trace, !trace.isEmpty {
            let pairs = trace.sorted { $0.key < $1.key }.compactMap { key, value -> String? in
                guard let key = try? JSONCoding.encode(key), let value = try? JSONCoding.encode(value) else { return nil }
                return key + ":" + value
            }
            field("trace", "{" + pairs.joined(separator: ",") + "}")
        }
        if let unique {
            if let key = unique.key, let quoted = try? JSONCoding.encode(key) {
                field("unique_key", quoted)
            } else {
                field("unique_by_args", "true")
            }
            if unique.policy != .reject { field("unique_policy", "\"" + unique.policy.rawValue + "\"") }
            if let window = unique.window { field("unique_for", String(max(0, window.seconds))) }
        }
        return text + "}"
    }

    /// Reads what a worker needs of the column (acks_late, max_retries, the time limits,
    /// ignore_result, the retry delay and backoff), and nothing when it has none of them: most rows that carry options carry
    /// others (a group, a limit, a unique key), which SQL reads, and decoding them cost a
    /// worker 8 µs a task, as much as the rest of running a no-op.
    init(workerReading json: String) {
        guard json.utf8.count > 2,
            ["acks_late", "max_retries", "time_limit", "ignore_result", "retry_", "\"trace\""].contains(where: { json.contains($0) })
        else {
            self.init()
            return
        }
        self.init(json: json)
    }

    /// Reads the column. Options of the wrong type are ignored (as SQL's rescue ignores them),
    /// so a row written by hand can never stop a worker.
    public init(json: String) {
        self.init()
        // What almost every row holds: nothing to parse.
        guard json != "{}", case .object(let fields)? = try? JSONValue(json: json) else { return }
        func number(_ key: String) -> Double? {
            if case .number(let value)? = fields[key], value.isFinite { return value }
            return nil
        }
        if case .bool(let value)? = fields["acks_late"] { acksLate = value }
        if let value = number("max_retries"), value >= 0, value <= 1e9, value.rounded() == value { maxRetries = Int(value) }
        timeLimit = number("time_limit")
        softTimeLimit = number("soft_time_limit")
        if let value = number("retry_delay"), value >= 0 { retryDelay = value }
        if case .object(let backoff)? = fields["retry_backoff"], case .number(let base)? = backoff["base"],
            case .number(let maximum)? = backoff["max"], base.isFinite, maximum.isFinite
        {
            let jitter: Bool = if case .bool(let value)? = backoff["jitter"] { value } else { true }
            retryBackoff = RetryBackoff(base: .fromSeconds(max(0, base)), maximum: .fromSeconds(max(0, maximum)), jitter: jitter)
        }
        if case .string(let value)? = fields["periodic_task"] { periodicTask = value }
        if case .bool(let value)? = fields["ignore_result"] { ignoreResult = value }
        if case .string(let value)? = fields["group_id"] { group = UUID(uuidString: value) }
        if case .string(let value)? = fields["rate_limit"] { rateLimit = value }
        if case .string(let value)? = fields["rate_key"] { rateKey = value }
        if let value = number("concurrency_limit"), value >= 1, value <= 1e9, value.rounded() == value {
            concurrencyLimit = Int(value)
        }
        if case .string(let value)? = fields["concurrency_key"] { concurrencyKey = value }
        if case .object(let headers)? = fields["trace"] {
            let strings = headers.compactMapValues { value -> String? in if case .string(let text) = value { text } else { nil } }
            if !strings.isEmpty { trace = strings }
        }
        if case .array? = fields["link"] { link = fields["link"].flatMap { try? JSONCoding.encode($0) } }
        if case .array? = fields["link_error"] { linkError = fields["link_error"].flatMap { try? JSONCoding.encode($0) } }
        let key: String? = if case .string(let value)? = fields["unique_key"] { value } else { nil }
        if key != nil || fields["unique_by_args"] == .bool(true) {
            var policy = Uniqueness.Policy.reject
            if case .string(let value)? = fields["unique_policy"], let given = Uniqueness.Policy(rawValue: value) {
                policy = given
            }
            unique = Uniqueness(key: key, policy: policy, window: number("unique_for").map { .fromSeconds($0) })
        }
    }
}
