import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// Producers through a real pgbouncer in transaction mode (`make test` starts one with
/// scripts/pgbouncer.sh): a pooler hands server sessions around between transactions, so
/// nothing may rely on session state.
@Suite struct PoolerTests {
    static func poolerURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["CELERIAC_TEST_POOLER_URL"] else {
            throw SetupError("no pooler: run `make test` (it starts pgbouncer), or set CELERIAC_TEST_POOLER_URL")
        }
        return url
    }

    /// A producer app on `env`'s schema, connected through the pooler.
    static func pooledApp(_ env: TestEnvironment) throws -> CeleriacApp {
        let app = CeleriacApp("pooled", database: try poolerURL(), environment: [:])
        app.conf.schema = env.schema
        app.conf.producerPoolSize = 4
        return app
    }

    @Test func theURLChoosesThePooledMode() throws {
        let url = try DatabaseURL("postgres://u:p@h:6432/db?sslmode=disable&pooler=transaction")
        #expect(url.pooled)
        #expect(url.rawValue == "postgres://u:p@h:6432/db?sslmode=disable")
        #expect(url.masked.hasSuffix("(pooled)"))
        #expect(try !DatabaseURL("postgres://u:p@h/db").pooled)
        #expect(try DatabaseURL("host=h dbname=db pooler=transaction").pooled)
        #expect(throws: PostgresError.self) { try DatabaseURL("postgres://h/db?pooler=statement") }
    }

    @Test func everyProducerPathWorksThroughATransactionPooler() async throws {
        try await TestEnvironment.with { env in
            let producer = try Self.pooledApp(env)
            defer { producer.shutdown() }
            let add = producer.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            _ = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            // Named statements fail on the second use through a pooler (42P05): use them often.
            var results: [AsyncResult<Int>] = []
            for n in 0..<20 { results.append(try await add.delay(n, 1)) }
            results.append(try await add.applyAsync(1, 1, options: CallOptions(countdown: .milliseconds(10))))
            let bulk = try (0..<50).map { try add.message($0, 2) }
            try await producer.enqueue(bulk)
            let inTransaction = try await producer.transaction { tx in
                let message = try add.message(40, 2)
                try tx.enqueue(message)
                return message.id
            }
            for (n, result) in results.prefix(20).enumerated() { #expect(try await result.get(timeout: .seconds(20)) == n + 1) }
            #expect(try await results[20].get(timeout: .seconds(20)) == 2)
            #expect(try await AsyncResult<Int>(id: inTransaction, app: producer).get(timeout: .seconds(20)) == 42)
            for message in bulk { _ = try await AsyncResult<Int>(id: message.id, app: producer).get(timeout: .seconds(20)) }
            #expect(try await producer.purge() == 0)
            #expect(try await producer.migrate() == [])
            try await worker.stop()
        }
    }

    @Test func theCommandLineWorksThroughATransactionPooler() async throws {
        try await TestEnvironment.with { env in
            let pooled = try Self.poolerURL()
            _ = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            var ids: [String] = []
            for n in 0..<3 {
                let (status, output) = try await ProcessTests.runOffPool(
                    "celeriac", ["call", "tasks.add", "--args", "[\(n), 1]"], schema: env.schema, url: pooled)
                #expect(status == 0, "\(output)")
                ids.append(output.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            for id in ids {
                let (status, output) = try await ProcessTests.runOffPool(
                    "celeriac", ["result", id, "--wait", "20"], schema: env.schema, url: pooled)
                #expect(status == 0, "\(output)")
                #expect(output.contains("\"SUCCESS\""))
            }
            let steps: [[String]] = [
                ["schedule", "add", "every-minute", "--task", "tasks.add", "--args", "[1, 2]", "--cron", "* * * * *"],
                ["schedule", "list"], ["schedule", "disable", "every-minute"], ["schedule", "run-now", "every-minute"],
                ["schedule", "remove", "every-minute"], ["purge"],
            ]
            for step in steps {
                let (status, output) = try await ProcessTests.runOffPool("celeriac", step, schema: env.schema, url: pooled)
                #expect(status == 0, "\(step.joined(separator: " ")): \(output)")
            }
            try await worker.stop()
        }
    }

    @Test func aWorkerOnAPooledURLSaysItPollsAndStillWorks() async throws {
        try await TestEnvironment.with({ $0.workerPollInterval = .milliseconds(200) }) { env in
            let pooled = try Self.poolerURL()
            let (worker, pipe) = try ProcessTests.launch(
                "demo", ["worker", "-c", "2", "--loglevel", "INFO"], schema: env.schema, url: pooled,
                environment: ["CELERIAC_POLL_INTERVAL": "0.2"])
            let result = try await env.app.sendTask("tasks.add", args: "[2, 3]")
            #expect(try await result.get(timeout: .seconds(30)) == .number(5))
            kill(worker.processIdentifier, SIGTERM)
            let output = await ProcessTests.output(of: worker, pipe)
            #expect(output.contains("goes through a transaction pooler: no LISTEN, so this worker polls for work every 0.2"))
            #expect(output.contains("(pooled)"))
        }
    }
}
