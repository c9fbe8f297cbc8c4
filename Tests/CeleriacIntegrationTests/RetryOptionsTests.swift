import CeleriacPostgres
import Foundation
import Synchronization
import Testing

@testable import Celeriac

/// Retry waits that back off, and snoozes that use up no retry, checked in the event log.
@Suite struct RetryOptionsTests {
    @Test func backoffDoublesTheWaitUpToTheCapThenFailsWithTheOriginalError() async throws {
        try await TestEnvironment.with({ $0.workerSendTaskEvents = true }) { env in
            let backoff = RetryBackoff(base: .milliseconds(40), maximum: .milliseconds(100), jitter: false)
            let hopeless = env.app.task("tasks.backoff", options: TaskOptions(maxRetries: 3, retryBackoff: backoff)) {
                task -> Int in
                throw task.retry(because: Boom(message: "down \(task.attempt)"))
            }
            let worker = env.startWorker()
            let result = try await hopeless.delay()
            let error = await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
            #expect(error?.info.type == "Boom")
            #expect(error?.info.message == "down 4")
            let waits = try await env.sql(
                "SELECT detail->>'countdown' FROM \(env.schema).task_history($1) WHERE kind = 'retried' ORDER BY at",
                [result.id.uuidString])
            #expect(waits.compactMap { $0.flatMap(Double.init) } == [0.04, 0.08, 0.1])
            // Every attempt's error is in the history.
            let errors = try await env.sql(
                "SELECT error->>'message' FROM \(env.schema).task_history($1) WHERE kind IN ('retried', 'failed') ORDER BY at",
                [result.id.uuidString])
            #expect(errors == ["down 1", "down 2", "down 3", "down 4"])
            try await worker.stop()
        }
    }

    struct Flaky: Error {}
    struct Fatal: Error {}

    @Test func autoretryForRetriesTheListedErrorsOnlyThenFailsWithTheOriginal() async throws {
        // Without -E: retries are recorded anyway, so every attempt's error is in the history.
        try await TestEnvironment.with { env in
            let options = TaskOptions(
                maxRetries: 2, retryBackoff: RetryBackoff(base: .milliseconds(20), maximum: .milliseconds(50), jitter: true),
                autoretryFor: [ErrorMatcher(Flaky.self)])
            let attempts = Mutex(0)
            let flaky = env.app.task("tasks.flaky", options: options) { (fatal: Bool) async throws -> Int in
                attempts.withLock { $0 += 1 }
                if fatal { throw Fatal() }
                throw Flaky()
            }
            let worker = env.startWorker()
            // A listed error: three attempts (two retries), then FAILURE with that error.
            let listed = try await flaky.delay(false)
            let error = await #expect(throws: TaskFailedError.self) { try await listed.get(timeout: .seconds(10)) }
            #expect(error?.info.type == "Flaky")
            #expect(attempts.withLock { $0 } == 3)
            let kinds = try await env.sql(
                "SELECT kind FROM \(env.schema).task_history($1) WHERE kind IN ('retried', 'failed') ORDER BY at",
                [listed.id.uuidString])
            // The two retries in the event log (without -E, the final outcome is in results only).
            #expect(kinds == ["retried", "retried"])
            let errors = try await env.sql(
                "SELECT error->>'type' FROM \(env.schema).task_history($1) WHERE kind IN ('retried', 'failed') ORDER BY at",
                [listed.id.uuidString])
            #expect(errors == ["Flaky", "Flaky"])
            // An error not listed fails at once.
            let other = try await flaky.delay(true)
            let fatal = await #expect(throws: TaskFailedError.self) { try await other.get(timeout: .seconds(10)) }
            #expect(fatal?.info.type == "Fatal")
            #expect(attempts.withLock { $0 } == 4)
            try await worker.stop()
        }
    }

    @Test func aSnoozeRunsTheTaskAgainWithoutUsingUpARetry() async throws {
        try await TestEnvironment.with({ $0.workerSendTaskEvents = true }) { env in
            let waited = Mutex(0)
            let patient = env.app.task("tasks.patient", maxRetries: 0) { task -> Int in
                let times = waited.withLock { count -> Int in
                    count += 1
                    return count
                }
                if times <= 2 { throw task.snooze(for: .milliseconds(30)) }
                return task.attempt * 10 + task.retries
            }
            let worker = env.startWorker()
            let result = try await patient.delay()
            #expect(try await result.get(timeout: .seconds(10)) == 30)
            let row = try await env.sql(
                "SELECT attempt || '/' || retries FROM \(env.schema).results WHERE id = $1", [result.id.celeryString])
            #expect(row == ["3/0"])
            let kinds = try await env.sql(
                "SELECT kind FROM \(env.schema).task_history($1) WHERE kind NOT IN ('received', 'started') ORDER BY at",
                [result.id.uuidString])
            #expect(kinds == ["snoozed", "snoozed", "succeeded"])
            let waits = try await env.sql(
                "SELECT detail->>'countdown' FROM \(env.schema).task_history($1) WHERE kind = 'snoozed'", [result.id.uuidString])
            #expect(waits == ["0.03", "0.03"])
            try await worker.stop()
        }
    }
}
