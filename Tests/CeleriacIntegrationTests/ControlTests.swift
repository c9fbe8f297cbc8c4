import Celeriac
import CeleriacPostgres
import Foundation
import Synchronization
import Testing

/// celeriac.control(): pool size and queues of live workers, durable delivery, the audit log.
@Suite struct ControlTests {
    @Test func thePoolGrowsAndShrinksAndConsumersAreAddedAndCancelled() async throws {
        try await TestEnvironment.with { env in
            let running = Mutex(0)
            let wait = env.app.task("tasks.wait") { (milliseconds: Int) async throws -> Int in
                running.withLock { $0 += 1 }
                defer { running.withLock { $0 -= 1 } }
                try await Task.sleep(for: .milliseconds(milliseconds))
                return milliseconds
            }
            let worker = env.startWorker(concurrency: 1)
            try await env.eventually("the worker listens") { try await env.app.ping(timeout: .milliseconds(300)).count == 1 }
            let (status, output) = try await ProcessTests.runOffPool(
                "celeriac", ["control", "pool_grow", "2"], schema: env.schema, url: env.url)
            #expect(status == 0 && output.contains("Sent pool_grow 2 to all workers"), "\(output)")
            try await env.eventually("three slots") { try await env.app.workerStatus().first?.concurrency == 3 }
            // In one statement, so that all three wait when the worker claims, however slow the machine.
            let messages = try (0..<3).map { _ in try wait.message(2_000) }
            try await env.app.enqueue(messages)
            try await env.eventually("three run at once") { running.withLock { $0 } == 3 }
            for message in messages {
                #expect(try await AsyncResult<Int>(id: message.id, app: env.app).get(timeout: .seconds(20)) == 2_000)
            }

            try await env.app.control(.poolShrink(5))
            try await env.eventually("one slot left") { try await env.app.workerStatus().first?.concurrency == 1 }
            let more = try await (0..<2).asyncMap { _ in try await wait.delay(300) }
            try await env.eventually("one runs") { running.withLock { $0 } == 1 }
            #expect(running.withLock { $0 } <= 1)
            for result in more { #expect(try await result.get(timeout: .seconds(10)) == 300) }

            let elsewhere = try await wait.applyAsync(1, options: CallOptions(queue: "extra"))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await elsewhere.state == .pending)
            let name = try #require(try await env.app.workerStatus().first?.name)
            try await env.app.control(.addConsumer("extra"), destination: name)
            #expect(try await elsewhere.get(timeout: .seconds(10)) == 1)
            #expect(try await env.app.workerStatus().first?.queues == ["celery", "extra"])
            try await env.app.control(.cancelConsumer("extra"), destination: name)
            try await env.eventually("queues written") { try await env.app.workerStatus().first?.queues == ["celery"] }
            let ignored = try await wait.applyAsync(1, options: CallOptions(queue: "extra"))
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await ignored.state == .pending)

            // Bad commands are refused by the database, with a reason.
            await #expect(throws: PostgresError.self) { try await env.app.control(.addConsumer("no spaces allowed")) }
            // Every command is in the audit log, with who sent it.
            let audit = try await env.sql("SELECT arguments->>'command' FROM \(env.schema).audit_log WHERE action = 'control' ORDER BY id")
            #expect(audit == ["pool_grow", "pool_shrink", "add_consumer", "cancel_consumer"])
            #expect(try await env.count("SELECT count(DISTINCT actor) FROM \(env.schema).audit_log WHERE actor <> ''") == 1)
            try await worker.stop()
        }
    }

    @Test func aMessageWhoseNotificationWasMissedIsFoundAtTheNextHeartbeat() async throws {
        try await TestEnvironment.with { env in
            let worker = env.startWorker(concurrency: 2)
            // Its loop runs (messages sent before it started are not for it).
            try await env.eventually("the worker listens") { try await env.app.ping(timeout: .milliseconds(300)).count == 1 }
            // As if the NOTIFY had been lost: the row alone.
            try await env.sql(
                "INSERT INTO \(env.schema).control_messages (destination, command, arguments, sent_by, expires_at) VALUES ('*', 'pool_grow', '{\"n\": 3}', 'test', now() + interval '1 minute')"
            )
            try await env.eventually(timeout: .seconds(15), "the worker acts on it at a heartbeat (every second)") {
                try await env.app.workerStatus().first?.concurrency == 5
            }
            // Once only.
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(try await env.app.workerStatus().first?.concurrency == 5)
            try await worker.stop()

            // A worker started later does not replay it.
            let later = env.startWorker(concurrency: 2)
            try await env.eventually("registered") { try await env.app.workerStatus().first?.status == "online" }
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(try await env.app.workerStatus().first?.concurrency == 2)
            try await later.stop()
        }
    }
}
