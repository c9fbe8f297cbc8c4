import Foundation

/// One step of a chain as it travels in the first task's `chain` column (a JSON array of
/// these): `{"id","task","args","kwargs","queue","priority","immutable","options"}` and, when
/// the step's call set them, `"countdown"` (seconds from when the step is inserted, i.e.
/// when the step before it succeeds), `"eta"` and `"expires"` (epoch seconds) and
/// `"max_retries"`.
///
/// The completion statement inserts step 0 when the task before it succeeds
/// (sql/queries/tasks.sql, `complete`); `valid_chain_step()` (sql/repeatable/chains.sql) says
/// which steps it accepts. This is the one encoder of a step.
struct ChainStepRecord: Sendable {
    /// The step's task id, fixed when the chain is sent.
    var id: UUID
    /// The task name.
    var task: String
    /// Positional arguments, a JSON array (the previous result is prepended unless immutable).
    var args: String
    /// Keyword arguments, a JSON object.
    var kwargs: String
    /// The queue (already routed).
    var queue: String
    /// 0…255.
    var priority: Int
    /// Whether the previous result is not prepended (`si`).
    var immutable: Bool
    /// The step's row options.
    var options: TaskRowOptions
    /// Delay after the step is inserted.
    var countdown: Duration?
    /// Earliest start.
    var eta: Date?
    /// Revoked instead of run after this.
    var expires: Date?
    /// Overrides the task's retry limit.
    var maxRetries: Int?

    init(message: TaskMessage, immutable: Bool) {
        id = message.id
        task = message.name
        args = message.args
        kwargs = message.kwargs
        queue = message.queue
        priority = message.priority
        self.immutable = immutable
        options = message.options
        countdown = message.countdown
        eta = message.eta
        expires = message.expires
        maxRetries = message.maxRetries
    }

    /// The step as a JSON object. `args` and `kwargs` are already JSON and are spliced in as they are.
    func json() throws -> String {
        var fields: [(String, String)] = [
            ("id", try JSONCoding.encode(id.celeryString)),
            ("task", try JSONCoding.encode(task)),
            ("args", args),
            ("kwargs", kwargs),
            ("queue", try JSONCoding.encode(queue)),
            ("priority", String(priority)),
            ("immutable", immutable ? "true" : "false"),
            ("options", options.json),
        ]
        if let countdown { fields.append(("countdown", String(countdown.seconds))) }
        if let eta { fields.append(("eta", String(eta.timeIntervalSince1970))) }
        if let expires { fields.append(("expires", String(expires.timeIntervalSince1970))) }
        if let maxRetries { fields.append(("max_retries", String(maxRetries))) }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// The `chain` column for these steps: a JSON array.
    static func column(_ steps: [ChainStepRecord]) throws -> String {
        "[" + (try steps.map { try $0.json() }).joined(separator: ",") + "]"
    }
}
