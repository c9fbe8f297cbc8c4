import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// Producers NOTIFY only when it can help: a worker of the task's queue is waiting for work.
@Suite(.serialized) struct NotifyTests {
    /// The payloads (queue names) notified on the app's channel while `action` ran.
    static func notifications(in env: TestEnvironment, during action: () async throws -> Void) async throws -> [String] {
        let listener = DatabaseThread(url: try DatabaseURL(env.url), name: "test-listener")
        defer { listener.shutdown() }
        let channel = "\(env.schema).tasks"
        try await listener.run { try $0.listen(channel) }
        try await action()
        return try await listener.run { connection in
            var payloads: [String] = []
            let deadline = ContinuousClock.now + .milliseconds(300)
            while ContinuousClock.now < deadline {
                payloads += try connection.wait(timeout: deadline - .now).notifications.map(\.payload)
            }
            return payloads.sorted()
        }
    }

    static func addWorkerRow(_ env: TestEnvironment, id: String, queues: String, listening: Bool) async throws {
        try await env.sql(
            """
            INSERT INTO \(env.schema).workers (id, name, hostname, pid, queues, concurrency, pool, version, listening)
            VALUES ($1, $1, 'host', 1, $2::text[], 1, 'async', 'test', $3)
            """,
            [id, queues, listening ? "true" : "false"]
        )
    }

    @Test func producersNotifyOnlyWhenAWorkerOfTheQueueIsWaiting() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let sendAll = {
                _ = try await add.delay(1, 1)
                _ = try await add.applyAsync(2, 2, options: CallOptions(queue: "other"))
                try await env.app.enqueue([try add.message(3, 3), try add.message(4, 4, options: CallOptions(queue: "other"))])
                _ = try await add.applyAsync(5, 5, options: CallOptions(countdown: .seconds(60)))
            }
            // Nobody listens: no NOTIFY at all.
            #expect(try await Self.notifications(in: env, during: sendAll) == [])

            // A worker of `celery` that is busy (its last claim was full): still none.
            try await Self.addWorkerRow(env, id: "w1", queues: "{celery}", listening: false)
            #expect(try await Self.notifications(in: env, during: sendAll) == [])

            // Once it waits for work: one per due `celery` task or bulk call, none for `other`
            // or for the task scheduled in a minute.
            try await env.sql("UPDATE \(env.schema).workers SET listening = true WHERE id = 'w1'")
            #expect(try await Self.notifications(in: env, during: sendAll) == ["celery", "celery"])

            // A real worker that waited for work and then stopped does not count: stopping
            // clears `listening`, which is all producers look at.
            try await env.sql("DELETE FROM \(env.schema).workers WHERE id = 'w1'")
            let worker = env.startWorker()
            try await env.eventually("the idle worker listens") {
                try await env.sql("SELECT listening::text FROM \(env.schema).workers") == ["true"]
            }
            try await worker.stop()
            #expect(try await env.sql("SELECT listening::text FROM \(env.schema).workers WHERE stopped_at IS NOT NULL") == ["false"])
            #expect(try await Self.notifications(in: env, during: sendAll) == [])
        }
    }

    /// A caller's transaction may commit long after its insert, when a worker busy at insert
    /// time is waiting: it NOTIFYs whenever the task is due (delivered at commit).
    @Test func insertsInsideTransactionsAlwaysNotify() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let message = try add.message(1, 2)
            let scheduled = try add.message(3, 4, options: CallOptions(countdown: .seconds(60)))
            let payloads = try await Self.notifications(in: env) {
                try await env.app.transaction { tx in
                    try tx.enqueue(message)
                    try tx.enqueue(scheduled)
                }
            }
            #expect(payloads == ["celery"])
            let rolledBack = try await Self.notifications(in: env) {
                _ = try? await env.app.transaction { tx in
                    try tx.enqueue(try add.message(5, 6))
                    throw Boom(message: "roll back")
                }
            }
            #expect(rolledBack == [])
        }
    }

    @Test func aWorkerIsListeningOnlyWhileItWaitsForWork() async throws {
        try await TestEnvironment.with { env in
            let nap = env.app.task("tasks.nap") { (milliseconds: Int) async throws -> Int in
                try await Task.sleep(for: .milliseconds(milliseconds))
                return milliseconds
            }
            let listening = { try await env.sql("SELECT listening::text FROM \(env.schema).workers") }
            let worker = env.startWorker(concurrency: 1)
            try await env.eventually("the idle worker listens") { try await listening() == ["true"] }

            // One slot, a backlog: its claims come back full, so it is not waiting for work.
            for _ in 0..<4 { _ = try await nap.delay(300) }
            try await env.eventually("the busy worker stops listening") { try await listening() == ["false"] }
            try await env.eventually(timeout: .seconds(10), "the backlog is done and the worker listens again") {
                let done = try await env.count("SELECT count(*) FROM \(env.schema).results") == 4
                guard done else { return false }
                return try await listening() == ["true"]
            }
            try await worker.stop()
            #expect(try await listening() == ["false"])
        }
    }

    /// The race the later looks are for, staged: a task is inserted while the worker is busy
    /// (so no NOTIFY) and committed just after the worker's claim that turned it to waiting
    /// (so that claim missed it). It must be picked up by a later look, not the 5 s poll.
    @Test func aTaskCommittedAsTheWorkerTurnsToWaitingDoesNotWaitForThePoll() async throws {
        try await TestEnvironment.with({ $0.workerPollInterval = .seconds(5) }) { env in
            let nap = env.app.task("tasks.nap") { (milliseconds: Int) async throws -> Int in
                try await Task.sleep(for: .milliseconds(milliseconds))
                return milliseconds
            }
            let url = try DatabaseURL(env.url)
            let producer = DatabaseThread(url: url, name: "test-producer")
            let watcher = DatabaseThread(url: url, name: "test-watcher")
            defer {
                producer.shutdown()
                watcher.shutdown()
            }
            let listening = "SELECT listening::text FROM \(env.schema).workers"
            let worker = env.startWorker(concurrency: 1)
            try await env.eventually("the worker waits for work") { try await env.sql(listening) == ["true"] }

            // Busy: its one slot runs a 400 ms task (the claim came back full).
            _ = try await nap.delay(400)
            try await env.eventually("the worker is busy") { try await env.sql(listening) == ["false"] }

            // Inserted now, seeing the worker busy, but not committed yet.
            let message = try nap.message(1)
            try await producer.run { connection in
                try connection.execute("BEGIN")
                try env.app.enqueue(message, on: connection)
            }
            // The worker finishes, claims (it cannot see the uncommitted task) and turns to
            // waiting; commit the moment that shows.
            try await watcher.run { connection in
                let deadline = ContinuousClock.now + .seconds(5)
                while try connection.execute(listening).string(0, 0) != "true", ContinuousClock.now < deadline {
                    Thread.sleep(forTimeInterval: 0.0005)
                }
            }
            try await producer.run { try $0.execute("COMMIT") }
            let committed = ContinuousClock.now

            try await env.eventually(timeout: .seconds(10), "the task ran") {
                try await env.count("SELECT count(*) FROM \(env.schema).results WHERE id = $1", [message.id.celeryString]) == 1
            }
            let waited = ContinuousClock.now - committed
            #expect(waited < .seconds(1), "picked up \(waited) after its commit")
            try await worker.stop()
        }
    }
}
