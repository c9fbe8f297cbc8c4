import Celeriac
import CeleriacTesting
import Foundation
import Testing

/// The database helpers as a user's suite uses them: a schema per test, the queued tasks run
/// to completion in the test, and assertions on what was enqueued.
@Suite(.enabled(if: TestDatabase.url != nil, "set CELERIAC_TEST_DATABASE_URL"))
struct TestDatabaseTests {
    struct Rollback: Error {}

    struct Order: Codable, Sendable, Equatable {
        var id: Int
        var email: String
    }

    @Test func queuedTasksRunToCompletionInTheTest() async throws {
        try await TestDatabase.with { app in
            let confirm = app.task("shop.send_confirmation") { (order: Order) async throws -> String in
                "sent to \(order.email)"
            }
            let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let first = try await confirm.delay(Order(id: 1, email: "a@example.com"))
            let chained = try await (add.s(1, 2) | add.s(3)).delay()
            #expect(try await first.state == .pending)

            #expect(try await app.runQueuedTasks() == 3)
            #expect(try await first.get() == "sent to a@example.com")
            #expect(try await chained.get() == 6)
            #expect(try await app.runQueuedTasks() == 0)
        }
    }

    @Test func eachTestHasItsOwnSchema() async throws {
        let schemas = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await TestDatabase.with { app in
                        let noop = app.task("tasks.noop") { () async throws -> Int in 1 }
                        _ = try await noop.delay()
                        #expect(try await app.runQueuedTasks() == 1)
                        return app.conf.schema
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(schemas).count == 2)
    }

    @Test func theRecorderSeesWhatWasEnqueuedWithItsArguments() async throws {
        try await TestDatabase.with { app in
            let confirm = app.task("shop.send_confirmation") { (order: Order) async throws -> String in order.email }
            let other = app.task("shop.other") { (n: Int) async throws -> Int in n }
            let recorder = TaskRecorder(app: app)
            _ = try await confirm.delay(Order(id: 7, email: "b@example.com"))
            _ = try await other.delay(3)

            #expect(try recorder.wasEnqueued(confirm, Order(id: 7, email: "b@example.com")))
            #expect(try !recorder.wasEnqueued(confirm, Order(id: 8, email: "b@example.com")))
            #expect(try recorder.arguments(of: confirm).map { $0 } == [Order(id: 7, email: "b@example.com")])
            #expect(recorder.messages(of: other).count == 1)
            #expect(recorder.messages.count == 2)
            recorder.reset()
            #expect(recorder.messages.isEmpty)
        }
    }

    @Test func aTaskEnqueuedInARolledBackTransactionNeverRuns() async throws {
        try await TestDatabase.with { app in
            let confirm = app.task("shop.send_confirmation") { (order: Order) async throws -> String in order.email }
            await #expect(throws: Rollback.self) {
                try await app.transaction { tx -> Void in
                    try tx.enqueue(confirm.message(Order(id: 9, email: "c@example.com")))
                    throw Rollback()
                }
            }
            let ran = try await app.runQueuedTasks()
            #expect(ran == 0)
        }
    }
}
