import Celeriac
import CeleriacPostgres
import Foundation
import Synchronization
import Testing

/// Enqueue → claim → result, chains, retries, timeouts, against a real PostgreSQL.
@Suite struct CoreFlowTests {
    @Test func enqueueClaimAndResult() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            let result = try await add.delay(2, 3)
            #expect(try await result.get(timeout: .seconds(10)) == 5)
            #expect(try await result.state == .success)
            #expect(try await result.ready)
            #expect(try await result.successful)
            #expect(try await result.result == 5)
            // The finished task left the queue for the results table, with its worker and attempt.
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 0)
            let row = try await env.sql(
                "SELECT state || ' ' || attempt || ' ' || (worker LIKE 'test@%') FROM \(env.schema).results WHERE id = $1",
                [result.id.celeryString]
            )
            #expect(row == ["succeeded 1 true"])
            try await worker.stop()
        }
    }

    @Test func notifyWakesAnIdleWorkerLongBeforeThePollInterval() async throws {
        try await TestEnvironment.with({ $0.workerPollInterval = .seconds(30) }) { env in
            let echo = env.app.task("tasks.echo") { (text: String) async throws -> String in text }
            let worker = env.startWorker()
            // Idle: its claim came back short, so it waits for a NOTIFY (or a 30 s poll).
            try await env.eventually("the worker waits for work") {
                try await env.count("SELECT count(*) FROM \(env.schema).workers WHERE listening") == 1
            }
            let started = ContinuousClock.now
            let result = try await echo.delay("hi")
            #expect(try await result.get(timeout: .seconds(5)) == "hi")
            #expect(ContinuousClock.now - started < .seconds(5))
            try await worker.stop()
        }
    }

    @Test func chainPassesEachResultToTheNextStepInOrder() async throws {
        try await TestEnvironment.with { env in
            let log = ExecutionLog()
            let append = env.app.task("tasks.append") { (list: [String], item: String) async throws -> [String] in
                log.record(item)
                return list + [item]
            }
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()

            let letters = try await (append.s([String](), "a") | append.s("b") | append.s("c")).delay()
            #expect(try await letters.get(timeout: .seconds(10)) == ["a", "b", "c"])
            #expect(log.all == ["a", "b", "c"])

            let sum = try await (add.s(100, 200) | add.s(300)).delay()
            #expect(try await sum.get(timeout: .seconds(10)) == 600)
            // Each step records its parent and the chain's root.
            let links = try await env.sql(
                """
                SELECT (parent_id IS NOT NULL)::text || ' ' || (root_id = parent_id)::text
                FROM \(env.schema).results WHERE id = $1
                """,
                [sum.id.celeryString]
            )
            #expect(links == ["true true"])
            try await worker.stop()
        }
    }

    @Test func aFailedStepAbortsTheRestOfTheChain() async throws {
        try await TestEnvironment.with { env in
            let fail = env.app.task("tasks.fail") { (x: Int) async throws -> Int in throw Boom(message: "no \(x)") }
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            let last = try await (fail.s(1) | add.s(2) | add.s(3)).delay()
            let error = await #expect(throws: TaskFailedError.self) { try await last.get(timeout: .seconds(10)) }
            #expect(error?.info.type == "ChainAborted")
            #expect(error?.info.message.contains("no 1") == true)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE state = 'failed'") == 3)
            try await worker.stop()
        }
    }

    @Test func retriesThenSucceeds() async throws {
        try await TestEnvironment.with { env in
            let flaky = env.app.task("tasks.flaky", maxRetries: 3, defaultRetryDelay: .milliseconds(100)) { task in
                if task.retries < 2 { throw task.retry(because: Boom(message: "attempt \(task.attempt)")) }
                return "ok after \(task.retries) retries"
            }
            let worker = env.startWorker()
            let result = try await flaky.delay()
            #expect(try await result.get(timeout: .seconds(10)) == "ok after 2 retries")
            let row = try await env.sql(
                "SELECT attempt || '/' || retries FROM \(env.schema).results WHERE id = $1", [result.id.celeryString]
            )
            #expect(row == ["3/2"])
            try await worker.stop()
        }
    }

    @Test func retriesExhaustedEndInFailureWithTheError() async throws {
        try await TestEnvironment.with { env in
            let hopeless = env.app.task("tasks.hopeless", maxRetries: 2, defaultRetryDelay: .milliseconds(50)) { task -> Int in
                throw task.retry(because: Boom(message: "still broken"))
            }
            let worker = env.startWorker()
            let result = try await hopeless.delay()
            let error = await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
            #expect(error?.info.type == "Boom")
            #expect(error?.info.message == "still broken")
            #expect(error?.info.traceback?.contains("attempt 3") == true)
            #expect(try await result.state == .failure)
            let row = try await env.sql(
                "SELECT attempt || '/' || retries || ' ' || (error->>'type') FROM \(env.schema).results WHERE id = $1",
                [result.id.celeryString]
            )
            #expect(row == ["3/2 Boom"])
            try await worker.stop()
        }
    }

    @Test func getTimesOutWhenNoWorkerRuns() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let result = try await add.delay(1, 1)
            let started = ContinuousClock.now
            let error = await #expect(throws: TimeoutError.self) { try await result.get(timeout: .milliseconds(300)) }
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(300) && waited < .seconds(10))
            #expect(error?.lastState == .pending)
        }
    }

    @Test func countdownSchedulesTheTaskLater() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            // Far enough ahead that a slow machine still sees it waiting.
            let later = try await add.applyAsync(1, 1, options: CallOptions(countdown: .seconds(60)))
            #expect(try await later.state == .scheduled)
            let started = ContinuousClock.now
            let soon = try await add.applyAsync(4, 4, options: CallOptions(countdown: .seconds(1)))
            #expect(try await soon.get(timeout: .seconds(10)) == 8)
            #expect(ContinuousClock.now - started >= .seconds(1))
            #expect(try await later.state == .scheduled)
            try await worker.stop()
        }
    }

    @Test func queuesAndPriorities() async throws {
        try await TestEnvironment.with({ $0.taskRoutes = ["mail.*": "emails"] }) { env in
            let log = ExecutionLog()
            let note = env.app.task("mail.note") { (text: String) async throws -> String in
                log.record(text)
                return text
            }
            // Enqueue first, then start a single-slot worker: priority decides the order.
            _ = try await note.applyAsync("low", options: CallOptions(priority: 1))
            let high = try await note.applyAsync("high", options: CallOptions(priority: 9))
            #expect(try await env.sql("SELECT DISTINCT queue FROM \(env.schema).tasks") == ["emails"])
            let idle = env.startWorker(queues: ["celery"], concurrency: 1)
            // Waiting for work means its claim on `celery` came back empty.
            try await env.eventually("the other queue's worker waits for work") {
                try await env.count("SELECT count(*) FROM \(env.schema).workers WHERE listening") == 1
            }
            #expect(log.all.isEmpty)  // a worker on another queue takes nothing
            let worker = env.startWorker(queues: ["emails"], concurrency: 1)
            _ = try await high.get(timeout: .seconds(10))
            try await env.eventually("both ran") { log.all.count == 2 }
            #expect(log.all == ["high", "low"])
            try await worker.stop()
            try await idle.stop()
        }
    }
}

