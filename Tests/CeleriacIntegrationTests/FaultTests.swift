import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// The lighter cases of the fault suite: real processes killed with SIGKILL.
@Suite struct FaultTests {
    /// A worker with a short lease, so rescue happens within seconds. Its `tasks.nap` sleeps as
    /// long as asked: long enough that it is still running when the test kills it, however
    /// loaded the machine.
    static func launchVictim(_ env: TestEnvironment, acksLate: Bool = false) throws -> (Process, Pipe) {
        try ProcessTests.launch(
            "celeriac-test-worker", ["worker", "-c", "2", "-n", "victim@%h"], schema: env.schema, url: env.url,
            environment: [
                "CELERIAC_LEASE_SECONDS": "3", "CELERIAC_HEARTBEAT_SECONDS": "1", "CELERIAC_MAINTENANCE_INTERVAL": "0.5",
                "CELERIAC_TASK_ACKS_LATE": acksLate ? "true" : "false",
            ]
        )
    }

    @Test func killedWorkersTasksAreRescuedFailedOrRequeuedByAcksLate() async throws {
        try await TestEnvironment.with({ $0.maintenanceInterval = .milliseconds(500) }) { env in
            // The survivor's own nap answers at once.
            _ = env.app.task("tasks.nap") { (milliseconds: Int) async throws -> Int in milliseconds }
            // The survivor: takes over maintenance (rescue) and runs re-queued work.
            let survivor = env.startWorker(queues: ["survivor"], concurrency: 2, name: "survivor@%h")

            // Without acks_late: the lost task fails with WorkerLostError.
            let (first, _) = try Self.launchVictim(env)
            let lost = try await env.app.sendTask("tasks.nap", args: "[60000]")
            try await env.eventually("the victim started the task") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 1
            }
            kill(first.processIdentifier, SIGKILL)
            let killedAt = ContinuousClock.now
            let error = await #expect(throws: TaskFailedError.self) { try await lost.get(timeout: .seconds(20)) }
            #expect(error?.info.type == "WorkerLostError")
            #expect(ContinuousClock.now - killedAt < .seconds(10))  // lease 3 s + maintenance 0.5 s + slack

            // With acks_late (the worker's setting, which it registers for its tasks): the task
            // goes back to the queue and runs again elsewhere.
            let (second, _) = try Self.launchVictim(env, acksLate: true)
            let retried = try await env.app.sendTask("tasks.nap", args: "[42000]", options: CallOptions(queue: "celery"))
            try await env.eventually("the victim started the task") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 1
            }
            kill(second.processIdentifier, SIGKILL)
            await ProcessTests.exit(of: second)
            // Move it where the survivor listens once it is back in the queue.
            try await env.eventually(timeout: .seconds(20), "re-queued") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'queued' AND attempt = 1") == 1
            }
            try await env.sql("UPDATE \(env.schema).tasks SET queue = 'survivor'")
            #expect(try await retried.get(timeout: .seconds(20)) == .number(42000))
            #expect(
                try await env.sql(
                    "SELECT attempt || ' ' || (worker LIKE 'survivor@%') FROM \(env.schema).results WHERE id = $1",
                    [retried.id.celeryString]) == ["2 true"])
            try await survivor.stop()
        }
    }

    @Test func threeBeatsWithKillsEnqueueEveryTickExactlyOnce() async throws {
        try await TestEnvironment.with { env in
            try await env.sql(
                "INSERT INTO \(env.schema).periodic_tasks (name, task, interval_seconds, misfire_policy) VALUES ('tick', 'tasks.noop', 1, 'all')"
            )
            var beats = try (0..<3).map { _ in
                try ProcessTests.launch("celeriac", ["beat", "--max-sleep", "1"], schema: env.schema, url: env.url).0
            }
            let started = ContinuousClock.now
            var kills = 0
            // At least 12 s and 6 kills (a loaded machine may take longer over each).
            while ContinuousClock.now - started < .seconds(12) || (kills < 6 && ContinuousClock.now - started < .seconds(40)) {
                try await Task.sleep(for: .milliseconds(1500))
                let victim = Int.random(in: 0..<beats.count)
                kill(beats[victim].processIdentifier, SIGKILL)
                await ProcessTests.exit(of: beats[victim])
                kills += 1
                beats[victim] = try ProcessTests.launch("celeriac", ["beat", "--max-sleep", "1"], schema: env.schema, url: env.url).0
            }
            for beat in beats {
                kill(beat.processIdentifier, SIGTERM)
                await ProcessTests.exit(of: beat)
            }
            let ticks = try await env.count("SELECT count(*) FROM \(env.schema).periodic_ticks")
            let span = try await env.count(
                "SELECT round(extract(epoch FROM max(tick) - min(tick)))::int + 1 FROM \(env.schema).periodic_ticks"
            )
            let tasks = try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE options->>'periodic_task' = 'tick'")
            #expect(kills >= 6)
            #expect(ticks >= 10)
            #expect(ticks == span, "missed ticks: \(span - ticks)")
            #expect(tasks == ticks, "duplicate or lost tasks: \(tasks) tasks for \(ticks) ticks")
        }
    }
}

