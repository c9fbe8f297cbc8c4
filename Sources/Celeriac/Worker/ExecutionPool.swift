import Foundation

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
    /// Stops the run of `taskID` cooperatively, as a soft time limit does, where cancelling
    /// its pool task would not (a prefork child is asked, not killed). Returns false when
    /// cancelling the pool task is the way (the async pool).
    func interrupt(_ taskID: UUID) -> Bool
    /// New slots (pool_grow): start what they need.
    func addSlots(_ slots: [Int]) throws
    /// Slots removed (pool_shrink), free now: stop what they hold.
    func removeSlots(_ slots: [Int])
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
    func interrupt(_ taskID: UUID) -> Bool { false }
    func addSlots(_ slots: [Int]) throws {}
    func removeSlots(_ slots: [Int]) {}
}
