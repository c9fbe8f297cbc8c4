import CeleriacPostgres
import Foundation
import Synchronization
import Testing

@testable import Celeriac

/// Chords, callbacks and canvases nested in chains (migration 0027, repeatable/chords.sql).
@Suite struct ChordTests {
    @Test func aChordSendsItsBodyOnceWithTheResultsInMemberOrder() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in
                // Later members finish first: the order comes from the chord, not from the clock.
                try await Task.sleep(for: .milliseconds(5 * (10 - x)))
                return x + y
            }
            let seen = Mutex<[[Int]]>([])
            let tsum = env.app.task("tasks.tsum") { (values: [Int]) async throws -> Int in
                seen.withLock { $0.append(values) }
                return values.reduce(0, +)
            }
            let total = try await chord((0..<10).map { add.s($0, $0) }, tsum.s()).delay()
            // Before any worker: the members wait, the body is in the group's row, not the queue.
            let row = try await env.sql(
                "SELECT remaining::text || ' ' || (body->>'task') || ' ' || (fired_at IS NULL)::text FROM \(env.schema).groups")
            #expect(row == ["10 tasks.tsum true"])
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE name = 'tasks.tsum'") == 0)

            let worker = env.startWorker(concurrency: 10)
            #expect(try await total.get(timeout: .seconds(10)) == 90)
            #expect(seen.withLock { $0 } == [(0..<10).map { $0 * 2 }])
            let after = try await env.sql(
                "SELECT remaining::text || ' ' || failures::text || ' ' || (fired_at IS NOT NULL)::text FROM \(env.schema).groups")
            #expect(after == ["0 0 true"])
            // The body's parent is the group, and every row shares the canvas's root.
            let groupID = try #require(try await env.sql("SELECT id::text FROM \(env.schema).groups").first ?? nil)
            let body = try await env.sql(
                "SELECT parent_id::text || ' ' || root_id::text FROM \(env.schema).results WHERE name = 'tasks.tsum'")
            #expect(body == ["\(groupID) \(groupID)"])
            #expect(
                try await env.count(
                    "SELECT count(*) FROM \(env.schema).results WHERE group_id = $1::uuid AND root_id = $1::uuid", [groupID])
                    == 10)
            try await worker.stop()
        }
    }

    @Test func aFailedMemberFailsTheBodyWithChordErrorUnlessFailuresAreAllowed() async throws {
        try await TestEnvironment.with { env in
            let check = env.app.task("tasks.check") { (x: Int) async throws -> Int in
                if x == 3 { throw Boom(message: "member \(x) failed") }
                return x
            }
            let ran = Mutex(0)
            let tsum = env.app.task("tasks.tsum") { (values: [Int]) async throws -> Int in
                ran.withLock { $0 += 1 }
                return values.reduce(0, +)
            }
            let count = env.app.task("tasks.count") { (total: Int) async throws -> Int in total }
            let worker = env.startWorker(concurrency: 5)

            // By default: every member still runs, then the body fails naming the failed one,
            // and the rest of the chain after the body is aborted.
            let failing = try await (chord((0..<5).map { check.s($0) }, tsum.s()) | count.s()).delay()
            let error = await #expect(throws: TaskFailedError.self) { try await failing.get(timeout: .seconds(10)) }
            #expect(error?.info.type == "ChainAborted")
            let bodyError = try await env.sql(
                "SELECT error->>'type' || ': ' || (error->>'message') FROM \(env.schema).results WHERE name = 'tasks.tsum'")
            #expect(bodyError.count == 1)
            #expect(bodyError.first??.hasPrefix("ChordError: chord member tasks.check[") == true, "\(bodyError)")
            #expect(bodyError.first??.hasSuffix("failed: Boom: member 3 failed") == true, "\(bodyError)")
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE name = 'tasks.check'") == 5)
            #expect(ran.withLock { $0 } == 0)

            // Allowing one failure: the body gets the four results that succeeded, in order.
            let tolerant = try await chord((0..<5).map { check.s($0) }, tsum.s(), allowedFailures: 1).delay()
            #expect(try await tolerant.get(timeout: .seconds(10)) == 0 + 1 + 2 + 4)
            #expect(ran.withLock { $0 } == 1)
            try await worker.stop()
        }
    }

    @Test func aRevokedMemberCountsAsAFailure() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let tsum = env.app.task("tasks.tsum") { (values: [Int]) async throws -> Int in values.reduce(0, +) }
            let header = group((0..<3).map { add.s($0, 1) })
            let total = try await chord(header, tsum.s()).delay()
            // Revoked while queued: the revoke writes its results row, which counts it.
            let members = try await env.sql(
                "SELECT id::text FROM \(env.schema).tasks WHERE name = 'tasks.add' ORDER BY id LIMIT 1")
            let revoked = try #require(members.first ?? nil)
            _ = try await env.app.revoke([try #require(UUID(uuidString: revoked))])
            let worker = env.startWorker()
            let error = await #expect(throws: TaskFailedError.self) { try await total.get(timeout: .seconds(10)) }
            #expect(error?.info.type == "ChordError")
            #expect(error?.info.message.contains("was revoked") == true, "\(String(describing: error?.info.message))")
            try await worker.stop()
        }
    }

    /// Members finishing at the same moment on three workers: each body runs exactly once.
    @Test func theBodyRunsOnceWhenMembersFinishTogetherOnThreeWorkers() async throws {
        try await TestEnvironment.with { env in
            // Each member sleeps until a shared instant, so the three finish together.
            let meet = env.app.task("tasks.meet") { (at: Double, x: Int) async throws -> Int in
                let wait = at - Date().timeIntervalSince1970
                if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
                return x
            }
            let runs = Mutex<[UUID: Int]>([:])
            let body = env.app.task("tasks.body") { (task: TaskContext, values: [Int]) async throws -> Int in
                runs.withLock { $0[task.id, default: 0] += 1 }
                return values.reduce(0, +)
            }
            let workers = (0..<3).map { _ in env.startWorker(concurrency: 30) }
            var results: [AsyncResult<Int>] = []
            for round in 0..<10 {
                let at = Date().timeIntervalSince1970 + 0.4
                for trial in 0..<20 {
                    let members = (0..<3).map { meet.s(at, round * 100 + trial + $0) }
                    results.append(try await chord(members, body.s()).delay())
                }
                for result in results.suffix(20) { _ = try await result.get(timeout: .seconds(20)) }
            }
            #expect(results.count == 200)
            let counts = runs.withLock { $0 }
            #expect(counts.count == 200)
            #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts.values.filter { $0 != 1 })")
            #expect(Set(counts.keys) == Set(results.map(\.id)))
            #expect(
                try await env.count("SELECT count(*) FROM \(env.schema).groups WHERE remaining = 0 AND fired_at IS NOT NULL")
                    == 200)
            for worker in workers { try await worker.stop() }
        }
    }

    @Test func canvasesNest() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let mul = env.app.task("tasks.mul") { (x: Int, y: Int) async throws -> Int in x * y }
            let tsum = env.app.task("tasks.tsum") { (values: [Int]) async throws -> Int in values.reduce(0, +) }
            let worker = env.startWorker(concurrency: 8)

            // A chain containing a group: each member gets the result before it.
            let fanned = try await (add.s(1, 1) | group(add.s(10), add.s(20), mul.s(3))).delay()
            #expect(try await fanned.get(timeout: .seconds(10)) == [12, 22, 6])

            // A group of chains: each member's result is its last step's.
            let chains = try await group([add.s(1, 1) | mul.s(10), add.s(2, 2) | mul.s(10) | add.s(1)]).delay()
            #expect(try await chains.get(timeout: .seconds(10)) == [20, 41])

            // A chord inside a chain: step, header, body, and a step after it.
            let inside = try await (add.s(1, 2) | group(mul.s(2), mul.s(3)) | tsum.s() | add.s(100)).delay()
            #expect(try await inside.get(timeout: .seconds(10)) == 3 * 2 + 3 * 3 + 100)

            // A chain of chords: the second header's members each get the first body's result.
            let first = chord([add.s(1, 1), add.s(2, 2)], tsum.s())
            let second = group(mul.s(10), mul.s(100)) | tsum.s()
            let both = try await (first | second).delay()
            #expect(try await both.get(timeout: .seconds(10)) == 6 * 10 + 6 * 100)

            // A group of chords.
            let chords = try await group([chord([add.s(1, 1), add.s(1, 2)], tsum.s()), chord([add.s(5, 5)], tsum.s())]).delay()
            #expect(try await chords.get(timeout: .seconds(10)) == [5, 10])

            // The whole canvas shares one root: the chord inside the chain (five tasks).
            let root = try #require(
                try await env.sql("SELECT root_id::text FROM \(env.schema).results WHERE id = $1", [inside.id.uuidString]).first
                    ?? nil)
            #expect(
                try await env.count("SELECT count(*) FROM \(env.schema).results WHERE root_id = $1::uuid", [root]) == 5)
            try await worker.stop()
        }
    }

    @Test func aChainContainingAFailingGroupAbortsWhatFollows() async throws {
        try await TestEnvironment.with { env in
            let check = env.app.task("tasks.check") { (x: Int) async throws -> Int in
                if x == 2 { throw Boom(message: "two is not allowed") }
                return x
            }
            let tsum = env.app.task("tasks.tsum") { (values: [Int]) async throws -> Int in values.reduce(0, +) }
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker(concurrency: 4)
            // The step before the group fails: the group's members, its body and the rest are
            // recorded as aborted, so every wait ends.
            let early = try await (check.s(2) | group(add.s(1), add.s(2)) | tsum.s() | add.s(1)).delay()
            let error = await #expect(throws: TaskFailedError.self) { try await early.get(timeout: .seconds(10)) }
            #expect(error?.info.type == "ChainAborted")
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE error->>'type' = 'ChainAborted'") == 4)
            // A member of the group fails: the body fails with ChordError, the step after with
            // ChainAborted.
            let late = try await (add.s(1, 1) | group(check.si(1), check.si(2)) | tsum.s() | add.s(1)).delay()
            let lateError = await #expect(throws: TaskFailedError.self) { try await late.get(timeout: .seconds(10)) }
            #expect(lateError?.info.type == "ChainAborted")
            #expect(lateError?.info.message.contains("tasks.tsum") == true)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 0)
            try await worker.stop()
        }
    }

    @Test func linkAndLinkErrorCallbacksRunOnce() async throws {
        try await TestEnvironment.with { env in
            let check = env.app.task("tasks.check") { (x: Int) async throws -> Int in
                if x < 0 { throw Boom(message: "negative") }
                return x
            }
            let got = Mutex<[String]>([])
            let onSuccess = env.app.task("tasks.on_success") { (value: Int, tag: String) async throws -> Bool in
                got.withLock { $0.append("\(tag) \(value)") }
                return true
            }
            let onError = env.app.task("tasks.on_error") { (failed: String) async throws -> Bool in
                got.withLock { $0.append("error \(failed)") }
                return true
            }
            let worker = env.startWorker(concurrency: 4)
            let good = try await check.s(5).link(onSuccess.s("a")).link(onSuccess.s("b")).linkError(onError.s()).delay()
            #expect(try await good.get(timeout: .seconds(10)) == 5)
            let bad = try await check.s(-1).link(onSuccess.s("c")).linkError(onError.s()).delay()
            _ = await #expect(throws: TaskFailedError.self) { try await bad.get(timeout: .seconds(10)) }
            try await env.eventually("the callbacks ran") { got.withLock { $0.count } == 3 }
            #expect(Set(got.withLock { $0 }) == ["a 5", "b 5", "error \(bad.id.celeryString)"])
            // The callbacks are children of the task they follow.
            #expect(
                try await env.count(
                    "SELECT count(*) FROM \(env.schema).results WHERE name = 'tasks.on_success' AND parent_id = $1::uuid",
                    [good.id.uuidString]) == 2)
            try await worker.stop()
        }
    }
}
