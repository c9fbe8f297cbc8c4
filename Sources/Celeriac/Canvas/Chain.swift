import Foundation

/// Tasks run one after another, each result prepended to the next task's arguments
/// (Celery's `chain`, written with `|`).
///
/// Only the first task is inserted when the chain is sent; the rest travel in its row
/// and each next step is inserted by the same statement that stores the previous
/// result, so a crash can never drop a step. Every step's id is fixed up front:
/// the returned ``AsyncResult`` is the last task's.
///
/// ```swift
/// let result = try await (add.s(100, 200) | add.s(300)).delay()
/// try await result.get(timeout: .seconds(10)) // 600
/// ```
public struct Chain<Output: Codable & Sendable>: Sendable {
    /// The app that will send it.
    public let app: CeleriacApp
    /// The steps, in order.
    public var steps: [ChainStep]

    /// Sends the chain; returns the last step's result handle at once.
    public func delay() async throws -> AsyncResult<Output> {
        let (first, lastID) = try firstMessage()
        try await app.enqueue(first)
        return AsyncResult(id: lastID, app: app)
    }

    /// The row to insert for the first step (carrying the others), and the last step's id.
    public func firstMessage() throws -> (TaskMessage, UUID) {
        guard let head = steps.first else { throw EnqueueError("a chain needs at least one task") }
        var first = try app.message(task: head.task, args: head.args.get(), options: head.options, taskOptions: head.taskOptions)
        var lastID = first.id
        var records: [ChainStepRecord] = []
        for step in steps.dropFirst() {
            let message = try app.message(task: step.task, args: step.args.get(), options: step.options, taskOptions: step.taskOptions)
            lastID = message.id
            records.append(ChainStepRecord(message: message, immutable: step.immutable))
        }
        if !records.isEmpty {
            first.chain = try ChainStepRecord.column(records)
            first.rootID = first.id
        }
        return (first, lastID)
    }
}

/// Chains two signatures: `add.s(1, 2) | add.s(3)`.
public func | <A, B>(lhs: Signature<A>, rhs: Signature<B>) -> Chain<B> {
    Chain(app: lhs.app, steps: [lhs.step, rhs.step])
}

/// Extends a chain: `chain | add.s(4)`.
public func | <A, B>(lhs: Chain<A>, rhs: Signature<B>) -> Chain<B> {
    Chain(app: lhs.app, steps: lhs.steps + [rhs.step])
}
