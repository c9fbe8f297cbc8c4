import Foundation
import Testing

@testable import Celeriac

/// Fleet-wide rate and concurrency limits, decided in the claim (migration 0028).
@Suite struct TaskLimitsTests {
    /// The starts of `name`, in order, on the database clock (seconds since 1970), and each
    /// task's [start, finish].
    func spans(_ env: TestEnvironment, _ name: String) async throws -> [(start: Double, end: Double, key: String)] {
        try await env.sql(
            """
            SELECT extract(epoch FROM started_at)::text || ' ' || extract(epoch FROM finished_at)::text || ' ' || (args->>0)
            FROM \(env.schema).results WHERE name = $1 ORDER BY started_at
            """, [name]
        ).compactMap { row in
            let parts = (row ?? "").split(separator: " ")
            guard parts.count == 3, let start = Double(parts[0]), let end = Double(parts[1]) else { return nil }
            return (start, end, String(parts[2]))
        }
    }

    @Test func aRateLimitHoldsAcrossThreeWorkersAndHoldsNothingElseBack() async throws {
        try await TestEnvironment.with { env in
            let limited = env.app.task("tasks.limited", options: TaskOptions(rateLimit: try RateLimit("60/m"))) {
                (n: Int) async throws -> Int in n
            }
            let free = env.app.task("tasks.free") { (n: Int) async throws -> Int in n }
            let workers = (0..<3).map { _ in env.startWorker(concurrency: 4) }
            var results: [AsyncResult<Int>] = []
            for n in 0..<5 { results.append(try await limited.delay(n)) }
            let others = try await env.app.enqueue((0..<20).map { try free.message($0) })
            // The free tasks behind them in the queue are not held back.
            try await env.eventually(timeout: .seconds(3), "the free tasks finished") {
                try await env.count("SELECT count(*) FROM \(env.schema).results WHERE name = 'tasks.free'") == others.count
            }
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE name = 'tasks.limited'") < 5)
            for result in results { _ = try await result.get(timeout: .seconds(15)) }
            // One start a second, whichever worker claimed it.
            let starts = try await spans(env, "tasks.limited").map(\.start)
            #expect(starts.count == 5)
            // Each start has its own moment, a second after the one before (a start may come a
            // little after its moment, never before): over any stretch, at most one start per
            // second, plus the first. (Starts read the claim's transaction clock, which may be a
            // few milliseconds before the moment the claim waited for.)
            for (i, early) in starts.enumerated() {
                for (j, late) in starts.enumerated() where j > i {
                    #expect(Double(j - i) <= (late - early) / 1.0 + 1 + 0.01, "starts \(i) and \(j): \(starts)")
                }
                #expect(early - starts[0] >= Double(i) * 1.0 - 0.01, "\(starts)")
            }
            #expect(Set(try await env.sql("SELECT DISTINCT worker FROM \(env.schema).results WHERE name = 'tasks.limited'")).count >= 1)
            for worker in workers { try await worker.stop() }
        }
    }

    @Test func aRateLimitPerArgumentGivesEachKeyItsOwnBudget() async throws {
        try await TestEnvironment.with { env in
            let call = env.app.task(
                "tasks.call_api", options: TaskOptions(rateLimit: try RateLimit("2/s", per: .argument(0)))
            ) { (customer: String, n: Int) async throws -> Int in n }
            let worker = env.startWorker(concurrency: 8)
            var results: [AsyncResult<Int>] = []
            for n in 0..<3 {
                results.append(try await call.delay("a", n))
                results.append(try await call.delay("b", n))
            }
            for result in results { _ = try await result.get(timeout: .seconds(10)) }
            let spans = try await spans(env, "tasks.call_api")
            for key in ["a", "b"] {
                let starts = spans.filter { $0.key == key }.map(\.start)
                #expect(starts.count == 3)
                #expect(starts.enumerated().allSatisfy { $1 - starts[0] >= Double($0) * 0.5 - 0.01 }, "\(key): \(starts)")
            }
            // The two keys did not wait for each other: each key's first start came at once.
            let firsts = ["a", "b"].compactMap { key in spans.first { $0.key == key }?.start }
            #expect(abs(firsts[0] - firsts[1]) < 0.4)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).rate_limits") == 2)
            try await worker.stop()
        }
    }

    @Test func aCallsOwnRateLimitTravelsInItsRow() async throws {
        try await TestEnvironment.with { env in
            let ping = env.app.task("tasks.ping") { (n: Int) async throws -> Int in n }
            let worker = env.startWorker(concurrency: 4)
            var call = CallOptions()
            call.rateLimit = .perSecond(2)
            var results: [AsyncResult<Int>] = []
            for n in 0..<3 { results.append(try await ping.applyAsync(n, options: call)) }
            // The same task without the override is not limited.
            let free = try await ping.delay(9)
            _ = try await free.get(timeout: .seconds(5))
            for result in results { _ = try await result.get(timeout: .seconds(10)) }
            let starts = try await spans(env, "tasks.ping").filter { $0.key != "9" }.map(\.start)
            #expect(starts.count == 3)
            #expect(starts.enumerated().allSatisfy { $1 - starts[0] >= Double($0) * 0.5 - 0.01 }, "\(starts)")
            try await worker.stop()
        }
    }

    @Test func aConcurrencyLimitOfTwoPerKeyIsNeverExceededAcrossThreeWorkers() async throws {
        try await TestEnvironment.with { env in
            let sync = env.app.task(
                "tasks.sync", options: TaskOptions(concurrencyLimit: try ConcurrencyLimit(2, per: .argument(0)))
            ) { (customer: String, n: Int) async throws -> Int in
                try await Task.sleep(for: .milliseconds(150))
                return n
            }
            let workers = (0..<3).map { _ in env.startWorker(concurrency: 8) }
            var results: [AsyncResult<Int>] = []
            for n in 0..<8 {
                results.append(try await sync.delay("c1", n))
                results.append(try await sync.delay("c2", n))
            }
            for result in results { _ = try await result.get(timeout: .seconds(30)) }
            let spans = try await spans(env, "tasks.sync")
            #expect(spans.count == 16)
            for key in ["c1", "c2"] {
                let mine = spans.filter { $0.key == key }
                // The most running at once: at each start, how many had started and not finished.
                let peak = mine.map { probe in mine.filter { $0.start <= probe.start && $0.end > probe.start }.count }.max() ?? 0
                #expect(peak == 2, "\(key): \(peak)")
            }
            for worker in workers { try await worker.stop() }
        }
    }

    @Test func aQueuesConcurrencyLimitHoldsForEveryTaskSentToIt() async throws {
        try await TestEnvironment.with({ $0.queueConcurrencyLimits = ["reports": 1] }) { env in
            let build = env.app.task("tasks.build_report", queue: "reports") { (n: Int) async throws -> Int in
                try await Task.sleep(for: .milliseconds(100))
                return n
            }
            let workers = (0..<2).map { _ in env.startWorker(queues: ["reports"], concurrency: 4) }
            var results: [AsyncResult<Int>] = []
            for n in 0..<4 { results.append(try await build.delay(n)) }
            for result in results { _ = try await result.get(timeout: .seconds(20)) }
            let spans = try await spans(env, "tasks.build_report")
            let peak = spans.map { probe in spans.filter { $0.start <= probe.start && $0.end > probe.start }.count }.max() ?? 0
            #expect(peak == 1)
            #expect(
                try await env.sql("SELECT DISTINCT key FROM \(env.schema).concurrency_keys") == ["queue:reports"])
            for worker in workers { try await worker.stop() }
        }
    }
}
