import Foundation
import Logging
import Synchronization

/// Celery's signals: functions called when tasks are published, run and finished, and when
/// a worker starts and stops. Enough to plug in error reporting or auditing without forking.
///
/// ```swift
/// app.hooks.taskFailure { event in
///     print("report:", event.taskName ?? "?", event.error?.message ?? "")
/// }
/// app.hooks.beforePublish { message in message.options.periodicTask = nil }
/// ```
///
/// Worker hooks are built on the ``LifecycleObserver``: a worker of the app hands each event to
/// a queue of its own and returns, and one task calls the hooks in order from it, so a slow
/// hook never delays a claim or a write. The queue holds ``bufferLimit`` events; beyond that,
/// events are dropped and counted (``dropped``), never waited for. Publish hooks run in the
/// caller's task, around the insert.
public final class Hooks: Sendable {
    /// A worker hook.
    public typealias Handler = @Sendable (LifecycleEvent) async -> Void
    /// Changes a task row before it is inserted (Celery's `before_task_publish`).
    public typealias BeforePublish = @Sendable (inout TaskMessage) -> Void
    /// Told of a task row after its insert committed (Celery's `after_task_publish`).
    public typealias AfterPublish = @Sendable (TaskMessage) -> Void

    /// The worker events each hook wants.
    private struct Registered: Sendable {
        var kinds: Set<LifecycleEvent.Kind>
        var handler: Handler
    }

    private let handlers = Mutex<[Registered]>([])
    private let publishing = Mutex<(before: [BeforePublish], after: [AfterPublish])>(([], []))
    private let droppedCount = Atomic<Int>(0)

    /// How many worker events a queue holds before it drops new ones.
    public let bufferLimit: Int

    init(bufferLimit: Int = 10_000) {
        self.bufferLimit = bufferLimit
    }

    /// Events dropped because a hook fell `bufferLimit` events behind.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }

    /// Calls `handler` for events of these kinds.
    public func on(_ kinds: Set<LifecycleEvent.Kind>, _ handler: @escaping Handler) {
        handlers.withLock { $0.append(Registered(kinds: kinds, handler: handler)) }
    }

    /// Before a task starts running (Celery's `task_prerun`).
    public func taskPrerun(_ handler: @escaping Handler) { on([.started], handler) }
    /// After a task's outcome was stored, whatever it was (`task_postrun`).
    public func taskPostrun(_ handler: @escaping Handler) { on([.succeeded, .failed, .retried, .snoozed, .revoked], handler) }
    /// A task succeeded (`task_success`).
    public func taskSuccess(_ handler: @escaping Handler) { on([.succeeded], handler) }
    /// A task failed (`task_failure`): the event carries the error.
    public func taskFailure(_ handler: @escaping Handler) { on([.failed], handler) }
    /// A task will be retried (`task_retry`).
    public func taskRetry(_ handler: @escaping Handler) { on([.retried], handler) }
    /// A task was revoked (`task_revoked`).
    public func taskRevoked(_ handler: @escaping Handler) { on([.revoked], handler) }
    /// A worker is ready (`worker_ready`).
    public func workerReady(_ handler: @escaping Handler) { on([.workerOnline], handler) }
    /// A worker stopped (`worker_shutdown`).
    public func workerShutdown(_ handler: @escaping Handler) { on([.workerOffline], handler) }

    /// Changes each task row before it is inserted (`before_task_publish`): add an option,
    /// re-route, stamp it. Runs in the caller's task.
    public func beforePublish(_ handler: @escaping BeforePublish) { publishing.withLock { $0.before.append(handler) } }
    /// Told of each task row after its insert committed (`after_task_publish`).
    public func afterPublish(_ handler: @escaping AfterPublish) { publishing.withLock { $0.after.append(handler) } }

    /// `message` as the before-publish hooks leave it.
    func beforePublishing(_ message: TaskMessage) -> TaskMessage {
        let hooks = publishing.withLock { $0.before }
        guard !hooks.isEmpty else { return message }
        var changed = message
        for hook in hooks { hook(&changed) }
        return changed
    }

    /// Tells the after-publish hooks of `messages`.
    func published(_ messages: [TaskMessage]) {
        let hooks = publishing.withLock { $0.after }
        guard !hooks.isEmpty else { return }
        for message in messages { for hook in hooks { hook(message) } }
    }

    /// Whether any publish hook is registered.
    var hasPublishHooks: Bool { publishing.withLock { !$0.before.isEmpty || !$0.after.isEmpty } }

    /// An observer that queues events for the worker hooks, or nil when there are none.
    func observer() -> HookObserver? {
        let registered = handlers.withLock { $0 }
        guard !registered.isEmpty else { return nil }
        return HookObserver(hooks: self, registered: registered.map { ($0.kinds, $0.handler) })
    }

    fileprivate func countDrop() { droppedCount.add(1, ordering: .relaxed) }
}

/// Hands events to the worker hooks through a bounded queue; one task calls them in order.
final class HookObserver: LifecycleObserver {
    private let continuation: AsyncStream<LifecycleEvent>.Continuation
    private let consumer: Task<Void, Never>
    private let hooks: Hooks
    private let kinds: Set<LifecycleEvent.Kind>
    private let logger = Logger(label: "Hooks")

    init(hooks: Hooks, registered: [(Set<LifecycleEvent.Kind>, Hooks.Handler)]) {
        self.hooks = hooks
        kinds = registered.reduce(into: []) { $0.formUnion($1.0) }
        let (stream, continuation) = AsyncStream<LifecycleEvent>.makeStream(bufferingPolicy: .bufferingOldest(hooks.bufferLimit))
        self.continuation = continuation
        consumer = Task.detached {
            for await event in stream {
                for (kinds, handler) in registered where kinds.contains(event.kind) { await handler(event) }
            }
        }
    }

    func observe(_ event: LifecycleEvent) {
        guard kinds.contains(event.kind) else { return }
        if case .dropped = continuation.yield(event) {
            hooks.countDrop()
            if hooks.dropped == 1 { logger.warning("hooks fell \(hooks.bufferLimit) events behind: dropping events") }
        }
    }

    /// Lets the hooks finish the events already queued, then stops.
    func finish() async {
        continuation.finish()
        await consumer.value
    }
}
