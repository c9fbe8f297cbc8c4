import Celeriac
import CeleriacPostgres
import Foundation

extension CeleriacApp {
    /// Runs the tasks waiting in the database to completion in this process, with a real
    /// worker, and returns how many finished. What they enqueue runs too (chain steps, chord
    /// bodies, callbacks, retries due before `timeout`); tasks scheduled for later than that
    /// stay queued.
    ///
    /// - Parameters:
    ///   - queues: the queues to consume (default: every queue with a task waiting, and the
    ///     default queue).
    ///   - concurrency: tasks run at once.
    ///   - timeout: how long to wait for the queue to empty.
    /// - Throws: ``TestDatabaseError`` when tasks are still due or running after `timeout`.
    @discardableResult
    public func runQueuedTasks(
        queues: [String]? = nil, concurrency: Int = 4, timeout: Duration = .seconds(30)
    ) async throws -> Int {
        let schema = conf.schema
        let finishedBefore = try await count("SELECT count(*) FROM \(schema).results")
        var options = WorkerOptions()
        options.concurrency = concurrency
        options.nodeName = "test-\(UInt32.random(in: 0..<UInt32.max))@%h"
        if let queues {
            options.queues = queues
        } else {
            let waiting = try await pool.run { connection in
                let rows = try connection.execute("SELECT DISTINCT queue FROM \(schema).tasks")
                return (0..<rows.rowCount).compactMap { rows.string($0, 0) }
            }
            options.queues = Array(Set(waiting + [conf.taskDefaultQueue])).sorted()
        }
        let worker = Worker(app: self, options: options)
        let running = Task { try await worker.run(handleSignals: false, printBanner: false) }
        let deadline = ContinuousClock.now + timeout
        let busy = """
            SELECT count(*) FROM \(schema).tasks
            WHERE state = 'started' OR (state IN ('queued', 'retry') AND run_at <= now())
            """
        var quiet = 0
        while true {
            // Twice in a row: a finishing task may enqueue its successor in the same commit.
            quiet = try await count(busy) == 0 ? quiet + 1 : 0
            if quiet >= 2 { break }
            if ContinuousClock.now >= deadline {
                worker.stop()
                try? await running.value
                throw TestDatabaseError("tasks still due or running after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        worker.stop()
        try await running.value
        return try await count("SELECT count(*) FROM \(schema).results") - finishedBefore
    }

    private func count(_ sql: String) async throws -> Int {
        try await pool.run { connection in Int(try connection.execute(sql).scalar ?? "0") ?? 0 }
    }
}
