import Foundation
import Testing

@testable import Celeriac

/// A task's own logger carries the task and the worker as swift-log metadata.
@Suite struct TaskLoggerTests {
    @Test func aTasksLoggerCarriesItsIdNameAttemptAndWorker() async throws {
        try await TestEnvironment.with { env in
            let look = env.app.task("tasks.look") { (task: TaskContext) async throws -> [String] in
                ["task_id", "task_name", "task_attempt", "worker"].map { "\(task.logger[metadataKey: $0] ?? "-")" }
            }
            let worker = env.startWorker(name: "logs@here")
            let result = try await look.delay()
            #expect(try await result.get(timeout: .seconds(10)) == [result.id.celeryString, "tasks.look", "1", "logs@here"])
            try await worker.stop()
        }
    }
}
