/// Receives every ``LifecycleEvent`` of a worker: the seam events (`-E`), metrics, user hooks
/// and tracing implement.
///
/// Observers are called on the worker's database thread, in order, right after the database
/// confirmed the transition (outcomes after their write was accepted). Return quickly: a slow
/// observer delays claims and writes. Hand anything slow to a queue of your own.
///
/// ```swift
/// struct PrintFailures: LifecycleObserver {
///     func observe(_ event: LifecycleEvent) {
///         if event.kind == .failed { print("\(event.taskName ?? "?") failed: \(event.error?.message ?? "")") }
///     }
/// }
/// try await Worker(app: app, observers: [PrintFailures()]).run()
/// ```
public protocol LifecycleObserver: Sendable {
    /// Called once per event.
    func observe(_ event: LifecycleEvent)
}

/// The observers of one worker. With none (the default) an event is never even built.
struct Observers: Sendable {
    let all: [any LifecycleObserver]

    init(_ observers: [any LifecycleObserver]) {
        all = observers
    }

    /// Builds the event only when someone observes.
    func emit(_ event: @autoclosure () -> LifecycleEvent) {
        guard !all.isEmpty else { return }
        let event = event()
        for observer in all { observer.observe(event) }
    }
}
