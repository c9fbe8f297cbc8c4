import CeleriacPostgres

/// What a worker writes at start-up: to `task_types`, the effective options of every task it
/// runs (the task's own, else the app's settings); to `settings`, what SQL producers need. The worker's registry is the authority for
/// a task's options; whoever handles a row without the task's code (rescue, the dashboard)
/// reads them there.
enum TaskTypeRegistry {
    /// `task_types.register` for `tasks` under `configuration`, written by `worker`.
    static func statement(for tasks: [RegisteredTask], configuration conf: Configuration, worker: String)
        -> SQL.TaskTypes.Register
    {
        func column(_ value: (RegisteredTask) -> String?) -> SQLArray { SQLArray(tasks.map(value)) }
        func flag(_ value: Bool) -> String { value ? "true" : "false" }
        return SQL.TaskTypes.Register(
            names: tasks.map(\.name),
            acksLate: column { flag($0.options.acksLate ?? conf.taskAcksLate) },
            maxRetries: tasks.map { $0.options.maxRetries ?? conf.taskDefaultMaxRetries },
            rejectOnWorkerLost: column { _ in flag(conf.taskRejectOnWorkerLost) },
            timeLimits: column { ($0.options.timeLimit ?? conf.taskTimeLimit).map { String($0.seconds) } },
            softTimeLimits: column { ($0.options.softTimeLimit ?? conf.taskSoftTimeLimit).map { String($0.seconds) } },
            ignoreResult: column { flag($0.options.ignoreResult) },
            queues: column { $0.options.queue },
            worker: worker,
            rateLimits: column { $0.options.rateLimit?.rate },
            rateKeys: column { $0.options.rateLimit?.key.spec }
        )
    }

    /// `settings.put`: what SQL producers need of this worker's configuration (0012).
    static func settings(_ conf: Configuration, worker: String) throws -> SQL.Settings.Put {
        let routes = try JSONCoding.encode(conf.taskRoutes)
        return SQL.Settings.Put(
            keys: ["default_queue", "routes", "max_payload_bytes"],
            values: [try JSONCoding.encode(conf.taskDefaultQueue), routes, String(conf.maxPayloadBytes)],
            worker: worker
        )
    }
}
