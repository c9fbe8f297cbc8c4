import Foundation

/// A task call described but not sent (Celery's `signature`, made with `s`/`si`).
/// Compose signatures into a ``Chain`` with `|`.
public struct Signature<Output: Codable & Sendable>: Sendable {
    /// The app that will send it.
    public let app: CeleriacApp
    /// The untyped step.
    public var step: ChainStep

    init(
        app: CeleriacApp, task: String, arguments: [any Encodable & Sendable], immutable: Bool, taskOptions: TaskOptions,
        shape: ArgumentShape? = nil
    ) {
        self.app = app
        let args: Result<String, EnqueueError>
        do { args = .success(try ArgumentCoding.encode(list: arguments)) } catch {
            args = .failure(EnqueueError("could not encode the arguments of \(task) as JSON: \(error)"))
        }
        step = ChainStep(task: task, args: args, immutable: immutable, options: CallOptions(), taskOptions: taskOptions)
        step.shape = shape
    }

    /// The same signature with call options (queue, priority, countdown…).
    public func set(_ options: CallOptions) -> Signature {
        var copy = self
        copy.step.options = options
        return copy
    }

    /// The same signature with a callback sent when it succeeds, given its result first
    /// (Celery's `link`). Several may be added; each runs once.
    public func link<B>(_ callback: Signature<B>) -> Signature {
        var copy = self
        copy.step.link = (copy.step.link ?? []) + [.task(callback.step)]
        return copy
    }

    /// The same signature with a callback sent when it fails or is revoked (Celery's
    /// `link_error`), given the failed task's id (a string) first: read its error with
    /// `AsyncResult`.
    public func linkError<B>(_ callback: Signature<B>) -> Signature {
        var copy = self
        copy.step.linkError = (copy.step.linkError ?? []) + [.task(callback.step)]
        return copy
    }

    /// Sends it; returns at once with the result handle.
    public func delay() async throws -> AsyncResult<Output> {
        try await Chain<Output>(app: app, steps: [step]).delay()
    }
}

/// One step of a chain, untyped.
public struct ChainStep: Sendable {
    /// The task name.
    public var task: String
    /// The JSON arguments, or why they could not be encoded.
    var args: Result<String, EnqueueError>
    /// Whether the previous result is not prepended.
    public var immutable: Bool
    /// Per-call options.
    public var options: CallOptions
    /// The task's own options (queue, priority).
    var taskOptions: TaskOptions
    /// The task's parameter types, when the step was made from a typed task.
    var shape: ArgumentShape?
    /// Callbacks on success (`link`) and on failure (`link_error`).
    var link: [CanvasStep]?
    var linkError: [CanvasStep]?

    /// Builds the step from JSON text (for callers without the task's code).
    public init(task: String, argsJSON: String, immutable: Bool = false, options: CallOptions = CallOptions()) {
        self.task = task
        self.args = .success(argsJSON)
        self.immutable = immutable
        self.options = options
        self.taskOptions = TaskOptions()
    }

    init(task: String, args: Result<String, EnqueueError>, immutable: Bool, options: CallOptions, taskOptions: TaskOptions) {
        self.task = task
        self.args = args
        self.immutable = immutable
        self.options = options
        self.taskOptions = taskOptions
    }
}
