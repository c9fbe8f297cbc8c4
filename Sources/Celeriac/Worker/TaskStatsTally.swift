import Foundation

/// A worker's counts of outcomes, gathered in memory as outcomes are stored and added to
/// `task_stats` once per heartbeat (`task_stats.add`), so that the monitoring views have
/// throughput, failure rates and runtime and wait percentiles without counting history, and
/// the claim and completion statements pay nothing for them.
///
/// Durations are counted in the log-scale buckets of `stats_bucket()`
/// (sql/repeatable/stats.sql), computed here with the same formula.
struct TaskStatsTally: Sendable {
    struct Key: Hashable, Sendable {
        let queue: String
        let name: String
        let metric: String
        let bucket: Int
    }

    /// Counts since the last flush.
    private(set) var pending: [Key: Int] = [:]
    /// Totals since the worker started.
    private(set) var succeeded = 0
    private(set) var failed = 0
    private(set) var retried = 0
    private(set) var revoked = 0

    /// The bucket of a duration: 0 up to 100 µs, then one per factor of √2, at most 63.
    static func bucket(seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0.0001 else { return seconds.isInfinite && seconds > 0 ? 63 : 0 }
        return min(63, 1 + Int((2 * log(seconds / 0.0001) / log(2.0)).rounded(.down)))
    }

    /// Counts one stored outcome: its metric by runtime bucket, and its wait.
    mutating func add(_ completion: Completion) {
        let metric: String
        switch completion.outcome {
        case .succeeded, .ignored:
            metric = "succeeded"
            succeeded += 1
        case .failed:
            metric = "failed"
            failed += 1
        case .retry:
            metric = "retried"
            retried += 1
        case .revoked:
            metric = "revoked"
            revoked += 1
        case .snoozed:
            metric = "snoozed"
        }
        let queue = completion.queue
        let name = completion.name
        pending[Key(queue: queue, name: name, metric: metric, bucket: Self.bucket(seconds: completion.runtime)), default: 0] += 1
        pending[Key(queue: queue, name: name, metric: "wait", bucket: Self.bucket(seconds: completion.wait)), default: 0] += 1
    }

    /// The statement adding the pending counts and setting the totals of `worker`.
    func statement(worker: String) -> SQL.TaskStats.Add {
        let keys = Array(pending.keys)
        return SQL.TaskStats.Add(
            worker: worker, queues: keys.map(\.queue), names: keys.map(\.name), metrics: keys.map(\.metric),
            buckets: keys.map(\.bucket), counts: keys.map { pending[$0] ?? 0 }, succeeded: succeeded, failed: failed,
            retried: retried, revoked: revoked)
    }

    /// Whether anything was counted since the last flush.
    var isEmpty: Bool { pending.isEmpty }

    /// After a flush the database holds the pending counts.
    mutating func flushed() {
        pending.removeAll(keepingCapacity: true)
    }
}
