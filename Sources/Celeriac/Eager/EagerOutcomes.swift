import Foundation
import Synchronization

/// What eager mode (``Configuration/taskAlwaysEager``) ran, by task id: the outcomes
/// ``AsyncResult`` and ``GroupResult`` read instead of the database's. Kept for the app's
/// life, as a test's results are.
final class EagerOutcomes: Sendable {
    /// One task's outcome.
    struct Outcome: Sendable {
        var name: String
        var state: TaskState
        var resultJSON: String?
        var error: ErrorInfo?
    }

    private let outcomes = Mutex<[UUID: Outcome]>([:])

    func record(_ id: UUID, _ outcome: Outcome) {
        outcomes.withLock { $0[id] = outcome }
    }

    func outcome(_ id: UUID) -> Outcome? {
        outcomes.withLock { $0[id] }
    }

    /// Whether any task ran eagerly (no lookup otherwise).
    var isEmpty: Bool { outcomes.withLock { $0.isEmpty } }
}
