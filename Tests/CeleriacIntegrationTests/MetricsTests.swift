import Foundation
import MetricsTestKit
import Testing

@testable import Celeriac

/// Task metrics through swift-metrics (Observe/CeleriacMetrics.swift), read from a test backend.
@Suite struct MetricsTests {
    @Test func outcomesRuntimesAndWaitsAreCountedPerTaskAndQueue() async throws {
        try await TestEnvironment.with { env in
            let metrics = TestMetrics()
            let ok = env.app.task("tasks.ok") { (n: Int) async throws -> Int in n }
            let bad = env.app.task("tasks.bad") { () async throws -> Int in throw Boom(message: "no") }
            let worker = env.startWorker(observers: [CeleriacMetrics(factory: metrics)])
            for n in 0..<3 { _ = try await ok.delay(n).get(timeout: .seconds(10)) }
            _ = await #expect(throws: TaskFailedError.self) { try await bad.delay().get(timeout: .seconds(10)) }
            try await worker.stop()

            let okDimensions = [("task", "tasks.ok"), ("queue", "celery")]
            #expect(try metrics.expectCounter("celeriac_tasks_claimed_total", okDimensions).totalValue == 3)
            #expect(
                try metrics.expectCounter("celeriac_tasks_total", okDimensions + [("outcome", "succeeded")]).totalValue == 3)
            #expect(
                try metrics.expectCounter(
                    "celeriac_tasks_total", [("task", "tasks.bad"), ("queue", "celery"), ("outcome", "failed")]
                ).totalValue == 1)
            #expect(try metrics.expectTimer("celeriac_task_runtime_seconds", okDimensions).values.count == 3)
            #expect(try metrics.expectTimer("celeriac_task_wait_seconds", okDimensions).values.count == 3)
            // Never a task id among the dimensions.
            let labels = metrics.counters.flatMap(\.dimensions).map(\.0)
            #expect(Set(labels).isSubset(of: ["task", "queue", "outcome", "worker"]))
        }
    }
}
