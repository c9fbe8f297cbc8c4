import CoreMetrics
import Foundation
import Synchronization

/// Task metrics through swift-metrics, for any backend (Prometheus, StatsD, OpenTelemetry…):
/// pass one to a worker as an observer.
///
/// ```swift
/// let worker = Worker(app: app, observers: [CeleriacMetrics()])
/// ```
///
/// Every metric has the dimensions `task` (the name) and `queue`, never a task id, so their
/// number stays that of your task types:
///
/// | metric | kind | what |
/// |---|---|---|
/// | `celeriac_tasks_claimed_total` | counter | tasks a worker claimed |
/// | `celeriac_tasks_total` (+ `outcome`: succeeded, failed, retried, snoozed, revoked) | counter | outcomes stored |
/// | `celeriac_task_runtime_seconds` | timer | how long each attempt ran |
/// | `celeriac_task_wait_seconds` | timer | how long each task waited once due, until claimed |
/// | `celeriac_leases_lost_total`, `celeriac_tasks_rescued_total` | counter | lost leases, rescued tasks (dimension `worker`) |
///
/// Queue depth is the dashboard's `/metrics` (Prometheus), read from the database.
public final class CeleriacMetrics: LifecycleObserver {
    private struct Key: Hashable {
        var task: String
        var queue: String
    }

    /// One task type's instruments, made once.
    private struct Instruments: Sendable {
        var claimed: Counter
        var outcomes: [LifecycleEvent.Kind: Counter]
        var runtime: CoreMetrics.Timer
        var wait: CoreMetrics.Timer
    }

    private let factory: any MetricsFactory
    private let instruments = Mutex<[Key: Instruments]>([:])
    private let lost: Mutex<[String: Counter]> = Mutex([:])

    /// The outcomes counted in `celeriac_tasks_total`.
    static let outcomes: [LifecycleEvent.Kind] = [.succeeded, .failed, .retried, .snoozed, .revoked]

    /// - Parameter factory: where the metrics go (default: the process's bootstrapped
    ///   `MetricsSystem`).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    public func observe(_ event: LifecycleEvent) {
        switch event.kind {
        case .leaseLost, .rescued:
            let label = event.kind == .leaseLost ? "celeriac_leases_lost_total" : "celeriac_tasks_rescued_total"
            let counter = lost.withLock { counters in
                if let counter = counters[label + event.worker] { return counter }
                let counter = Counter(label: label, dimensions: [("worker", event.worker)], factory: factory)
                counters[label + event.worker] = counter
                return counter
            }
            counter.increment(by: event.count ?? 1)
            return
        case .workerOnline, .workerOffline, .started:
            return
        default:
            break
        }
        guard let name = event.taskName else { return }
        let set = instruments(task: name, queue: event.queue ?? "")
        switch event.kind {
        case .claimed:
            set.claimed.increment()
            if let wait = event.wait { set.wait.recordSeconds(max(0, wait)) }
        default:
            set.outcomes[event.kind]?.increment()
            if let runtime = event.runtime { set.runtime.recordSeconds(max(0, runtime)) }
        }
    }

    private func instruments(task: String, queue: String) -> Instruments {
        let key = Key(task: task, queue: queue)
        return instruments.withLock { cache in
            if let found = cache[key] { return found }
            let dimensions = [("task", task), ("queue", queue)]
            let made = Instruments(
                claimed: Counter(label: "celeriac_tasks_claimed_total", dimensions: dimensions, factory: factory),
                outcomes: Dictionary(
                    uniqueKeysWithValues: Self.outcomes.map { kind in
                        (
                            kind,
                            Counter(
                                label: "celeriac_tasks_total", dimensions: dimensions + [("outcome", kind.rawValue)],
                                factory: factory)
                        )
                    }),
                runtime: CoreMetrics.Timer(label: "celeriac_task_runtime_seconds", dimensions: dimensions, factory: factory),
                wait: CoreMetrics.Timer(label: "celeriac_task_wait_seconds", dimensions: dimensions, factory: factory))
            cache[key] = made
            return made
        }
    }
}