extension FaultTests {
    @Test func workerSurvivesItsBackendBeingTerminated() async throws {
        try await TestEnvironment.with({ $0.workerPollInterval = .milliseconds(200) }) { env in
            let runs = ExecutionLog()
            let step = env.app.task("tasks.step") { (n: Int) async throws -> Int in
                try await Task.sleep(for: .milliseconds(25))  // 400 × 25 ms / 8 slots: over a second of work
                runs.record(String(n))
                return n
            }
            let node = "term-\(UInt32.random(in: 0..<UInt32.max))"
            let worker = env.startWorker(concurrency: 8, name: "\(node)@%h")
            let total = 400
            try await env.app.enqueue(try (0..<total).map { try step.message($0) })
            // Start terminating only once the worker is connected and working: on a loaded machine
            // (the suites run in parallel) its first connection can take longer than the rounds below.
            try await env.eventually(timeout: .seconds(20), "the worker is connected and has finished a task") {
                try await env.count("SELECT count(*) FROM \(env.schema).results") > 0
            }
            var terminated = 0
            for _ in 0..<3 {
                terminated += try await env.count(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1 AND pg_terminate_backend(pid)",
                    ["celeriac-worker:\(node)%"]
                )
                try await Task.sleep(for: .milliseconds(120))
            }
            #expect(terminated >= 1)  // later rounds may find it still reconnecting
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results") < total)  // killed mid-run
            try await env.eventually(timeout: .seconds(30), "every task finished") {
                try await env.count("SELECT count(*) FROM \(env.schema).results") == total
            }
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE state = 'succeeded'") == total)
            #expect(Set(runs.all).count == total)
            try await worker.stop()
        }
    }
}

extension FaultTests {
    @Test func poisonInputsDoNotWedgeTheWorker() async throws {
        try await TestEnvironment.with { env in
            let nul = env.app.task("tasks.nul") { () async throws -> String in "a\u{0}b" }
            let far = env.app.task("tasks.far", maxRetries: 1) { task -> Int in
                throw task.retry(because: Boom(message: "later"), countdown: .seconds(1e12))
            }
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            // A far-future and an infinite eta from SQL: stored or refused, never a crash.
            try await env.sql("SELECT \(env.schema).enqueue('tasks.add', '[1, 1]', eta => '2400-01-01')")
            await #expect(throws: PostgresError.self) {
                try await env.sql("SELECT \(env.schema).enqueue('tasks.add', '[1, 1]', eta => 'infinity')")
            }
            #expect(try await nul.delay().get(timeout: .seconds(10)) == "a\u{FFFD}b")
            let retried = try await far.delay()
            try await env.eventually("the retry is scheduled") { try await retried.state == .retry }
            #expect(try await add.delay(2, 2).get(timeout: .seconds(10)) == 4)
            try await worker.stop()
        }
    }
}
