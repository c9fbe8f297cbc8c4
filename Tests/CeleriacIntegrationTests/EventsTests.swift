import CeleriacPostgres
import Foundation
import Testing

@testable import Celeriac

/// The durable event log (worker -E), a task's history, and the counters of task_stats.
@Suite struct EventsTests {
    private func kinds(_ env: TestEnvironment, _ id: UUID) async throws -> [String] {
        try await env.sql("SELECT kind FROM \(env.schema).task_history($1)", [id.uuidString]).compactMap { $0 }
    }

    @Test func aWorkerWithEventsRecordsTheWalkthroughInOrder() async throws {
        try await TestEnvironment.with({ $0.workerSendTaskEvents = true }) { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let flaky = env.app.task("tasks.flaky_task", maxRetries: 3, defaultRetryDelay: .milliseconds(10)) { task in
                if task.retries < 2 { throw task.retry(because: Boom(message: "Ой, упал!")) }
                return "OK"
            }
            let worker = env.startWorker()
            let sum = try await add.delay(2, 3)
            let chained = try await (add.s(4, 4) | add.s(10)).delay()
            let shaky = try await flaky.delay()
            #expect(try await sum.get(timeout: .seconds(10)) == 5)
            #expect(try await chained.get(timeout: .seconds(10)) == 18)
            #expect(try await shaky.get(timeout: .seconds(10)) == "OK")
            // Heartbeats come every second here.
            try await env.eventually("a heartbeat is recorded") {
                try await env.count("SELECT count(*) FROM \(env.schema).events WHERE kind = 'worker-heartbeat'") > 0
            }
            try await worker.stop()

            #expect(try await kinds(env, sum.id) == ["received", "started", "succeeded"])
            #expect(try await kinds(env, chained.id) == ["received", "started", "succeeded"])
            #expect(
                try await kinds(env, shaky.id) == [
                    "received", "started", "retried", "received", "started", "retried", "received", "started", "succeeded",
                ])
            let attempts = try await env.sql(
                "SELECT attempt::text || ':' || kind FROM \(env.schema).task_history($1) WHERE kind <> 'received'",
                [shaky.id.uuidString])
            #expect(attempts == ["1:started", "1:retried", "2:started", "2:retried", "3:started", "3:succeeded"])
            let errors = try await env.sql(
                "SELECT error->>'message' FROM \(env.schema).task_history($1) WHERE kind = 'retried'", [shaky.id.uuidString])
            #expect(errors == ["Ой, упал!", "Ой, упал!"])
            let countdowns = try await env.count(
                "SELECT count(*) FROM \(env.schema).task_history($1) WHERE kind = 'retried' AND (detail->>'countdown')::float8 > 0",
                [shaky.id.uuidString])
            #expect(countdowns == 2)
            // Each event names the worker, and outcomes their runtime.
            let workerID = try #require(try await env.sql("SELECT id FROM \(env.schema).workers").first ?? nil)
            #expect(
                try await env.count(
                    "SELECT count(*) FROM \(env.schema).task_events WHERE task_id IS NOT NULL AND worker IS DISTINCT FROM $1",
                    [workerID]) == 0)
            #expect(
                try await env.count(
                    "SELECT count(*) FROM \(env.schema).task_events WHERE kind IN ('succeeded', 'retried') AND runtime IS NULL") == 0)
            // The worker's own transitions.
            let workerKinds = try await env.sql(
                "SELECT DISTINCT kind FROM \(env.schema).task_events WHERE task_id IS NULL ORDER BY kind")
            #expect(workerKinds == ["worker-heartbeat", "worker-offline", "worker-online"])
            let first = try await env.sql("SELECT kind FROM \(env.schema).task_events ORDER BY at LIMIT 1")
            #expect(first == ["worker-online"])

            // The counters: five successes (three adds, one flaky), two retries.
            #expect(
                try await env.count(
                    "SELECT sum(count) FROM \(env.schema).task_stats WHERE metric = 'succeeded' AND name = 'tasks.add'") == 3)
            #expect(
                try await env.count(
                    "SELECT sum(count) FROM \(env.schema).task_stats WHERE metric = 'retried' AND name = 'tasks.flaky_task'")
                    == 2)
            #expect(try await env.count("SELECT sum(count) FROM \(env.schema).task_stats WHERE metric = 'wait'") == 6)
            #expect(try await env.sql("SELECT succeeded || '/' || retried FROM \(env.schema).workers") == ["4/2"])
        }
    }

    @Test func withoutEventsOnlyRareTransitionsAreRecorded() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            let sum = try await add.delay(1, 1)
            #expect(try await sum.get(timeout: .seconds(10)) == 2)
            try await worker.stop()
            #expect(try await kinds(env, sum.id) == [])
            let later = try await add.applyAsync(1, 2, options: CallOptions(countdown: .seconds(600)))
            #expect(try await later.revoke(reason: "no longer wanted") == "revoked")
            #expect(try await kinds(env, later.id) == ["revoked"])
            let message = try await env.sql(
                "SELECT error->>'message' FROM \(env.schema).task_history($1)", [later.id.uuidString])
            #expect(message == ["no longer wanted"])
            let workerKinds = try await env.sql("SELECT kind FROM \(env.schema).task_events WHERE task_id IS NULL ORDER BY at")
            #expect(workerKinds == ["worker-online", "worker-offline"])
            // The counters do not depend on -E.
            #expect(try await env.count("SELECT sum(count) FROM \(env.schema).task_stats WHERE metric = 'succeeded'") == 1)
        }
    }

    @Test func workersBucketDurationsAsTheDatabaseDoes() async throws {
        try await TestEnvironment.with { env in
            let samples: [Double] = [0, 0.00005, 0.0001, 0.00011, 0.000141, 0.0002, 0.001, 0.0123, 0.5, 1, 2, 3.3, 60, 3_600, 1e6]
            for seconds in samples {
                let database = try await env.count("SELECT \(env.schema).stats_bucket($1::float8)", [String(seconds)])
                #expect(TaskStatsTally.bucket(seconds: seconds) == database, "bucket of \(seconds)s")
            }
            // A bucket's representative duration lies inside the bucket.
            for bucket in 1..<63 {
                let seconds = Double(try await env.sql("SELECT \(env.schema).stats_bucket_seconds(\(bucket))").first! ?? "0")!
                #expect(TaskStatsTally.bucket(seconds: seconds) == bucket)
            }
        }
    }

    @Test func theEventsCommandTailsLiveAndResultHistoryPrintsAttempts() async throws {
        try await TestEnvironment.with({ $0.workerSendTaskEvents = true }) { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            // The tail starts now: it shows what happens from here on, filtered.
            let (tail, pipe) = try ProcessTests.launch(
                "celeriac", ["events", "--task", "tasks.a*", "--state", "received", "task-succeeded", "--count", "4", "--timeout", "30"],
                schema: env.schema, url: env.url)
            let output = Task { await ProcessTests.output(of: tail, pipe) }
            try await Task.sleep(for: .milliseconds(800))
            let first = try await add.delay(1, 2)
            let second = try await add.delay(3, 4)
            #expect(try await first.get(timeout: .seconds(10)) == 3)
            #expect(try await second.get(timeout: .seconds(10)) == 7)
            let text = await output.value
            try await worker.stop()
            #expect(tail.terminationStatus == 0, "events printed:\n\(text)")
            let lines = text.split(separator: "\n").filter { $0.hasPrefix("[") }
            #expect(lines.count == 4, "\(text)")
            #expect(lines.filter { $0.contains("task-received tasks.add[\(first.id.celeryString)]") }.count == 1)
            #expect(lines.filter { $0.contains("task-succeeded tasks.add[\(second.id.celeryString)]") }.count == 1)
            #expect(!text.contains("task-started"))

            let (status, history) = try await ProcessTests.runOffPool(
                "celeriac", ["result", first.id.celeryString, "--history", "--json"], schema: env.schema, url: env.url)
            #expect(status == 0)
            guard case .array(let events)? = try? JSONValue(json: history) else {
                Issue.record("not a JSON array: \(history)")
                return
            }
            let kinds = events.compactMap { event -> String? in
                if case .object(let fields) = event, case .string(let kind)? = fields["kind"] { kind } else { nil }
            }
            #expect(kinds == ["task-received", "task-started", "task-succeeded"])
        }
    }
}
