import CeleriacPostgres
import Foundation
import Testing

@testable import Celeriac

/// Groups: members sent together in one transaction, results in member order.
@Suite struct GroupTests {
    @Test func aGroupRunsItsMembersAndGivesTheirResultsInOrder() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in
                // Later members finish first: the order comes from the group, not from the clock.
                try await Task.sleep(for: .milliseconds(10 * (10 - x)))
                return x + y
            }
            let sums = try await group((0..<10).map { add.s($0, $0) }).delay()
            #expect(sums.ids.count == 10)
            // Saved with its members, in the same transaction.
            let saved = try await env.sql(
                "SELECT cardinality(task_ids) FROM \(env.schema).groups WHERE id = $1", [sums.id.uuidString])
            #expect(saved == ["10"])
            let tagged = try await env.count(
                "SELECT count(*) FROM \(env.schema).tasks WHERE options->>'group_id' = $1", [sums.id.celeryString])
            #expect(tagged == 10)
            #expect(try await sums.completedCount == 0)
            #expect(try await sums.ready == false)

            let worker = env.startWorker(concurrency: 10)
            #expect(try await sums.get(timeout: .seconds(10)) == (0..<10).map { $0 * 2 })
            #expect(try await sums.completedCount == 10)
            #expect(try await sums.ready)
            #expect(try await sums.successful)
            #expect(try await sums.failed == false)
            // Restored by id, as another process would.
            let restored = try #require(try await GroupResult<Int>.restore(sums.id, app: env.app))
            #expect(restored.ids == sums.ids)
            #expect(try await restored.get(timeout: .seconds(1)) == (0..<10).map { $0 * 2 })
            #expect(try await GroupResult<Int>.restore(UUID(), app: env.app) == nil)
            try await worker.stop()
        }
    }

    @Test func aFailedMemberFailsTheWaitAndRevokeStopsTheRest() async throws {
        try await TestEnvironment.with { env in
            let check = env.app.task("tasks.check") { (x: Int) async throws -> Int in
                if x == 3 { throw Boom(message: "member \(x) failed") }
                return x
            }
            let worker = env.startWorker()
            let checks = try await group((0..<5).map { check.s($0) }).delay()
            let error = await #expect(throws: TaskFailedError.self) { try await checks.get(timeout: .seconds(10)) }
            #expect(error?.info.message == "member 3 failed")
            try await env.eventually("every member finished") { try await checks.ready }
            #expect(try await checks.failed)
            #expect(try await checks.successful == false)
            #expect(try await checks.completedCount == 4)
            try await worker.stop()

            // Revoked before any worker takes them: none runs, each ends revoked.
            let later = try await group((0..<3).map { check.s($0) }).delay()
            try await later.revoke()
            #expect(try await later.snapshots().map(\.state) == [.revoked, .revoked, .revoked])
            await #expect(throws: TaskFailedError.self) { try await later.get(timeout: .seconds(5)) }
            // An empty group cannot be sent.
            await #expect(throws: EnqueueError.self) { try await Group<Int>([]).delay() }
        }
    }
}
