import Foundation
import Synchronization

/// How a worker stops: warm (finish running tasks within the grace period) or cold (give them
/// back now).
enum StopMode: Int, Comparable, Sendable {
    case none, warm, cold
    static func < (lhs: StopMode, rhs: StopMode) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The worker's slots: which are free, which task runs in each, the outcomes they delivered,
/// and the stop requested. Shared between the consumer's thread and the pool's tasks, behind
/// one lock; no database.
///
/// A task whose lease was lost or given back is *abandoned*: its pool task is cancelled, and
/// its outcome, if it still arrives, is dropped (rescue or the next claimer decides).
final class SlotTable: Sendable {
    private struct State {
        var completions: [Completion] = []
        /// The pool tasks running claimed work, to cancel them when the lease is lost.
        var handles: [UUID: Task<Void, Never>] = [:]
        /// Tasks that finished before their handle was recorded.
        var finishedEarly: Set<UUID> = []
        var abandoned: Set<UUID> = []
        /// Running tasks revoked, with the reason: their outcome is written as revoked unless
        /// they succeeded anyway.
        var revoked: [UUID: String] = [:]
        var running = 0
        var freeSlots: [Int]
        var stop: StopMode = .none
        var stopRequestedAt: ContinuousClock.Instant?
    }

    /// What the consumer reads once per turn.
    struct Snapshot: Sendable {
        var free: Int
        var running: Int
        var stop: StopMode
        var stopRequestedAt: ContinuousClock.Instant?
    }

    private let state: Mutex<State>

    /// Slots 1…concurrency, all free.
    init(concurrency: Int) {
        state = Mutex(State(freeSlots: Array((1...max(1, concurrency)).reversed())))
    }

    /// Takes a free slot for a task about to run.
    func occupy() -> Int {
        state.withLock { state in
            state.running += 1
            return state.freeSlots.popLast() ?? 0
        }
    }

    /// Records the pool task running `id`, unless it has already finished.
    func started(_ id: UUID, handle: Task<Void, Never>) {
        state.withLock { state in
            if state.finishedEarly.remove(id) == nil { state.handles[id] = handle }
        }
    }

    /// An outcome from the pool (`slot` nil for one that never ran, e.g. an expired task).
    /// Returns false when the task was abandoned and the outcome is dropped.
    @discardableResult
    func deliver(_ completion: Completion, slot: Int?) -> Bool {
        state.withLock { state in
            let abandoned = state.abandoned.remove(completion.id) != nil
            var completion = completion
            if let reason = state.revoked.removeValue(forKey: completion.id), completion.outcome != .succeeded,
                completion.outcome != .ignored
            {
                completion = completion.replaced(by: .revoked, payload: ErrorInfo(type: "TaskRevokedError", message: reason).json)
            }
            if !abandoned { state.completions.append(completion) }
            if let slot {
                state.running -= 1
                state.freeSlots.append(slot)
                if !abandoned, state.handles.removeValue(forKey: completion.id) == nil {
                    state.finishedEarly.insert(completion.id)
                }
            }
            return !abandoned
        }
    }

    /// The outcomes delivered since the last call, and the slots' state.
    func take() -> ([Completion], Snapshot) {
        state.withLock { state in
            let taken = state.completions
            state.completions.removeAll(keepingCapacity: true)
            return (
                taken,
                Snapshot(free: state.freeSlots.count, running: state.running, stop: state.stop, stopRequestedAt: state.stopRequestedAt)
            )
        }
    }

    /// The slots' state, leaving delivered outcomes where they are.
    var snapshot: Snapshot {
        state.withLock { state in
            Snapshot(free: state.freeSlots.count, running: state.running, stop: state.stop, stopRequestedAt: state.stopRequestedAt)
        }
    }

    /// The tasks running now.
    var runningIDs: Set<UUID> { state.withLock { Set($0.handles.keys) } }

    /// Tasks this worker still answers for: running, or with an outcome not yet taken.
    var heldIDs: [UUID] { state.withLock { Array($0.handles.keys) + $0.completions.map(\.id) } }

    /// Abandons every running task; returns their pool tasks to cancel.
    func abandonAll() -> [Task<Void, Never>] {
        state.withLock { state in
            state.abandoned.formUnion(state.handles.keys)
            defer { state.handles.removeAll() }
            return Array(state.handles.values)
        }
    }

    /// Abandons those of `ids` that still run; returns their pool tasks to cancel, by task.
    func abandon(_ ids: Set<UUID>) -> [UUID: Task<Void, Never>] {
        state.withLock { state in
            var taken: [UUID: Task<Void, Never>] = [:]
            for id in ids {
                guard let handle = state.handles.removeValue(forKey: id) else { continue }
                state.abandoned.insert(id)
                taken[id] = handle
            }
            return taken
        }
    }

    /// Revokes those of `ids` that run here: their pool tasks are returned to be cancelled
    /// (cooperatively, or by killing the child in the prefork pool), and their outcome will be
    /// written as revoked with `reason`. Each task is returned once, however often it is revoked.
    func revoke(_ ids: [UUID], reason: String) -> [UUID: Task<Void, Never>] {
        state.withLock { state in
            var taken: [UUID: Task<Void, Never>] = [:]
            for id in ids where state.revoked[id] == nil {
                guard let handle = state.handles[id] else { continue }
                state.revoked[id] = reason
                taken[id] = handle
            }
            return taken
        }
    }

    /// Asks for a stop; a stronger mode replaces a weaker one. Returns whether it changed.
    @discardableResult
    func requestStop(_ mode: StopMode, now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            guard mode > state.stop else { return false }
            state.stop = mode
            state.stopRequestedAt = state.stopRequestedAt ?? now
            return true
        }
    }

    /// The stop mode asked for.
    var stopMode: StopMode { state.withLock { $0.stop } }
}
