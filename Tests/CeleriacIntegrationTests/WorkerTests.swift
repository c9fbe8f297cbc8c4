import Celeriac
import CeleriacPostgres
import Foundation
import Synchronization
import Testing

/// Several workers, fencing, migrations, shutdown.
@Suite struct WorkerTests {
    @Test func concurrentWorkersRunEveryTaskExactlyOnce() async throws {
        try await TestEnvironment.with { env in
            let runs = Mutex<[Int: Int]>([:])
            let record = env.app.task("tasks.record") { (n: Int) async throws -> Int in
                runs.withLock { $0[n, default: 0] += 1 }
                return n
            }
            let workers = (1...4).map { env.startWorker(concurrency: 8, name: "w\($0)@%h") }
            let total = 2_000
            for start in stride(from: 0, to: total, by: 500) {
                try await env.app.enqueue(try (start..<start + 500).map { try record.message($0) })
            }
            try await env.eventually(timeout: .seconds(60), "all \(total) tasks finished") {
                try await env.count("SELECT count(*) FROM \(env.schema).results") == total
            }
            for worker in workers { try await worker.stop() }
            let counts = runs.withLock { $0 }
            #expect(counts.count == total)
            #expect(counts.values.allSatisfy { $0 == 1 })
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE state = 'succeeded' AND attempt = 1") == total)
            // The work was shared: more than one worker took part.
            #expect(try await env.count("SELECT count(DISTINCT worker) FROM \(env.schema).results") > 1)
        }
    }

    @Test func aWorkerThatLostItsLeaseCannotWriteTheResult() async throws {
        try await TestEnvironment.with { env in
            let gate = Mutex(false)
            let slow = env.app.task("tasks.slow") { (n: Int) async throws -> Int in
                while !gate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                return n
            }
            let events = EventLog()
            let worker = env.startWorker(observers: [events])
            let result = try await slow.delay(7)
            try await env.eventually("the task started") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 1
            }
            // Someone else (a rescuer) took the task over.
            try await env.sql("UPDATE \(env.schema).tasks SET owner = 'rescuer', attempt = attempt + 1")
            gate.withLock { $0 = true }
            // Either the worker's next heartbeat saw the lease gone and stopped the task, or the
            // task finished first and the fence refused its outcome: one leaseLost event either way.
            try await env.eventually("the lease loss was noticed") { events.of(.leaseLost).map(\.taskID) == [result.id] }
            #expect(events.of(.succeeded).isEmpty)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results") == 0)
            #expect(try await env.sql("SELECT owner FROM \(env.schema).tasks") == ["rescuer"])
            #expect(try await result.state == .pending)
            try await worker.stop()
        }
    }

    @Test func warmStopFinishesRunningTasksAndColdStopReleasesThem() async throws {
        try await TestEnvironment.with({ $0.workerShutdownGrace = .seconds(10) }) { env in
            let nap = env.app.task("tasks.nap") { (ms: Int) async throws -> Int in
                try? await Task.sleep(for: .milliseconds(ms))
                return ms
            }
            let warm = env.startWorker()
            let result = try await nap.delay(600)
            try await env.eventually("started") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 1
            }
            try await warm.stop()
            #expect(try await result.state == .success)

            let blocked = Mutex(true)
            let stuck = env.app.task("tasks.stuck") { () async throws -> Int in
                while blocked.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
                return 1
            }
            let cold = env.startWorker()
            let stuckResult = try await stuck.delay()
            try await env.eventually("started") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 1
            }
            cold.worker.stop(cold: true)
            try await cold.task.value
            #expect(try await env.sql("SELECT state || ' ' || attempt FROM \(env.schema).tasks") == ["queued 0"])
            blocked.withLock { $0 = false }
            let next = env.startWorker()
            #expect(try await stuckResult.get(timeout: .seconds(10)) == 1)
            try await next.stop()
        }
    }

    /// Short tasks open the prefetch window: more tasks are claimed than there are slots. A warm
    /// stop gives those not started back to the queue; none is left claimed, none is lost.
    @Test func aWarmStopGivesBackTheTasksWaitingForASlot() async throws {
        try await TestEnvironment.with { env in
            _ = env.app.task("tasks.quick") { () async throws -> Int in
                try? await Task.sleep(for: .milliseconds(5))
                return 1
            }
            let total = 3_000
            try await env.sql(
                "INSERT INTO \(env.schema).tasks (id, name, queue) SELECT \(env.schema).uuid_v7(), 'tasks.quick', 'celery' FROM generate_series(1, \(total))"
            )
            let worker = env.startWorker(concurrency: 4)
            try await env.eventually("more claimed than the 4 slots") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") > 4
            }
            try await worker.stop()
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state <> 'queued' OR owner IS NOT NULL") == 0)
            let finished = try await env.count("SELECT count(*) FROM \(env.schema).results WHERE state = 'succeeded'")
            let queued = try await env.count("SELECT count(*) FROM \(env.schema).tasks")
            #expect(finished > 0)
            #expect(finished + queued == total)
        }
    }

    @Test func migrationsAreIdempotentSerialisedAndRequiredByWorkers() async throws {
        try await TestEnvironment.with(migrate: false) { env in
            _ = env.app.task("tasks.noop") { () async throws -> Int in 0 }
            // A worker refuses a schema that was never migrated.
            let worker = env.startWorker()
            await #expect(throws: SchemaError.self) { try await worker.task.value }

            // Three concurrent migrators: exactly one applies the files.
            let url = try DatabaseURL(env.url)
            let schema = env.schema
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<3 {
                    group.addTask {
                        let thread = DatabaseThread(url: url, name: "migrator-\(index)")
                        defer { thread.shutdown() }
                        return try await thread.run { try Migrator(schema: schema).migrate(on: $0).count }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(applied.sorted() == [0, 0, Migrator().latestVersion])
            #expect(try await env.app.migrate() == [])
            #expect(try await env.count("SELECT max(version) FROM \(schema).schema_migrations") == Migrator().latestVersion)
        }
    }

    @Test func workersRegisterAndSeeEachOther() async throws {
        try await TestEnvironment.with { env in
            let first = env.startWorker(name: "alpha@%h")
            try await env.eventually("alpha registered") {
                try await env.count("SELECT count(*) FROM \(env.schema).workers WHERE stopped_at IS NULL") == 1
            }
            let second = env.startWorker(name: "beta@%h")
            try await env.eventually("beta registered") {
                try await env.count("SELECT count(*) FROM \(env.schema).workers WHERE stopped_at IS NULL") == 2
            }
            try await first.stop()
            try await second.stop()
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).workers WHERE stopped_at IS NOT NULL") == 2)
        }
    }
}

