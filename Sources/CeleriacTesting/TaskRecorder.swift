import Celeriac
import Foundation
import Synchronization

/// Records every task an app publishes (through ``Hooks/afterPublish(_:)``), so a test can
/// assert that code under test enqueued a task with given arguments, with or without a
/// database behind it.
///
/// ```swift
/// let recorder = TaskRecorder(app: app)
/// try await placeOrder(42)                       // code that calls sendConfirmation.delay(42)
/// #expect(try recorder.wasEnqueued(sendConfirmation, 42))
/// #expect(recorder.messages(of: sendConfirmation).count == 1)
/// ```
///
/// In eager mode nothing is published: use ``TaskDefinition/apply(_:options:)`` or read the
/// results instead.
public final class TaskRecorder: Sendable {
    private let recorded = Mutex<[TaskMessage]>([])

    /// Starts recording what `app` publishes from now on.
    public init(app: CeleriacApp) {
        app.hooks.afterPublish { [weak self] message in
            self?.recorded.withLock { $0.append(message) }
        }
    }

    /// Every message published since the recorder was made (or last reset), in order: a
    /// canvas is published as its first rows, carrying the rest.
    public var messages: [TaskMessage] { recorded.withLock { $0 } }

    /// The messages published for `task`.
    public func messages<each Argument, Output>(of task: TaskDefinition<repeat each Argument, Output>) -> [TaskMessage] {
        messages.filter { $0.name == task.name }
    }

    /// Whether `task` was published with exactly these arguments (compared as the JSON the
    /// row carries).
    public func wasEnqueued<each Argument, Output>(
        _ task: TaskDefinition<repeat each Argument, Output>, _ arguments: repeat each Argument
    ) throws -> Bool {
        let expected = try task.message(repeat each arguments).args
        return messages(of: task).contains { Self.sameJSON($0.args, expected) }
    }

    /// The arguments of each call of `task`, decoded as the task's parameter types.
    public func arguments<each Argument, Output>(
        of task: TaskDefinition<repeat each Argument, Output>
    ) throws -> [(repeat each Argument)] {
        try messages(of: task).map { message in try task.decodeArguments(message) }
    }

    /// Forgets what was recorded.
    public func reset() { recorded.withLock { $0.removeAll() } }

    /// Two JSON texts with the same value (key order and spacing aside).
    static func sameJSON(_ a: String, _ b: String) -> Bool {
        guard a != b else { return true }
        guard let left = try? JSONValue(json: a), let right = try? JSONValue(json: b) else { return false }
        return left == right
    }
}
