import Foundation
import Testing

@testable import Celeriac

/// map, starmap and chunks: many calls of a task in one task (Canvas/Starmap.swift).
@Suite struct MapTests {
    @Test func mapStarmapAndChunksRunEveryCallInOrder() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let double = env.app.task("tasks.double") { (x: Int) async throws -> Int in x * 2 }
            let total = env.app.task("tasks.total") { (parts: [[Int]]) async throws -> Int in parts.joined().reduce(0, +) }
            let worker = env.startWorker(concurrency: 4)

            #expect(try await double.map([1, 2, 3]).delay().get(timeout: .seconds(10)) == [2, 4, 6])
            #expect(try await add.starmap([(1, 2), (3, 4)]).delay().get(timeout: .seconds(10)) == [3, 7])
            // One task each: a starmap is a single row.
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE name = 'celeriac.starmap'") == 2)

            let calls = (0..<25).map { ($0, $0) }
            let chunked = try await add.chunks(calls, size: 10).delay()
            #expect(chunked.ids.count == 3)
            #expect(
                try await chunked.get(timeout: .seconds(10)) == [Array(0..<10), Array(10..<20), Array(20..<25)].map { $0.map { $0 * 2 } })
            // Chunks are a group: a chord body can add them up.
            let summed = try await chord(add.chunks(calls, size: 10), total.s()).delay()
            #expect(try await summed.get(timeout: .seconds(10)) == (0..<25).map { $0 * 2 }.reduce(0, +))
            try await worker.stop()
        }
    }

    @Test func aStarmapOfAnUnknownTaskFailsClearly() async throws {
        try await TestEnvironment.with { env in
            let worker = env.startWorker()
            let message = try env.app.message(task: Starmap.name, args: #"["tasks.nowhere", [[1]]]"#)
            let id = try await env.app.enqueue(message)
            let error = await #expect(throws: TaskFailedError.self) {
                try await AsyncResult<[Int]>(id: id, app: env.app).get(timeout: .seconds(10))
            }
            #expect(error?.info.type == "NotRegistered")
            let malformed = try await env.app.enqueue(try env.app.message(task: Starmap.name, args: "[1, 2]"))
            let bad = await #expect(throws: TaskFailedError.self) {
                try await AsyncResult<[Int]>(id: malformed, app: env.app).get(timeout: .seconds(10))
            }
            #expect(bad?.info.type == "ArgumentError")
            try await worker.stop()
        }
    }
}
