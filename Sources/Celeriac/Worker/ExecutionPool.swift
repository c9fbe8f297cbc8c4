/// Where claimed tasks run: in this process (``AsyncPool``) or in child processes
/// (``PreforkPool``). The consumer hands each task to a numbered slot and awaits its outcome.
protocol ExecutionPool: Sendable {
    /// Runs `task` in slot `slot` (1…concurrency) and returns what happened. Cancelling the
    /// calling task stops the run as far as the pool can (cooperatively, or by killing a child).
    func execute(_ task: ClaimedTask, slot: Int) async -> Completion
    /// Starts whatever the pool needs (child processes).
    func start() throws
    /// Stops the pool's resources once no task runs any more.
    func shutdown()
}

/// Runs tasks on Swift concurrency in this process: tasks that wait overlap freely; a
/// crash takes the whole worker down, and only the soft time limit applies.
struct AsyncPool: ExecutionPool {
    let runner: TaskRunner

    func execute(_ task: ClaimedTask, slot: Int) async -> Completion {
        await runner.run(task, slot: slot)
    }

    func start() throws {}
    func shutdown() {}
}
