import Celeriac
import Foundation
import Testing

/// The prefork pool with real child processes: crashes, exits, hard time limits, recycling.
@Suite struct PreforkTests {
    static func launch(_ env: TestEnvironment, _ extra: [String] = [], environment: [String: String] = [:]) throws -> (Process, Pipe) {
        try ProcessTests.launch(
            "celeriac-test-worker", ["worker", "--pool", "prefork", "-c", "2", "--loglevel", "INFO"] + extra,
            schema: env.schema, url: env.url,
            environment: ["CELERIAC_LEASE_SECONDS": "5", "CELERIAC_HEARTBEAT_SECONDS": "1"].merging(environment) { $1 }
        )
    }

    static func stop(_ worker: Process, _ pipe: Pipe) async -> String {
        kill(worker.processIdentifier, SIGTERM)
        return await ProcessTests.output(of: worker, pipe)
    }

    @Test func aCrashingTaskTakesDownOneChildOnly() async throws {
        try await TestEnvironment.with { env in
            let (worker, pipe) = try Self.launch(env)
            let naps = try await (0..<4).asyncMap { _ in try await env.app.sendTask("tasks.nap", args: "[300]") }
            let crash = try await env.app.sendTask("tasks.crash")
            let exit = try await env.app.sendTask("tasks.exit", args: "[3]")
            let said = try await env.app.sendTask("tasks.say", args: #"["hello from a child"]"#)

            let crashError = await #expect(throws: TaskFailedError.self) { try await crash.get(timeout: .seconds(20)) }
            #expect(crashError?.info.type == "WorkerLostError")
            #expect(crashError?.info.message.contains("signal") == true)
            let exitError = await #expect(throws: TaskFailedError.self) { try await exit.get(timeout: .seconds(20)) }
            #expect(exitError?.info.message == "Worker exited prematurely: exitcode 3.")
            for nap in naps { #expect(try await nap.get(timeout: .seconds(20)) == .number(300)) }
            #expect(try await said.get(timeout: .seconds(20)) == .string("hello from a child"))
            // The worker itself is still up, with fresh children.
            #expect(worker.isRunning)
            #expect(try await env.app.sendTask("tasks.add", args: "[2, 3]").get(timeout: .seconds(20)) == .number(5))
            let log = await Self.stop(worker, pipe)
            #expect(log.contains("concurrency: 2 (prefork)"))
            #expect(log.contains("WARNING/ForkPoolWorker-"))
            #expect(log.contains("hello from a child"))
            #expect(log.contains("Process 'ForkPoolWorker-"))
            #expect(worker.terminationStatus == 0)
        }
    }

    @Test func aTaskPastItsHardTimeLimitIsKilledAndTheSlotReplaced() async throws {
        try await TestEnvironment.with { env in
            let (worker, pipe) = try Self.launch(env, environment: ["CELERIAC_TASK_TIME_LIMIT": "1"])
            let started = ContinuousClock.now
            let hang = try await env.app.sendTask("tasks.hang")
            let error = await #expect(throws: TaskFailedError.self) { try await hang.get(timeout: .seconds(20)) }
            #expect(error?.info.type == "TimeLimitExceeded")
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(try await env.app.sendTask("tasks.add", args: "[1, 1]").get(timeout: .seconds(20)) == .number(2))
            let log = await Self.stop(worker, pipe)
            #expect(log.contains("Hard time limit (1s) exceeded"))
        }
    }

    @Test func aCrashSentWithAcksLateIsRetriedUntilItsAttemptsAreUsedUp() async throws {
        try await TestEnvironment.with { env in
            // acks_late is the worker's setting for its tasks, whoever enqueues them.
            // Three crashes: without Swift's backtracer, which takes seconds per crash on a loaded machine.
            let (worker, pipe) = try Self.launch(
                env,
                environment: [
                    "CELERIAC_TASK_REJECT_ON_WORKER_LOST": "true", "CELERIAC_TASK_ACKS_LATE": "true", "SWIFT_BACKTRACE": "enable=no",
                ])
            let crash = try await env.app.sendTask("tasks.crash", options: CallOptions(maxRetries: 2))
            var outcome: (any Error)?
            do { _ = try await crash.get(timeout: .seconds(30)) } catch { outcome = error }
            let log = await Self.stop(worker, pipe)
            let error = outcome as? TaskFailedError
            #expect(error?.info.type == "WorkerLostError", "\(String(describing: outcome)); worker log:\n\(log)")
            #expect(
                try await env.sql("SELECT attempt || '/' || retries FROM \(env.schema).results WHERE id = $1", [crash.id.celeryString]) == [
                    "3/2"
                ])
        }
    }

    @Test func childrenAreRecycledAfterMaxTasks() async throws {
        try await TestEnvironment.with { env in
            let (worker, pipe) = try Self.launch(env, ["--max-tasks-per-child", "2"])
            var pids = Set<String>()
            for _ in 0..<6 {
                let result = try await env.app.sendTask("tasks.pid").get(timeout: .seconds(20))
                pids.insert(result.description)
            }
            #expect(pids.count >= 3)  // 6 tasks, at most 2 per child
            _ = await Self.stop(worker, pipe)
        }
    }

    @Test func aRevokeCancelsAChildsTaskAndOnlyTerminateKillsTheChild() async throws {
        try await TestEnvironment.with { env in
            let (worker, pipe) = try Self.launch(env)
            let nap = try await env.app.sendTask("tasks.nap", args: "[60000]")
            let hang = try await env.app.sendTask("tasks.hang")
            try await env.eventually("both tasks run") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 2
            }
            // Cooperative: the sleeping task is cancelled in its child, which lives on.
            #expect(try await env.app.revoke([nap.id], reason: "soft").first?.outcome == "revoking")
            let napError = await #expect(throws: TaskFailedError.self) { try await nap.get(timeout: .seconds(10)) }
            #expect(napError?.state == .revoked && napError?.info.message == "soft")
            // A task that ignores cancellation keeps running after a plain revoke...
            #expect(try await env.app.revoke([hang.id], reason: "soft").first?.outcome == "revoking")
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE id = $1", [hang.id.uuidString]) == 1)
            // ...and terminate kills its child.
            #expect(try await env.app.revoke([hang.id], terminate: true, reason: "hard").first?.outcome == "revoking")
            let hangError = await #expect(throws: TaskFailedError.self) { try await hang.get(timeout: .seconds(10)) }
            #expect(hangError?.state == .revoked && hangError?.info.message == "soft")
            #expect(try await env.app.sendTask("tasks.add", args: "[1, 1]").get(timeout: .seconds(20)) == .number(2))
            let log = await Self.stop(worker, pipe)
            let killed = log.split(separator: "\n").filter { $0.contains("Process 'ForkPoolWorker-") }
            #expect(killed.count == 1, "\(log)")
            #expect(killed.first?.contains("signal 9") == true, "\(log)")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
