import Celeriac
import CeleriacPostgres
import Foundation
import Synchronization
import Testing

/// `celeriac status` (workers answer a ping) and `celeriac inspect` (read from the tables).
@Suite struct InspectTests {
    @Test func liveWorkersAnswerAPingAndStoppedOnesDoNot() async throws {
        try await TestEnvironment.with { env in
            let first = env.startWorker(name: "first@%h")
            let second = env.startWorker(queues: ["emails"], concurrency: 2, name: "second@%h")
            try await env.eventually("both registered") {
                try await env.count("SELECT count(*) FROM \(env.schema).workers WHERE stopped_at IS NULL") == 2
            }
            // A worker answers from its loop: it may need one turn after registering.
            var replies: [CeleriacApp.WorkerReply] = []
            try await env.eventually("both answered") {
                replies = try await env.app.ping(timeout: .milliseconds(500))
                return replies.count == 2
            }
            #expect(replies.map { $0.worker.hasPrefix("first@") || $0.worker.hasPrefix("second@") } == [true, true])
            #expect(replies.contains { $0.queues == ["emails"] && $0.free == 2 })
            let (status, output) = try await ProcessTests.runOffPool(
                "celeriac", ["status", "--timeout", "3"], schema: env.schema, url: env.url)
            #expect(status == 0, "\(output)")
            #expect(output.contains("2 nodes online."))
            try await second.stop()
            // A loaded machine may answer slowly: the wait is generous, the count is exact.
            let after = try await env.app.ping(timeout: .seconds(3)).map(\.worker)
            #expect(after.count == 1 && after.allSatisfy { $0.hasPrefix("first@") }, "\(after)")
            try await first.stop()
            let (noneStatus, none) = try await ProcessTests.runOffPool(
                "celeriac", ["status", "--timeout", "0.3"], schema: env.schema, url: env.url)
            #expect(noneStatus != 0)
            #expect(none.contains("0 nodes online."))
        }
    }

    @Test func inspectListsActiveScheduledReservedAndRegistered() async throws {
        try await TestEnvironment.with { env in
            let gate = Mutex(false)
            let slow = env.app.task("tasks.slow", acksLate: true) { (n: Int) async throws -> Int in
                while !gate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                return n
            }
            let worker = env.startWorker(concurrency: 1)
            let running = try await slow.delay(1)
            try await env.eventually("the task runs") { try await env.app.inspect("active").count == 1 }
            let waiting = try await slow.delay(2)
            let later = try await slow.applyAsync(3, options: CallOptions(countdown: .seconds(600)))
            #expect(try await env.app.inspect("active").map(\.id) == [running.id])
            #expect(try await env.app.inspect("active").first?.worker?.hasPrefix("test@") == true)
            #expect(try await env.app.inspect("reserved").map(\.id) == [waiting.id])
            #expect(try await env.app.inspect("scheduled").map(\.id) == [later.id])
            let (status, output) = try await ProcessTests.runOffPool(
                "celeriac", ["inspect", "registered", "--json"], schema: env.schema, url: env.url)
            #expect(status == 0, "\(output)")
            #expect(output.contains("\"name\":\"tasks.slow\""))
            #expect(output.contains("\"acks_late\":true"))
            gate.withLock { $0 = true }
            #expect(try await waiting.get(timeout: .seconds(10)) == 2)
            _ = try await env.app.revoke([later.id])
            try await worker.stop()
        }
    }

    /// `celeriac control shutdown -d NODE` stops that worker warmly; the others go on.
    @Test func aWorkerShutsDownWhenToldOnTheControlTopic() async throws {
        try await TestEnvironment.with { env in
            let first = env.startWorker(name: "first@%h")
            let second = env.startWorker(name: "second@%h")
            try await env.eventually("both registered") {
                try await env.count("SELECT count(*) FROM \(env.schema).workers WHERE stopped_at IS NULL") == 2
            }
            let name = try #require(
                try await env.sql("SELECT name FROM \(env.schema).workers WHERE name LIKE 'second@%'").first ?? nil)
            // Its loop must be listening: wait until it answers a ping.
            try await env.eventually("both answer") { try await env.app.ping(timeout: .milliseconds(300)).count == 2 }
            let (status, output) = try await ProcessTests.runOffPool(
                "celeriac", ["control", "shutdown", "-d", name], schema: env.schema, url: env.url)
            #expect(status == 0, "\(output)")
            try await second.task.value  // it returns once stopped
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).workers WHERE stopped_at IS NULL") == 1)
            #expect(try await env.app.ping(timeout: .milliseconds(300)).map { $0.worker.hasPrefix("first@") } == [true])
            try await first.stop()
        }
    }

    /// stats, active_queues, revoked and query_task, from the command line as JSON and text.
    @Test func inspectStatsActiveQueuesRevokedAndQueryTask() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker(queues: ["celery", "more"], concurrency: 3)
            let done = try await add.delay(1, 2)
            #expect(try await done.get(timeout: .seconds(10)) == 3)
            let later = try await add.applyAsync(5, 5, options: CallOptions(countdown: .seconds(600)))
            _ = try await env.app.revoke([later.id], reason: "not now")
            let waiting = try await add.applyAsync(7, 7, options: CallOptions(countdown: .seconds(600)))
            try await env.eventually("the counters are written") { try await env.app.workerStatus().first?.succeeded == 1 }

            func inspect(_ arguments: [String]) async throws -> String {
                let (status, output) = try await ProcessTests.runOffPool(
                    "celeriac", ["inspect"] + arguments, schema: env.schema, url: env.url)
                #expect(status == 0, "\(output)")
                return output
            }
            let stats = try await inspect(["stats", "--json"])
            #expect(stats.contains("\"concurrency\":3") && stats.contains("\"succeeded\":1") && stats.contains("\"status\":\"online\""))
            let queues = try await inspect(["active_queues"])
            #expect(queues.contains("celery, more"))
            let revoked = try await inspect(["revoked"])
            #expect(revoked.contains(later.id.celeryString) && revoked.contains("not now"))
            let unknown = UUID.v7()
            let queried = try await inspect(["query_task", done.id.celeryString, waiting.id.celeryString, unknown.celeryString])
            #expect(queried.contains("tasks.add[\(done.id.celeryString)] succeeded [1, 2]"))
            #expect(queried.contains("tasks.add[\(waiting.id.celeryString)] scheduled"))
            #expect(queried.contains("\(unknown.celeryString): unknown"))
            let (badStatus, bad) = try await ProcessTests.runOffPool(
                "celeriac", ["inspect", "query_task", "nope"], schema: env.schema, url: env.url)
            #expect(badStatus != 0 && bad.contains("'nope' is not a task id"))
            try await worker.stop()
        }
    }
}
