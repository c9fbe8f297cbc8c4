import Celeriac
import Foundation

/// The tasks the benchmark drains, registered both in the bench process (to enqueue
/// them with `delay()`) and in its worker processes (to run them).
struct BenchTasks: Sendable {
    /// Does nothing: measures the queue, not the work.
    let noop: TaskDefinition<Int>
    /// Sleeps 10 ms: shows whether the async pool really overlaps waiting tasks.
    let sleep10: TaskDefinition<Int>
    /// Returns the wall-clock time its body started (seconds since 1970): pickup latency
    /// as the peers' harness measures it, from the producer's clock readings.
    let stamp: TaskDefinition<Double>
    /// Asks to run again once, a second later, then succeeds: the retry path under load.
    let flaky: TaskDefinition<Int>
    /// A no-op with relaxed durability (acks_late): claims and completions that do not wait
    /// for the disk.
    let relaxed: TaskDefinition<Int>
    /// A no-op under a rate limit far above any drain rate (registered with its type): what
    /// the limit machinery costs when it never binds.
    let limited: TaskDefinition<Int>
    /// Adds up a chord's results: the body of the canvas part.
    let sum: TaskDefinition<[Int], Int>

    init(app: CeleriacApp) {
        noop = app.task("bench.noop") { () async throws -> Int in 0 }
        sleep10 = app.task("bench.sleep") { () async throws -> Int in
            try await Task.sleep(for: .milliseconds(10))
            return 0
        }
        stamp = app.task("bench.stamp") { () async throws -> Double in Date().timeIntervalSince1970 }
        flaky = app.task("bench.flaky", maxRetries: 3) { (task: TaskContext) async throws -> Int in
            if task.retries == 0 { throw task.retry(countdown: .seconds(1)) }
            return task.retries
        }
        limited = app.task("bench.limited", options: TaskOptions(rateLimit: .perSecond(1_000_000))) { () async throws -> Int in 0 }
        sum = app.task("bench.sum") { (values: [Int]) async throws -> Int in values.reduce(0, +) }
        relaxed = app.task("bench.relaxed", options: TaskOptions(acksLate: true, durability: .relaxed)) { () async throws -> Int in 0 }
    }
}
