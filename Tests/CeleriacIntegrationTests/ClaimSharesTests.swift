import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// A worker of several queues shares each claim among them (tasks.claim): equal shares, the
/// remainder in turn, what a short queue leaves to those that filled theirs.
@Suite struct ClaimSharesTests {
    static func claim(_ env: TestEnvironment, _ queues: [String], limit: Int, turn: Int = 0) async throws -> [SQL.Tasks.Claim.Row] {
        let statement = SQL.Tasks.Claim(
            queues: queues, limit: limit, owner: "claim-shares-test", leaseSeconds: 30, events: false,
            eventsChannel: SchemaSQL(schema: env.schema).topics.events, relaxedNames: [], restoreCommit: nil,
            afterQueues: [], afterPriorities: [], afterRunAts: [], afterIds: [], turn: turn, limitedNames: [])
        let sql = SchemaSQL(schema: env.schema)
        return try await env.app.pool.run { connection in try connection.rows(statement, in: sql) }
    }

    static func counts(_ rows: [SQL.Tasks.Claim.Row]) -> [String: Int] {
        rows.reduce(into: [:]) { $0[$1.queue, default: 0] += 1 }
    }

    static func add(_ env: TestEnvironment, _ count: Int, to queue: String, priority: Int = 0) async throws {
        try await env.sql(
            "INSERT INTO \(env.schema).tasks (id, name, queue, priority) SELECT \(env.schema).uuid_v7(), 'tasks.n', $1, $2::int FROM generate_series(1, $3::int)",
            [queue, String(priority), String(count)])
    }

    @Test func eachQueueGetsAnEqualShareAndTheRemainderTakesTurns() async throws {
        try await TestEnvironment.with { env in
            for queue in ["a", "b", "c"] { try await Self.add(env, 10, to: queue) }
            let even = try await Self.claim(env, ["a", "b", "c"], limit: 6)
            #expect(Self.counts(even) == ["a": 2, "b": 2, "c": 2])
            #expect(even.allSatisfy { !$0.more })
            let turn0 = try await Self.claim(env, ["a", "b", "c"], limit: 7, turn: 0)
            #expect(Self.counts(turn0) == ["a": 3, "b": 2, "c": 2])
            let turn1 = try await Self.claim(env, ["a", "b", "c"], limit: 7, turn: 1)
            #expect(Self.counts(turn1) == ["a": 2, "b": 3, "c": 2])
            let turn2 = try await Self.claim(env, ["a", "b", "c"], limit: 2, turn: 2)
            #expect(Self.counts(turn2) == ["c": 1, "a": 1])
        }
    }

    @Test func whatAShortQueueLeavesGoesToThoseThatFilledTheirShare() async throws {
        try await TestEnvironment.with { env in
            // Only one queue of three has work: the whole claim comes from it.
            try await Self.add(env, 20, to: "a")
            let alone = try await Self.claim(env, ["a", "b", "c"], limit: 9)
            #expect(Self.counts(alone) == ["a": 9])
            // Two left in a, plenty in b: a's share short, b fills the rest; never more than asked.
            let s = env.schema
            try await env.sql(
                """
                DELETE FROM \(s).tasks WHERE state = 'queued' AND queue = 'a'
                AND id NOT IN (SELECT id FROM \(s).tasks WHERE state = 'queued' AND queue = 'a' LIMIT 2)
                """)
            try await Self.add(env, 20, to: "b")
            let mixed = try await Self.claim(env, ["a", "b", "c"], limit: 9)
            #expect(Self.counts(mixed) == ["a": 2, "b": 7])
            // Priority orders each queue.
            try await Self.add(env, 3, to: "c", priority: 5)
            try await Self.add(env, 3, to: "c", priority: 1)
            let urgent = try await Self.claim(env, ["c"], limit: 3)
            #expect(urgent.map(\.priority) == [5, 5, 5])
        }
    }

    @Test func aClaimThatFilledAShareButCameBackShortSaysThereMayBeMore() async throws {
        try await TestEnvironment.with { env in
            try await Self.add(env, 2, to: "a")
            // a fills its share of 2 and has nothing more to top up with: short, and a queue
            // filled its share, so the worker is told to look again rather than wait.
            let first = try await Self.claim(env, ["a", "b"], limit: 4)
            #expect(first.count == 2)
            #expect(first.allSatisfy { $0.more })
            #expect(try await Self.claim(env, ["a", "b"], limit: 4).isEmpty)
        }
    }
}
