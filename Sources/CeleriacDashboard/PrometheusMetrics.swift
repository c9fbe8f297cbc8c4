import Celeriac
import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// `/metrics` in Prometheus's text format, through swift-prometheus: what the views say now.
/// A fresh registry per scrape, so queues and task names that are gone disappear.
///
/// - `celeriac_queue_tasks{queue,state}`: waiting, scheduled, retrying, running;
/// - `celeriac_queue_oldest_wait_seconds{queue}`, `celeriac_queue_paused{queue}`;
/// - `celeriac_workers{status}`: online, stale, dead, offline;
/// - `celeriac_tasks_finished_15m{name,state}`: succeeded, failed, retried, revoked;
/// - `celeriac_task_runtime_quantile_seconds{name,quantile}`: p50, p95, p99 of successes over
///   15 minutes (from the log-scale counters: within ±19%);
///
/// and, counted since the dashboard started (``TaskStatsCounters``):
///
/// - `celeriac_tasks_total{name,state}`: outcomes, a counter;
/// - `celeriac_task_runtime_seconds{name}`: a histogram of the runtime of finished runs
///   (succeeded or failed), with buckets at 100 µs × 4ⁿ;
/// - `celeriac_task_wait_seconds{name}`: a histogram of the wait from due to start.
///
/// The histograms are written out here rather than through swift-prometheus, whose histograms
/// take one observation at a time: these arrive as counts per bucket.
final class PrometheusMetrics: Sendable {
    let app: CeleriacApp
    private let counters = Mutex(TaskStatsCounters())

    init(app: CeleriacApp) {
        self.app = app
    }

    func scrape() async throws -> Response {
        let now = Date()
        let rows = try await app.recentTaskStats(since: now.addingTimeInterval(-Double(TaskStatsCounters.lookBack) * 60))
        let counted = counters.withLock { counters in
            counters.update(
                rows.map {
                    (
                        TaskStatsCounters.Row(
                            minute: $0.minute.timeIntervalSince1970, queue: $0.queue, name: $0.name, worker: $0.worker,
                            metric: $0.metric, bucket: $0.bucket), $0.count
                    )
                }, now: now)
            return counters
        }
        let registry = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "celeriac", metricName: name, unitName: "", helpText: help),
                labels: labels
            ).set(to: value)
        }
        for queue in try await app.queues() {
            for (state, count) in [
                ("waiting", queue.queued), ("scheduled", queue.scheduled), ("retrying", queue.retry), ("running", queue.started),
            ] {
                gauge("queue_tasks", "Unfinished tasks by queue and state.", [("queue", queue.queue), ("state", state)], Double(count))
            }
            gauge(
                "queue_oldest_wait_seconds", "How long the oldest due task has waited.", [("queue", queue.queue)], queue.oldestSeconds ?? 0)
            gauge("queue_paused", "1 when the queue is paused.", [("queue", queue.queue)], queue.paused ? 1 : 0)
        }
        let workers = try await app.workerStatus()
        for status in ["online", "stale", "dead", "offline"] {
            gauge(
                "workers", "Workers registered in the last day, by status.", [("status", status)],
                Double(workers.filter { $0.status == status }.count))
        }
        for stats in try await app.taskNameStats() {
            for (state, count) in [
                ("succeeded", stats.succeeded15m), ("failed", stats.failed15m), ("retried", stats.retried15m),
                ("revoked", stats.revoked15m),
            ] {
                gauge("tasks_finished_15m", "Outcomes in the last 15 minutes.", [("name", stats.name), ("state", state)], Double(count))
            }
            for (quantile, value) in [("0.5", stats.runtimeP50), ("0.95", stats.runtimeP95), ("0.99", stats.runtimeP99)] {
                guard let value else { continue }
                gauge(
                    "task_runtime_quantile_seconds", "Runtime of successes over 15 minutes, by quantile.",
                    [("name", stats.name), ("quantile", quantile)], value)
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        let text =
            registry.emitToString()
            + counted.outcomes("celeriac_tasks_total", help: "Outcomes since the dashboard started, by task name and state.")
            + counted.histogram(
                "celeriac_task_runtime_seconds", help: "Runtime of finished runs (succeeded or failed).",
                metrics: ["succeeded", "failed"])
            + counted.histogram("celeriac_task_wait_seconds", help: "Wait from due to start.", metrics: ["wait"])
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