extension CoreFlowTests {
    /// Chains written by hand with SQL: a step whose id is not a UUID is skipped (the chain
    /// ends there) without failing the completions written with it; a well-formed one runs.
    /// A chain step's arguments (the result before it and its own) over max_payload_bytes: the
    /// step is not sent; it fails with PayloadTooLarge and the rest with ChainAborted, whether
    /// the chain was built in Swift or written by hand.
    @Test func aChainStepWhoseArgumentsAreTooLargeFailsAndAbortsTheRest() async throws {
        try await TestEnvironment.with({ $0.maxPayloadBytes = 1_000 }) { env in
            let text = env.app.task("tasks.text") { (size: Int) async throws -> String in String(repeating: "x", count: size) }
            let join = env.app.task("tasks.join") { (a: String, b: String) async throws -> Int in a.count + b.count }
            let worker = env.startWorker()
            // Each part fits; together they do not.
            let built = try await (text.s(600) | join.s(String(repeating: "y", count: 600)) | join.si("z", "w")).delay()
            let error = await #expect(throws: TaskFailedError.self) { try await built.get(timeout: .seconds(10)) }
            #expect(error?.info.type == "ChainAborted")
            #expect(
                try await env.sql("SELECT error->>'type' FROM \(env.schema).results WHERE name = 'tasks.join' ORDER BY error->>'type'")
                    == ["ChainAborted", "PayloadTooLarge"])
            let message = try await env.sql(
                "SELECT error->>'message' FROM \(env.schema).results WHERE error->>'type' = 'PayloadTooLarge'")
            #expect(message.first??.contains("more than the limit of 1000 (max payload bytes)") == true, "\(message)")

            // Written by hand, with a step whose own arguments are too large.
            let head = UUID.v7().celeryString
            let next = UUID.v7()
            try await env.sql(
                """
                INSERT INTO \(env.schema).tasks (id, name, args, chain)
                VALUES ($1, 'tasks.text', '[1]', jsonb_build_array(jsonb_build_object(
                    'id', $2::text, 'task', 'tasks.join', 'args', jsonb_build_array(repeat('w', 2000)))))
                """,
                [head, next.celeryString])
            let handWritten = await #expect(throws: TaskFailedError.self) {
                try await AsyncResult<Int>(id: next, app: env.app).get(timeout: .seconds(10))
            }
            #expect(handWritten?.info.type == "PayloadTooLarge")
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 0)
            try await worker.stop()
        }
    }

    @Test func handWrittenChainStepsWithBadIdsAreSkipped() async throws {
        try await TestEnvironment.with { env in
            _ = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let good = UUID.v7().celeryString
            let steps = [
                good,
                "01a2172a-ed21-7b72-82c1-20c5e1f4216",  // 35 characters
                "01a2172aed21-7b72-82c1-20c5e1f42161-",  // a dash out of place
                "01a2172a-ed21-7b72-82c1-20c5e1f4216g",  // not hex
                "{01a2172a-ed21-7b72-82c1-20c5e1f4216}",
            ]
            var firsts: [String] = []
            for id in steps {
                let first = UUID.v7().celeryString
                firsts.append(first)
                try await env.sql(
                    """
                    INSERT INTO \(env.schema).tasks (id, name, args, chain)
                    VALUES ($1, 'tasks.add', '[1, 2]', jsonb_build_array(jsonb_build_object('id', $2::text, 'task', 'tasks.add', 'args', '[10]'::jsonb)))
                    """,
                    [first, id]
                )
            }
            let worker = env.startWorker()
            let finished = "SELECT count(*) FROM \(env.schema).results WHERE id = ANY ($1::uuid[])"
            try await env.eventually("every first step finished") {
                try await env.count(finished, ["{\(firsts.joined(separator: ","))}"]) == steps.count
            }
            #expect(try await AsyncResult<Int>(id: try #require(UUID(uuidString: good)), app: env.app).get(timeout: .seconds(10)) == 13)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE state = 'succeeded'") == steps.count + 1)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 0)
            try await worker.stop()
        }
    }

    /// STARTED or PENDING for a running task is the running worker's setting, whoever asks.
    @Test func trackStartedIsTheWorkersChoiceNotTheReaders() async throws {
        for workerTracks in [true, false] {
            try await TestEnvironment.with({ $0.taskTrackStarted = workerTracks }) { env in
                let gate = Mutex(false)
                let slow = env.app.task("tasks.slow") { (n: Int) async throws -> Int in
                    while !gate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                    return n
                }
                let worker = env.startWorker()
                let result = try await slow.delay(1)
                try await env.eventually("the task started") {
                    try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 1
                }
                // A reader whose own setting says the opposite.
                let reader = CeleriacApp("reader", database: env.url, environment: [:])
                reader.conf.schema = env.schema
                reader.conf.taskTrackStarted = !workerTracks
                let seen = try await AsyncResult<Int>(id: result.id, app: reader).state
                #expect(seen == (workerTracks ? .started : .pending))
                reader.shutdown()
                gate.withLock { $0 = true }
                #expect(try await result.get(timeout: .seconds(10)) == 1)
                try await worker.stop()
            }
        }
    }

    /// ignore_result skips storing the value, not passing it down the chain.
    @Test func anIgnoredResultStillGoesDownTheChainAndLeavesNoRow() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add", options: TaskOptions(ignoreResult: true)) { (x: Int, y: Int) async throws -> Int in
                x + y
            }
            let double = env.app.task("tasks.double") { (x: Int) async throws -> Int in x * 2 }
            let worker = env.startWorker()
            let first = add.s(1, 2)
            let last = try await (first | double.s()).delay()
            #expect(try await last.get(timeout: .seconds(10)) == 6)
            let rows = try await env.sql("SELECT name FROM \(env.schema).results ORDER BY name")
            #expect(rows == ["tasks.double"])
            try await worker.stop()
        }
    }

    /// Call options on a later step of a chain apply to that step when it is inserted.
    @Test func laterChainStepsKeepTheirCallOptions() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            let expires = Date().addingTimeInterval(3600)
            // A countdown long enough that the step is still waiting when it is looked at, however
            // loaded the machine; then it is made due.
            let later = add.s(3).set(CallOptions(countdown: .seconds(60), expires: expires, maxRetries: 5))
            let last = try await (add.s(1, 2) | later).delay()
            try await env.eventually("the second step was inserted") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE id = $1", [last.id.celeryString]) == 1
            }
            let row = try await env.sql(
                """
                SELECT max_retries || ' ' || (run_at - created_at BETWEEN interval '59.9 s' AND interval '61 s')
                       || ' ' || (abs(extract(epoch FROM expires_at) - $2::float8) < 0.01)
                FROM \(env.schema).tasks WHERE id = $1
                """,
                [last.id.celeryString, String(expires.timeIntervalSince1970)]
            )
            #expect(row == ["5 true true"])
            try await env.sql("UPDATE \(env.schema).tasks SET run_at = now() WHERE id = $1", [last.id.celeryString])
            #expect(try await last.get(timeout: .seconds(20)) == 6)
            try await worker.stop()
        }
    }

    /// A failure carries a traceback: the Swift error chain and where it happened.
    @Test func aFailureCarriesTheErrorChainAndItsContext() async throws {
        struct Wrapped: Error {
            let step: String
            let underlying: any Error
        }
        try await TestEnvironment.with { env in
            let fail = env.app.task("tasks.wrap") { (x: Int) async throws -> Int in
                throw Wrapped(step: "charge card", underlying: Boom(message: "card \(x) declined"))
            }
            let worker = env.startWorker()
            let result = try await fail.delay(7)
            let error = await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
            let traceback = try #require(error?.info.traceback)
            #expect(traceback.contains("Wrapped"))
            #expect(traceback.contains("charge card"))
            #expect(traceback.contains("caused by: Boom: card 7 declined"))
            #expect(traceback.contains("in task tasks.wrap[\(result.id.celeryString)], attempt 1"))
            #expect(traceback.contains("worker test@"))
            let (status, output) = try await ProcessTests.runOffPool(
                "celeriac", ["result", result.id.celeryString], schema: env.schema, url: env.url)
            #expect(status == 1)
            #expect(output.contains("\"traceback\""))
            #expect(output.contains("card 7 declined"))
            try await worker.stop()
        }
    }
}
