import Foundation

/// A task call described but not sent (Celery's `signature`, made with `s`/`si`).
/// Compose signatures into a ``Chain`` with `|`.
public struct Signature<Output: Codable & Sendable>: Sendable {
    /// The app that will send it.
    public let app: CeleriacApp
    /// The untyped step.
    public var step: ChainStep

    init(app: CeleriacApp, task: String, arguments: [any Encodable & Sendable], immutable: Bool, taskOptions: TaskOptions) {
        self.app = app
        let args: Result<String, EnqueueError>
        do { args = .success(try ArgumentCoding.encode(list: arguments)) } catch {
            args = .failure(EnqueueError("could not encode the arguments of \(task) as JSON: \(error)"))
        }
        step = ChainStep(task: task, args: args, immutable: immutable, options: CallOptions(), taskOptions: taskOptions)
    }

    /// The same signature with call options (queue, priority, countdown…).
    public func set(_ options: CallOptions) -> Signature {
        var copy = self
        copy.step.options = options
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
