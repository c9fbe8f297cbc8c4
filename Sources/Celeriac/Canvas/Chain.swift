import Foundation

/// Tasks run one after another, each result prepended to the next task's arguments
/// (Celery's `chain`, written with `|`). A step may be a group (its members each get the
/// previous result), and the step after a group receives the list of the group's results:
/// that pair is a chord.
///
/// Only what is due first is inserted when the chain is sent; the rest travels in those rows,
/// and each next step is inserted by the same statement that stores the previous result, so
/// a crash can never drop a step. Every step's id is fixed up front: the returned
/// ``AsyncResult`` is the last task's.
///
/// ```swift
/// let result = try await (add.s(100, 200) | add.s(300)).delay()
/// try await result.get(timeout: .seconds(10)) // 600
/// ```
public struct Chain<Output: Codable & Sendable>: Sendable {
    /// The app that will send it.
    public let app: CeleriacApp
    /// The steps, in order; the last is a task.
    public var canvas: [CanvasStep]
    /// A step that will not accept what the step before it returns, found when they were put
    /// together: ``delay()`` throws it before anything is sent.
    public var problem: EnqueueError?

    /// A chain of task steps.
    public init(app: CeleriacApp, steps: [ChainStep]) {
        self.app = app
        canvas = steps.map { .task($0) }
    }

    init(app: CeleriacApp, canvas: [CanvasStep], problem: EnqueueError?) {
        self.app = app
        self.canvas = canvas
        self.problem = problem
    }

    /// The task steps at the top level, in order (group steps left out).
    public var steps: [ChainStep] {
        canvas.compactMap { if case .task(let step) = $0 { step } else { nil } }
    }

    /// Sends the chain; returns the last step's result handle at once.
    /// - Throws: ``EnqueueError`` for a step that cannot be sent, or steps whose types do not
    ///   fit together.
    public func delay() async throws -> AsyncResult<Output> {
        if let problem { throw problem }
        if app.conf.taskAlwaysEager {
            guard let last = try await EagerRunner(app: app).run(canvas).finalID else {
                throw EnqueueError("a chain must end in a task")
            }
            return AsyncResult(id: last, app: app)
        }
        let plan = try CanvasPlan(canvas, app: app)
        guard let last = plan.finalID else { throw EnqueueError("a chain must end in a task") }
        try await plan.send(with: app)
        return AsyncResult(id: last, app: app)
    }

    /// The row to insert for the first step (carrying the others), and the last step's id,
    /// for a chain that starts with a task.
    public func firstMessage() throws -> (TaskMessage, UUID) {
        if let problem { throw problem }
        let plan = try CanvasPlan(canvas, app: app)
        guard plan.groups.isEmpty, plan.messages.count == 1, let first = plan.messages.first, let last = plan.finalID
        else { throw EnqueueError("this chain starts with a group: send it with delay()") }
        return (first, last)
    }
}

/// A chain whose last step is a group: sending it answers with the group's ``GroupResult``.
/// Follow it with a signature to make the group a chord.
public struct ChainedGroup<Output: Codable & Sendable>: Sendable {
    /// The app that will send it (nil when made only of empty groups, which cannot be sent).
    public let app: CeleriacApp?
    /// The steps, in order; the last is a group.
    public var canvas: [CanvasStep]
    /// A type mismatch found when the steps were put together.
    public var problem: EnqueueError?

    /// Sends the chain; returns the final group's result handle at once.
    public func delay() async throws -> GroupResult<Output> {
        if let problem { throw problem }
        guard let app else { throw EnqueueError("a group needs at least one task") }
        if app.conf.taskAlwaysEager {
            guard let group = try await EagerRunner(app: app).run(canvas).finalGroup else {
                throw EnqueueError("this chain does not end in a group")
            }
            return GroupResult(id: group.id, ids: group.ids, app: app)
        }
        let plan = try CanvasPlan(canvas, app: app)
        guard let group = plan.finalGroup else { throw EnqueueError("this chain does not end in a group") }
        try await plan.send(with: app)
        return GroupResult(id: group.id, ids: group.ids, app: app)
    }
}
