import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// The monitoring views (sql/repeatable/views.sql), read as a SQL user would.
@Suite struct ViewsTests {
    @Test func theViewsShowQueuesTaskNamesFailuresWorkersAndSchedules() async throws {
        try await TestEnvironment.with { env in
            let s = env.schema
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let fail = env.app.task("tasks.fail") { (x: Int) async throws -> Int in throw Boom(message: "bad \(x)") }
            let worker = env.startWorker(queues: ["celery", "other"], concurrency: 3)
            var sums: [AsyncResult<Int>] = []
            for i in 0..<5 { sums.append(try await add.delay(i, 1)) }
            let failed = try await fail.delay(7)
            for sum in sums { _ = try await sum.get(timeout: .seconds(10)) }
            await #expect(throws: TaskFailedError.self) { try await failed.get(timeout: .seconds(10)) }
            _ = try await add.applyAsync(1, 1, options: CallOptions(countdown: .seconds(600)))
            _ = try await env.app.pauseQueue("other")
            // The counters reach the database at the next heartbeat (every second here).
            try await env.eventually("the counters are written") {
                try await env.count("SELECT coalesce(sum(count), 0) FROM \(s).task_stats WHERE metric <> 'wait'") == 6
            }

            let queues = try await env.app.queues()
            let celery = try #require(queues.first { $0.queue == "celery" })
            #expect(celery.scheduled == 1 && celery.queued == 0 && celery.started == 0 && !celery.paused)
            #expect(celery.workers == 1)
            #expect(celery.processed1m == 6 && celery.processed15m == 6 && celery.failed15m == 1)
            let other = try #require(queues.first { $0.queue == "other" })
            #expect(other.paused && other.workers == 1 && other.processed15m == 0)

            let names = try await env.app.taskNameStats()
            let adds = try #require(names.first { $0.name == "tasks.add" })
            #expect(adds.succeeded15m == 5 && adds.failed15m == 0 && adds.failureRate == 0)
            #expect(adds.perSecond1m > 0)
            let p50 = try #require(adds.runtimeP50)
            let p99 = try #require(adds.runtimeP99)
            #expect(p50 > 0 && p50 < 1 && p99 >= p50)
            #expect(adds.waitP50 != nil)
            let fails = try #require(names.first { $0.name == "tasks.fail" })
            #expect(fails.failed15m == 1 && fails.failureRate == 1 && fails.runtimeP50 == nil)

            let failures = try await env.sql("SELECT id::text || ' ' || error_message FROM \(s).recent_failures")
            #expect(failures == ["\(failed.id.uuidString.lowercased()) bad 7"])

            let workers = try await env.app.workerStatus()
            #expect(workers.count == 1)
            let status = try #require(workers.first)
            #expect(status.status == "online" && status.active == 0 && status.concurrency == 3 && status.load == 0)
            #expect(status.succeeded == 5 && status.failed == 1 && status.processed == 6)
            #expect(status.queues == ["celery", "other"] && status.registered.contains("tasks.fail"))

            try await worker.stop()
            #expect(try await env.app.workerStatus().first?.status == "offline")
            try await env.sql("UPDATE \(s).workers SET stopped_at = NULL, last_heartbeat_at = now() - interval '1 minute'")
            #expect(try await env.app.workerStatus().first?.status == "dead")

            try await env.sql(
                "INSERT INTO \(s).periodic_tasks (name, task, interval_seconds, next_run_at) VALUES ('late', 'tasks.add', 60, now() - interval '30 seconds')"
            )
            // The schedule was due 30 seconds before the insert; the read comes a moment later.
            let late = try await env.sql(
                "SELECT (late_by_seconds >= 30 AND late_by_seconds < 40)::text || ' ' || schedule FROM \(s).schedules"
            )
            #expect(late == ["true every 60s"])
        }
    }
}
