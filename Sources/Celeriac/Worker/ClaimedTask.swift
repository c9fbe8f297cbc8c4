import Foundation

/// A task a worker has claimed: what the claim statement returned.
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

    /// `tasks.add[0191…]`, as Celery prints it.
    var label: String { "\(name)[\(id.celeryString)]" }

    /// Whether the producer sent it with acks_late (a lost attempt may run again).
    var acksLate: Bool {
        guard case .object(let fields)? = try? JSONValue(json: options) else { return false }
        return fields["acks_late"] == .bool(true)
    }
}

/// What happened to one attempt, waiting to be written by the completion statement.
struct Completion: Sendable, Codable {
    enum Outcome: String, Sendable, Codable {
        case succeeded, failed, retry, revoked
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
    /// For logs.
    let label: String
}
