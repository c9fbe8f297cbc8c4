import Celeriac
import Foundation
import Testing

/// The real executables: the demo's worker under SIGTERM, and the `celeriac` CLI.
@Suite struct ProcessTests {
    static let binaries = TestEnvironment.packageRoot.appending(path: ".build/debug")

    /// Starts an executable with the test database and schema, capturing its output.
    static func launch(
        _ name: String,
        _ arguments: [String],
        schema: String,
        url: String,
        environment extra: [String: String] = [:]
    ) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = binaries.appending(path: name)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CELERIAC_DATABASE_URL"] = url
        environment["CELERIAC_SCHEMA"] = schema
        environment.merge(extra) { $1 }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return (process, pipe)
    }

    /// Runs an executable to completion and returns its status and output.
    static func run(_ name: String, _ arguments: [String], schema: String, url: String) throws -> (Int32, String) {
        let (process, pipe) = try launch(name, arguments, schema: schema, url: url)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// ``run(_:_:schema:url:)`` on a thread of its own: waiting for a process must not hold
    /// one of the cooperative pool's few threads, which in-process workers need meanwhile.
    static func runOffPool(
        _ name: String,
        _ arguments: [String],
        schema: String,
        url: String
    ) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try run(name, arguments, schema: schema, url: url) })
            }.start()
        }
    }

    /// Waits for a process to exit on a thread of its own, not blocking the cooperative pool
    /// (other tests' timings would suffer).
    static func exit(of process: Process) async {
        await withCheckedContinuation { continuation in
            Thread {
                process.waitUntilExit()
                continuation.resume()
            }.start()
        }
    }

    /// Everything a launched process writes until it exits, read on a thread of its own.
    static func output(of process: Process, _ pipe: Pipe) async -> String {
        await withCheckedContinuation { continuation in
            Thread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }.start()
        }
    }

    @Test func sigtermLetsTheRunningTaskFinishFirst() async throws {
        try await TestEnvironment.with { env in
            let (worker, pipe) = try Self.launch("demo", ["worker", "-c", "2", "--loglevel", "INFO"], schema: env.schema, url: env.url)
            // tasks.add in the demo sleeps 3 s. (On a machine loaded by the whole suite, a worker
            // process has taken over 20 s to start, and a poll can miss the 3 s: then the
            // shutdown finds it idle, and the rest still holds.)
            let result = try await env.app.sendTask("tasks.add", args: "[2, 3]")
            try await env.eventually(timeout: .seconds(60), "the demo worker started the task") {
                try await env.count(
                    "SELECT (SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started') + (SELECT count(*) FROM \(env.schema).results)"
                ) == 1
            }
            let signalled = ContinuousClock.now
            kill(worker.processIdentifier, SIGTERM)
            try await env.eventually(timeout: .seconds(20), "the worker exited") { !worker.isRunning }
            let shutdown = ContinuousClock.now - signalled
            let log = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(worker.terminationStatus == 0, "worker log:\n\(log)")
            #expect(try await result.get(timeout: .seconds(1)) == .number(5))
            #expect(shutdown < .seconds(10))
            #expect(log.contains("Warm shutdown"))
            #expect(log.contains("succeeded in 3."))
            #expect(log.contains("celeriac@"))
            #expect(log.contains("transport:   postgres://"))
            #expect(!log.contains(":celeriac@"), "the banner must mask the password")
        }
    }

    @Test func cliCallsAndReadsResults() async throws {
        try await TestEnvironment.with { env in
            _ = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            let (status, output) = try await Self.runOffPool(
                "celeriac", ["call", "tasks.add", "--args", "[20, 22]"], schema: env.schema, url: env.url)
            #expect(status == 0, "\(output)")
            let id = output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(UUID(uuidString: id) != nil)
            let (resultStatus, resultOutput) = try await Self.runOffPool(
                "celeriac", ["result", id, "--wait", "10"], schema: env.schema, url: env.url)
            #expect(resultStatus == 0, "\(resultOutput)")
            let json = try JSONValue(json: resultOutput)
            #expect(json == .object(["id": .string(id), "state": .string("SUCCESS"), "task": .string("tasks.add"), "result": .number(42)]))

            let (badStatus, badOutput) = try await Self.runOffPool(
                "celeriac", ["call", "tasks.add", "--args", "{oops"], schema: env.schema, url: env.url)
            #expect(badStatus != 0)
            #expect(badOutput.contains("args is not valid JSON"))

            let (purgeStatus, purgeOutput) = try await Self.runOffPool("celeriac", ["purge"], schema: env.schema, url: env.url)
            #expect(purgeStatus == 0)
            #expect(purgeOutput.contains("Purged 0 messages"))

            let (workerStatus, workerOutput) = try await Self.runOffPool("celeriac", ["worker"], schema: env.schema, url: env.url)
            #expect(workerStatus != 0)
            #expect(workerOutput.contains("your own executable"))
            try await worker.stop()
        }
    }

    @Test func sqlShowPrintsAStatementPsqlCanPrepareAndExplain() async throws {
        try await TestEnvironment.with { env in
            let (listStatus, list) = try await Self.runOffPool("celeriac", ["sql", "list"], schema: env.schema, url: env.url)
            #expect(listStatus == 0)
            #expect(list.split(separator: "\n").count == SQL.all.count)
            #expect(list.contains("tasks.claim"))
            let (status, text) = try await Self.runOffPool("celeriac", ["sql", "show", "tasks.claim"], schema: env.schema, url: env.url)
            #expect(status == 0)
            #expect(text.contains("FROM \(env.schema).tasks"))
            #expect(text.contains("--   $1 queues text[]"))
            let plan = try await env.app.pool.run { connection -> [String] in
                try connection.executeScript(text)
                try connection.execute("SET plan_cache_mode = force_generic_plan")
                let rows = try connection.execute(
                    "EXPLAIN EXECUTE tasks_claim('{celery}', 10, 'w', 20, true, 'x.events', '{}', NULL, '{}', '{}', '{}', '{}', 0, '{}')")
                try connection.execute("DEALLOCATE tasks_claim")
                return (0..<rows.rowCount).compactMap { rows.string($0, 0) }
            }
            #expect(plan.contains { $0.contains("tasks_ready_idx") })
            let (unknownStatus, unknown) = try await Self.runOffPool(
                "celeriac", ["sql", "show", "tasks.nope"], schema: env.schema, url: env.url)
            #expect(unknownStatus != 0)
            #expect(unknown.contains("no statement named 'tasks.nope'"))
        }
    }
}
