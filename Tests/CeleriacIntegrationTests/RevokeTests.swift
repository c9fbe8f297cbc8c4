import Celeriac
import CeleriacPostgres
import Foundation
import Synchronization
import Testing

/// celeriac.revoke(): waiting tasks never start, running ones are stopped by their worker,
/// and revocations survive a missed control message.
@Suite struct RevokeTests {
    @Test func waitingScheduledAndChainedTasksEndRevoked() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let queued = try await add.delay(1, 1)
            let scheduled = try await add.applyAsync(2, 2, options: CallOptions(countdown: .seconds(600)))
            let chainLast = try await (add.s(3, 3) | add.s(4)).delay()
            let head = try #require(try await env.sql("SELECT id::text FROM \(env.schema).tasks WHERE chain IS NOT NULL").first ?? nil)
            let unknown = UUID.v7()
            let answers = try await env.app.revoke(
                [queued.id, scheduled.id, try #require(UUID(uuidString: head)), unknown], reason: "not needed")
            #expect(
                Dictionary(answers.map { ($0.id, $0.outcome) }, uniquingKeysWith: { a, _ in a }) == [
                    queued.id: "revoked", scheduled.id: "revoked", try #require(UUID(uuidString: head)): "revoked", unknown: "unknown",
                ])
            for result in [queued, scheduled, chainLast] {
                let error = await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(2)) }
                #expect(error?.state == .revoked)
                #expect(error?.info.message == "not needed")
            }
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 0)
            // Revoking again changes nothing and says so.
            #expect(try await queued.revoke() == "already finished")
            // A worker started now finds nothing to run.
            let worker = env.startWorker()
            try await worker.stop()
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE state = 'revoked'") == 4)
        }
    }

    @Test func aRunningTaskIsStoppedByItsWorkerAndEndsRevoked() async throws {
        try await TestEnvironment.with { env in
            let started = Mutex(false)
            let long = env.app.task("tasks.long") { (seconds: Int) async throws -> Int in
                started.withLock { $0 = true }
                try await Task.sleep(for: .seconds(seconds))
                return seconds
            }
            let events = EventLog()
            let worker = env.startWorker(observers: [events])
            let result = try await long.delay(60)
            try await env.eventually("the task runs") { started.withLock { $0 } }
            #expect(try await result.revoke(reason: "operator said so") == "revoking")
            let error = await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
            #expect(error?.state == .revoked)
            #expect(error?.info.message == "operator said so")
            // Observers hear of the outcome after it is written: the result may come first.
            try await env.eventually("the revoked event") { !events.of(.revoked).isEmpty }
            #expect(events.of(.revoked).map(\.taskID) == [result.id])
            try await worker.stop()
        }
    }

    @Test func aRevocationTheWorkerMissedIsFoundAtItsNextHeartbeat() async throws {
        try await TestEnvironment.with { env in
            let started = Mutex(false)
            let long = env.app.task("tasks.long") { (seconds: Int) async throws -> Int in
                started.withLock { $0 = true }
                try await Task.sleep(for: .seconds(seconds))
                return seconds
            }
            let worker = env.startWorker()
            let result = try await long.delay(60)
            try await env.eventually("the task runs") { started.withLock { $0 } }
            // Recorded without the control message, as if the worker had been away when it was sent.
            try await env.sql(
                "INSERT INTO \(env.schema).revocations (task_id, reason) VALUES ($1, 'missed message')", [result.id.celeryString])
            let error = await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
            #expect(error?.state == .revoked)
            #expect(error?.info.message == "missed message")
            try await worker.stop()
        }
    }

    @Test func theCommandLineRevokes() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let queued = try await add.delay(1, 1)
            let (status, output) = try await ProcessTests.runOffPool(
                "celeriac", ["revoke", queued.id.celeryString, "--json"], schema: env.schema, url: env.url)
            #expect(status == 0, "\(output)")
            #expect(output.contains("\"outcome\":\"revoked\""))
            #expect(try await queued.state == .revoked)
        }
    }

    /// Revokes racing with claims: a task answered `revoked` never runs, every task ends in
    /// exactly one final state, and none is left started.
    @Test func revokesRacingWithClaimsNeverLeaveATaskBothStartedAndRevoked() async throws {
        try await TestEnvironment.with { env in
            let ran = ExecutionLog()
            let work = env.app.task("tasks.work") { (n: Int) async throws -> Int in
                ran.record(String(n))
                try await Task.sleep(for: .milliseconds(2))
                return n
            }
            let messages = try (0..<200).map { try work.message($0) }
            try await env.app.enqueue(messages)
            let worker = env.startWorker(concurrency: 8)
            var revokedBeforeRunning: [UUID] = []
            for batch in stride(from: 0, to: messages.count, by: 10) {
                let ids = messages[batch..<(batch + 10)].map(\.id)
                let answers = try await env.app.revoke(ids, reason: "race")
                revokedBeforeRunning += answers.filter { $0.outcome == "revoked" }.map(\.id)
            }
            try await env.eventually(timeout: .seconds(30), "every task is final") {
                try await env.count("SELECT count(*) FROM \(env.schema).results") == 200
            }
            try await worker.stop()
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 0)
            let ranArguments = Set(ran.all)
            let byID = Dictionary(uniqueKeysWithValues: messages.enumerated().map { ($1.id, String($0)) })
            for id in revokedBeforeRunning {
                #expect(!ranArguments.contains(byID[id] ?? ""), "a task revoked while waiting ran")
            }
            let revokedRows = try await env.count("SELECT count(*) FROM \(env.schema).results WHERE state = 'revoked'")
            #expect(revokedRows >= revokedBeforeRunning.count)
        }
    }

    /// A failed task runs again with the same id; its failed attempt stays in the history.
    @Test func aFailedTaskIsRetriedWithItsIDAndItsOldOutcomeKept() async throws {
        try await TestEnvironment.with { env in
            let fail = Mutex(true)
            let flaky = env.app.task("tasks.flaky") { (x: Int) async throws -> Int in
                if fail.withLock({ $0 }) { throw Boom(message: "not yet") }
                return x
            }
            let worker = env.startWorker()
            let result = try await flaky.delay(5)
            await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
            fail.withLock { $0 = false }
            let unknown = UUID.v7()
            let (status, output) = try await ProcessTests.runOffPool(
                "celeriac", ["retry", result.id.celeryString, unknown.celeryString], schema: env.schema, url: env.url)
            #expect(status == 0, "\(output)")
            #expect(output.contains("\(result.id.celeryString)  retried"))
            #expect(output.contains("\(unknown.celeryString)  unknown"))
            #expect(try await result.get(timeout: .seconds(10)) == 5)
            #expect(
                try await env.sql("SELECT state FROM \(env.schema).task_attempts WHERE id = $1", [result.id.celeryString]) == ["failed"])
            // Succeeded now: nothing to retry.
            #expect(try await env.app.retry([result.id]).map(\.outcome) == ["not failed"])
            try await worker.stop()
        }
    }

    /// A paused queue gives nothing to a worker's claim; resumed, its tasks run at once.
    @Test func aPausedQueueWaitsUntilItIsResumed() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            #expect(try await env.app.pauseQueue("celery"))
            #expect(try await env.app.pauseQueue("celery") == false)
            let result = try await add.delay(2, 2)
            let worker = env.startWorker()
            // Waiting for work: its claim on the paused queue came back empty.
            try await env.eventually("the worker waits for work") {
                try await env.count("SELECT count(*) FROM \(env.schema).workers WHERE listening") == 1
            }
            #expect(try await result.state == .pending)
            let (status, output) = try await ProcessTests.runOffPool("celeriac", ["queues", "--json"], schema: env.schema, url: env.url)
            #expect(status == 0, "\(output)")
            #expect(output.contains("\"paused\":true"))
            #expect(output.contains("\"queued\":1"))
            let (resumeStatus, resumed) = try await ProcessTests.runOffPool(
                "celeriac", ["queue", "resume", "celery"], schema: env.schema, url: env.url)
            #expect(resumeStatus == 0)
            #expect(resumed.contains("Resumed queue celery."))
            #expect(try await result.get(timeout: .seconds(10)) == 4)
            #expect(try await env.app.queues().allSatisfy { !$0.paused })
            try await worker.stop()
        }
    }

    /// A running task whose worker is gone is revoked; the next worker's rescue ends it
    /// REVOKED, not failed or run again.
    @Test func aTaskRevokedWhileItsWorkerIsDownEndsRevokedWhenAWorkerStarts() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add", acksLate: true) { (x: Int, y: Int) async throws -> Int in x + y }
            let result = try await add.delay(1, 1)
            // As if a worker had claimed it and then died (kill -9): its lease runs out soon.
            try await env.sql(
                "UPDATE \(env.schema).tasks SET state = 'started', owner = 'ghost/1.x', attempt = 1, lease_expires_at = now() + interval '300 milliseconds'"
            )
            #expect(try await env.app.revoke([result.id], reason: "while down").first?.outcome == "revoking")
            let worker = env.startWorker()
            let error = await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(15)) }
            #expect(error?.state == .revoked && error?.info.message == "while down")
            try await worker.stop()
        }
    }

    /// Pausing a queue under load stops claims from it within one claim; resuming drains the rest.
    @Test func pauseAndResumeUnderLoad() async throws {
        try await TestEnvironment.with { env in
            let work = env.app.task("tasks.work") { (n: Int) async throws -> Int in
                try await Task.sleep(for: .milliseconds(5))
                return n
            }
            try await env.app.enqueue(try (0..<1_500).map { try work.message($0) })
            let worker = env.startWorker(concurrency: 8)
            try await env.eventually("the drain is under way") {
                try await env.count("SELECT count(*) FROM \(env.schema).results") > 100
            }
            #expect(try await env.app.pauseQueue("celery"))
            // Tasks claimed before the pause finish; then nothing more is taken.
            try await env.eventually("nothing runs") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 0
            }
            let paused = try await env.count("SELECT count(*) FROM \(env.schema).results")
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results") == paused)
            #expect(paused < 1_500)
            #expect(try await env.app.resumeQueue("celery"))
            try await env.eventually(timeout: .seconds(30), "the rest ran") {
                try await env.count("SELECT count(*) FROM \(env.schema).results") == 1_500
            }
            try await worker.stop()
        }
    }
}