extension WorkerTests {
    @Test func aRunningTaskRescuedElsewhereIsCancelledAtTheNextHeartbeat() async throws {
        try await TestEnvironment.with { env in
            let events = ExecutionLog()
            let endless = env.app.task("tasks.endless") { () async throws -> Int in
                do {
                    while true { try await Task.sleep(for: .milliseconds(20)) }
                } catch {
                    events.record("cancelled")
                    throw error
                }
            }
            let worker = env.startWorker()
            _ = try await endless.delay()
            try await env.eventually("the task started") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 1
            }
            // A rescuer takes the task over (as if this worker had been too slow to renew).
            try await env.sql("UPDATE \(env.schema).tasks SET owner = 'rescuer', attempt = attempt + 1")
            try await env.eventually(timeout: .seconds(5), "the local run was cancelled") { events.all == ["cancelled"] }
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results") == 0)
            #expect(try await env.sql("SELECT owner FROM \(env.schema).tasks") == ["rescuer"])
            try await worker.stop()
        }
    }
}

/// The lifecycle observer seam: what a worker reports, in order, after the database confirmed it.
@Suite struct LifecycleEventTests {
    @Test func aWorkerReportsEveryTransitionOfItsTasksAndItself() async throws {
        try await TestEnvironment.with { env in
            let events = EventLog()
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let fail = env.app.task("tasks.fail") { (x: Int) async throws -> Int in throw Boom(message: "no \(x)") }
            let again = env.app.task("tasks.again", maxRetries: 1, defaultRetryDelay: .milliseconds(10)) { task in
                if task.retries == 0 { throw task.retry(because: Boom(message: "once more")) }
                return "done"
            }
            let worker = env.startWorker(observers: [events])
            let sum = try await add.delay(1, 2)
            let failed = try await fail.delay(3)
            let retried = try await again.delay()
            #expect(try await sum.get(timeout: .seconds(10)) == 3)
            await #expect(throws: TaskFailedError.self) { try await failed.get(timeout: .seconds(10)) }
            #expect(try await retried.get(timeout: .seconds(10)) == "done")
            try await worker.stop()

            let log = events.all
            #expect(log.first?.kind == .workerOnline)
            #expect(log.last?.kind == .workerOffline)
            func kinds(_ id: UUID) -> [LifecycleEvent.Kind] { log.filter { $0.taskID == id }.map(\.kind) }
            #expect(kinds(sum.id) == [.claimed, .started, .succeeded])
            #expect(kinds(failed.id) == [.claimed, .started, .failed])
            #expect(kinds(retried.id) == [.claimed, .started, .retried, .claimed, .started, .succeeded])
            let failure = try #require(log.first { $0.taskID == failed.id && $0.kind == .failed })
            #expect(failure.error?.message == "no 3")
            #expect(failure.taskName == "tasks.fail" && failure.queue == "celery" && failure.attempt == 1)
            #expect(log.filter { $0.taskID == retried.id && $0.kind == .succeeded }.first?.attempt == 2)
            #expect(Set(log.map(\.worker)).count == 1)
        }
    }
}
