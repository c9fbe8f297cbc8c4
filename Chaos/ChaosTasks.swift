import Celeriac
import Foundation

/// The task the fault suite runs: it records each run in `<schema>.chaos_runs` and commits
/// its "effect" with a write fenced by the lease (owner + attempt), the way a real task
/// should guard its side effects.
enum ChaosTasks {
    static func register(in app: CeleriacApp) {
        let schema = app.conf.schema
        app.task("chaos.work", acksLate: nil) { (task: TaskContext, milliseconds: Int) async throws -> Int in
            let (id, attempt, owner) = (task.id.celeryString, String(task.attempt), task.owner)
            // Both writes are idempotent, so they go through the producer's reconnecting retry.
            try await app.sendQuery(
                """
                INSERT INTO \(schema).chaos_runs (task_id, attempt, worker)
                SELECT $1, $2, $3 WHERE NOT EXISTS
                    (SELECT 1 FROM \(schema).chaos_runs WHERE task_id = $1 AND attempt = $2 AND worker = $3)
                """,
                [id, attempt, owner]
            )
            try await Task.sleep(for: .milliseconds(milliseconds))
            let committed = try await app.sendQuery(
                """
                UPDATE \(schema).chaos_runs SET finished_at = coalesce(finished_at, clock_timestamp()), committed = true
                WHERE task_id = $1 AND attempt = $2 AND worker = $3
                  AND EXISTS (SELECT 1 FROM \(schema).tasks
                              WHERE id = $1 AND owner = $3 AND attempt = $2 AND state = 'started')
                RETURNING 1
                """,
                [id, attempt, owner]
            )
            guard committed == "1" else { throw ChaosLeaseLost() }
            return milliseconds
        }
    }
}

/// The task's fenced write found the lease gone: another attempt owns the task.
struct ChaosLeaseLost: Error, CustomStringConvertible {
    var description: String { "lease lost before the effect was committed" }
}
