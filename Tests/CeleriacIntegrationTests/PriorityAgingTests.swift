import Foundation
import Synchronization
import Testing

@testable import Celeriac

/// Priority aging (maintenance, tasks.age_priorities): a low priority does not starve under a
/// steady stream of higher ones.
@Suite struct PriorityAgingTests {
    @Test func aLowPriorityTaskStarvesWithoutAgingAndRunsWithIt() async throws {
        try await TestEnvironment.with({ $0.priorityAging = .milliseconds(200) }) { env in
            let ran = Mutex<[Int]>([])
            let work = env.app.task("tasks.work") { (priority: Int) async throws -> Int in
                try await Task.sleep(for: .milliseconds(20))
                ran.withLock { $0.append(priority) }
                return priority
            }
            // A steady stream of priority-9 tasks, more than one worker slot can run.
            let flood = Task {
                while !Task.isCancelled {
                    _ = try await env.app.enqueue(try (0..<4).map { _ in try work.message(9, options: CallOptions(priority: 9)) })
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            defer { flood.cancel() }
            try await Task.sleep(for: .milliseconds(200))
            let low = try await work.applyAsync(0, options: CallOptions(priority: 0))
            // This test leads maintenance (the worker's own waits for the lease): first without
            // aging, then with it.
            var still = env.app.conf
            still.priorityAging = nil
            let idle = Maintenance(configuration: still, holder: "aging")
            #expect(try await env.app.pool.run { try idle.runOnce(on: $0) }.leader)
            let worker = env.startWorker(concurrency: 1)

            // Without aging: higher priorities keep coming first.
            for _ in 0..<15 {
                #expect(try await env.app.pool.run { try idle.runOnce(on: $0) }.aged == 0)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(ran.withLock { $0 }.count > 20)
            #expect(!ran.withLock { $0 }.contains(0))
            #expect(try await low.state == .pending)

            // With it (maintenance every 100 ms, a level every 200 ms): the task climbs to 9 and,
            // older than every other task there, runs next.
            let maintenance = Maintenance(configuration: env.app.conf, holder: "aging")
            let clock = ContinuousClock()
            let started = clock.now
            var aged = 0
            while try await low.state != .success {
                aged += try await env.app.pool.run { try maintenance.runOnce(on: $0) }.aged
                try await Task.sleep(for: .milliseconds(100))
                #expect(clock.now - started < .seconds(10), "the low-priority task still waits")
                if clock.now - started >= .seconds(10) { break }
            }
            #expect(ran.withLock { $0 }.contains(0))
            #expect(aged > 0)
            flood.cancel()
            try await worker.stop()
        }
    }

    /// The function itself: each (queue, priority) level's oldest tasks that waited a whole step
    /// gain a level per step, at most `batch` per level and run, oldest first; newer and
    /// scheduled tasks, and priority 255, stay; the original priority is kept in `aged_from`.
    @Test func eachLevelsOldestTasksGainALevelPerStep() async throws {
        try await TestEnvironment.with { env in
            let work = env.app.task("tasks.level") { (n: Int) async throws -> Int in n }
            var ids: [String: String] = [:]
            for queue in ["a", "b"] {
                for priority in [0, 3, 255] {
                    for age in [350, 300, 250, 0] {
                        let result = try await work.applyAsync(age, options: CallOptions(queue: queue, priority: priority))
                        ids["\(queue)/\(priority)/\(age)"] = result.id.uuidString.lowercased()
                        if age > 0 {
                            _ = try await env.sql(
                                "UPDATE \(env.schema).tasks SET run_at = now() - make_interval(secs => $2::float8) WHERE id = $1::uuid",
                                [result.id.uuidString, String(age)])
                        }
                    }
                }
            }
            let later = try await work.applyAsync(1, options: CallOptions(countdown: .seconds(3_600), queue: "a", priority: 0))
            func level(_ id: String) async throws -> String? {
                try await env.sql(
                    "SELECT priority::text || '/' || coalesce(options ->> 'aged_from', '-') FROM \(env.schema).tasks WHERE id = $1::uuid",
                    [id]
                ).first ?? nil
            }
            let age = "SELECT \(env.schema).age_priorities(100, 2)::text"

            // Two per level (the oldest two), in the 4 levels below 255.
            #expect(try await env.sql(age) == ["8"])
            for queue in ["a", "b"] {
                for priority in [0, 3] {
                    #expect(try await level(ids["\(queue)/\(priority)/350"]!) == "\(priority + 3)/\(priority)")
                    #expect(try await level(ids["\(queue)/\(priority)/300"]!) == "\(priority + 3)/\(priority)")
                    #expect(try await level(ids["\(queue)/\(priority)/250"]!) == "\(priority)/-")
                    #expect(try await level(ids["\(queue)/\(priority)/0"]!) == "\(priority)/-")
                }
                #expect(try await level(ids["\(queue)/255/350"]!) == "255/-")
            }
            #expect(try await level(later.id.uuidString.lowercased()) == "0/-")

            // The next run takes the rest that waited a step; an aged task counts from its own
            // priority again, so it stays where it is.
            #expect(try await env.sql(age) == ["4"])
            #expect(try await level(ids["a/0/250"]!) == "2/0")
            #expect(try await level(ids["b/3/250"]!) == "5/3")
            #expect(try await level(ids["a/0/350"]!) == "3/0")
            #expect(try await env.sql(age) == ["0"])
        }
    }
}
