import CeleriacPostgres
import Foundation
import Testing

@testable import Celeriac

/// Per-call overrides of a task's own options, carried in the task row.
@Suite struct CallOverridesTests {
    @Test func aCallOverridesTheTasksLimitsResultAndAcknowledgement() async throws {
        try await TestEnvironment.with { env in
            let nap = env.app.task("tasks.nap") { (ms: Int) async throws -> Int in
                try await Task.sleep(for: .milliseconds(ms))
                return ms
            }
            let worker = env.startWorker()
            // A soft time limit for this call only.
            let cut = try await nap.applyAsync(5_000, options: CallOptions(softTimeLimit: .milliseconds(100)))
            let error = await #expect(throws: TaskFailedError.self) { try await cut.get(timeout: .seconds(10)) }
            #expect(error?.info.type == "SoftTimeLimitExceeded")
            // No result kept for this call; kept for a plain one.
            let quiet = try await nap.applyAsync(1, options: CallOptions(ignoreResult: true))
            let plain = try await nap.delay(1)
            #expect(try await plain.get(timeout: .seconds(10)) == 1)
            try await env.eventually("the quiet call finished") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE id = $1", [quiet.id.uuidString]) == 0
            }
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE id = $1", [quiet.id.uuidString]) == 0)
            try await worker.stop()

            // What the row carries, for the worker and the rescuer.
            let late = try await nap.applyAsync(
                1, options: CallOptions(acksLate: true, timeLimit: .seconds(30), softTimeLimit: .seconds(20), ignoreResult: false))
            let options = try await env.sql("SELECT options::text FROM \(env.schema).tasks WHERE id = $1", [late.id.uuidString])
            #expect(options == [#"{"acks_late": true, "time_limit": 30.0, "ignore_result": false, "soft_time_limit": 20.0}"#])

            // Expiring after a duration: never started, revoked as expired.
            let stale = try await nap.applyAsync(1, options: .expiring(in: .milliseconds(1)))
            try await Task.sleep(for: .milliseconds(20))
            let again = env.startWorker()
            let expired = await #expect(throws: TaskFailedError.self) { try await stale.get(timeout: .seconds(10)) }
            #expect(expired?.info.message == "expired")
            #expect(try await stale.state == .revoked)
            try await again.stop()
        }
    }

    @Test func aCallOverridesTheTasksRetryDelayAndBackoff() async throws {
        try await TestEnvironment.with({ $0.workerSendTaskEvents = true }) { env in
            let retrying = env.app.task("tasks.retrying", maxRetries: 2, defaultRetryDelay: .seconds(30)) {
                task -> Int in
                if task.retries < 2 { throw task.retry(because: Boom(message: "again")) }
                return task.retries
            }
            let worker = env.startWorker()
            // The task waits 30 s between retries; this call waits 50 ms, then backs off.
            var call = CallOptions()
            call.retryBackoff = RetryBackoff(base: .milliseconds(50), maximum: .milliseconds(70), jitter: false)
            let quick = try await retrying.applyAsync(options: call)
            #expect(try await quick.get(timeout: .seconds(10)) == 2)
            let waits = try await env.sql(
                "SELECT detail->>'countdown' FROM \(env.schema).task_history($1) WHERE kind = 'retried' ORDER BY at",
                [quick.id.uuidString])
            #expect(waits.compactMap { $0.flatMap(Double.init) } == [0.05, 0.07])
            var fixed = CallOptions()
            fixed.defaultRetryDelay = .milliseconds(20)
            let steady = try await retrying.applyAsync(options: fixed)
            #expect(try await steady.get(timeout: .seconds(10)) == 2)
            #expect(TaskRowOptions(json: try retrying.message(options: call).options.json).retryBackoff == call.retryBackoff)
            try await worker.stop()
        }
    }
}
