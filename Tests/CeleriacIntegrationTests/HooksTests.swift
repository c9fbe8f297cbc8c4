import Foundation
import Synchronization
import Testing

@testable import Celeriac

/// Celery's signals (Observe/Hooks.swift): called around publishing and as workers run tasks.
@Suite struct HooksTests {
    @Test func eachHookHearsItsEvents() async throws {
        try await TestEnvironment.with { env in
            let heard = Mutex<[String]>([])
            let note: @Sendable (String) -> Void = { text in heard.withLock { $0.append(text) } }
            let hooks = env.app.hooks
            hooks.taskPrerun { note("prerun \($0.taskName ?? "")") }
            hooks.taskPostrun { note("postrun \($0.kind.rawValue)") }
            hooks.taskSuccess { note("success \($0.taskName ?? "")") }
            hooks.taskFailure { note("failure \($0.error?.message ?? "")") }
            hooks.taskRetry { note("retry \($0.taskName ?? "")") }
            hooks.taskRevoked { note("revoked \($0.taskName ?? "")") }
            hooks.workerReady { _ in note("ready") }
            hooks.workerShutdown { _ in note("shutdown") }
            // Publish hooks: stamp every row, and see it once inserted.
            hooks.beforePublish { message in message.priority = 7 }
            hooks.afterPublish { message in note("published \(message.name) \(message.priority)") }

            let ok = env.app.task("tasks.ok") { () async throws -> Int in 1 }
            let bad = env.app.task("tasks.bad") { () async throws -> Int in throw Boom(message: "bad") }
            let again = env.app.task("tasks.again", maxRetries: 1, defaultRetryDelay: .milliseconds(10)) { task -> Int in
                if task.retries == 0 { throw task.retry() }
                return 2
            }
            let stale = try await ok.applyAsync(options: .expiring(in: .milliseconds(1)))
            try await Task.sleep(for: .milliseconds(10))
            #expect(try await env.sql("SELECT priority::text FROM \(env.schema).tasks") == ["7"])
            let worker = env.startWorker()
            let first = try await ok.delay()
            _ = try await first.get(timeout: .seconds(10))
            _ = await #expect(throws: TaskFailedError.self) { try await bad.delay().get(timeout: .seconds(10)) }
            _ = try await again.delay().get(timeout: .seconds(10))
            _ = await #expect(throws: TaskFailedError.self) { try await stale.get(timeout: .seconds(10)) }
            try await worker.stop()

            let all = heard.withLock { $0 }
            #expect(all.first == "published tasks.ok 7")
            for expected in [
                "ready", "prerun tasks.ok", "success tasks.ok", "failure bad", "retry tasks.again", "success tasks.again",
                "revoked tasks.ok", "postrun succeeded", "postrun failed", "postrun retried", "postrun revoked", "shutdown",
            ] {
                #expect(all.contains(expected), "\(expected) not in \(all)")
            }
            #expect(all.last == "shutdown")
        }
    }

    @Test func aSlowHookNeverHoldsUpTheWorker() async throws {
        try await TestEnvironment.with { env in
            let seen = Mutex(0)
            env.app.hooks.taskSuccess { _ in
                try? await Task.sleep(for: .milliseconds(100))
                seen.withLock { $0 += 1 }
            }
            let ok = env.app.task("tasks.ok") { (n: Int) async throws -> Int in n }
            let worker = env.startWorker(concurrency: 8)
            let clock = ContinuousClock()
            let start = clock.now
            let results = try await env.app.enqueue(try (0..<40).map { try ok.message($0) })
            for id in results { _ = try await AsyncResult<Int>(id: id, app: env.app).get(timeout: .seconds(10)) }
            // Forty tasks in well under the four seconds the hook needs for them.
            #expect(clock.now - start < .seconds(2))
            #expect(seen.withLock { $0 } < 40)
            // Stopping lets the hook finish what was queued.
            try await worker.stop()
            #expect(seen.withLock { $0 } == 40)
            #expect(env.app.hooks.dropped == 0)
        }
    }
}
