import CeleriacPostgres

/// What a worker writes to `task_types` at start-up: the effective options of every task it
/// runs (the task's own, else the app's settings). The worker's registry is the authority for
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
            worker: worker
        )
    }
}
