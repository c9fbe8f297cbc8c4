import Foundation
import InMemoryTracing
import Testing
import Tracing

@testable import Celeriac

/// Trace propagation (TaskTracing): the span active when a task is sent travels in its row,
/// and the worker runs the task in a consumer span that is its child, in the same trace.
///
/// The tracer is bootstrapped for the whole test process (a worker runs its tasks outside the
/// caller's task-local scope, as it does in production); each test finds its own spans by
/// their task names.
@Suite struct TracingTests {
    struct Declined: Error {}

    static let tracer: InMemoryTracer = {
        let tracer = InMemoryTracer()
        InstrumentationSystem.bootstrap(tracer)
        return tracer
    }()

    @Test func aTaskRunsInASpanChildOfTheSpanThatSentIt() async throws {
        let tracer = Self.tracer
        do {
            try await TestEnvironment.with { env in
                let add = env.app.task("tasks.traced_add") { (x: Int, y: Int) async throws -> Int in x + y }
                let fails = env.app.task("tasks.traced_failure") { (x: Int) async throws -> Int in throw Declined() }
                let (sum, failure) = try await withSpan("POST /orders", ofKind: .server) { _ in
                    (try await add.delay(2, 3), try await fails.delay(1))
                }
                let row = try await env.sql("SELECT options -> 'trace' FROM \(env.schema).tasks WHERE id = $1::uuid", [sum.id.uuidString])
                #expect(row.first??.contains(InMemoryTracer.traceIDKey) == true)

                let worker = env.startWorker()
                #expect(try await sum.get(timeout: .seconds(10)) == 5)
                _ = try? await failure.get(timeout: .seconds(10))
                try await worker.stop()
            }
        }
        let spans = tracer.finishedSpans
        let request = try #require(spans.first { $0.operationName == "POST /orders" })
        let run = try #require(spans.first { $0.operationName == "tasks.traced_add" })
        #expect(run.kind == .consumer)
        #expect(run.traceID == request.traceID)
        #expect(run.parentSpanID == request.spanID)
        #expect(run.attributes["messaging.system"]?.toSpanAttribute() == "celeriac")
        #expect(run.attributes["celeriac.task.attempt"]?.toSpanAttribute() == 1)
        let failed = try #require(spans.first { $0.operationName == "tasks.traced_failure" })
        #expect(failed.traceID == request.traceID)
        #expect(!failed.errors.isEmpty)
    }

    @Test func tasksSentFromATaskStayInItsTrace() async throws {
        let tracer = Self.tracer
        do {
            try await TestEnvironment.with { env in
                let leaf = env.app.task("tasks.traced_leaf") { (x: Int) async throws -> Int in x * 2 }
                let fanOut = env.app.task("tasks.traced_fan_out") { (n: Int) async throws -> Int in
                    for i in 0..<n { _ = try await leaf.delay(i) }
                    return n
                }
                let root = try await withSpan("cron", ofKind: .internal) { _ in try await fanOut.delay(3) }
                let worker = env.startWorker()
                #expect(try await root.get(timeout: .seconds(10)) == 3)
                try await env.eventually("the leaves ran") {
                    try await env.count("SELECT count(*) FROM \(env.schema).results WHERE name = 'tasks.traced_leaf'") == 3
                }
                try await worker.stop()
            }
        }
        let spans = tracer.finishedSpans
        let cron = try #require(spans.first { $0.operationName == "cron" })
        let fan = try #require(spans.first { $0.operationName == "tasks.traced_fan_out" })
        let leaves = spans.filter { $0.operationName == "tasks.traced_leaf" }
        #expect(leaves.count == 3)
        #expect(leaves.allSatisfy { $0.traceID == cron.traceID && $0.parentSpanID == fan.spanID })
    }

    @Test func withoutASpanNothingIsWritten() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.untraced") { (x: Int) async throws -> Int in x }
            let result = try await add.delay(1)
            #expect(
                try await env.count(
                    "SELECT count(*) FROM \(env.schema).tasks WHERE id = $1::uuid AND options ? 'trace'", [result.id.uuidString]) == 0)
        }
    }
}
