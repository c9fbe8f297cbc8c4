import Foundation
import Synchronization

/// How a worker stops: warm (finish running tasks within the grace period) or cold (give them
/// back now).
enum StopMode: Int, Comparable, Sendable {
    case none, warm, cold
    static func < (lhs: StopMode, rhs: StopMode) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The worker's slots: which are free, which task runs in each, the claimed tasks waiting for
/// one (``PrefetchWindow``), the outcomes they delivered, and the stop requested. Shared between
/// the consumer's thread and the pool's tasks, behind one lock; no database.
///
/// A task whose lease was lost or given back is *abandoned*: its pool task is cancelled, and
/// its outcome, if it still arrives, is dropped (rescue or the next claimer decides).
final class SlotTable: Sendable {
    private struct State {
        var completions: [Completion] = []
        /// Claimed tasks waiting for a free slot, in claim order.
        var waiting: [ClaimedTask] = []
        /// The pool tasks running claimed work, to cancel them when the lease is lost.
        var handles: [UUID: Task<Void, Never>] = [:]
        /// Tasks that finished before their handle was recorded.
        var finishedEarly: Set<UUID> = []
        var abandoned: Set<UUID> = []
        /// Running tasks revoked, with the reason: their outcome is written as revoked unless
        /// they succeeded anyway.
        var revoked: [UUID: String] = [:]
        /// Revoked tasks already stopped by force (terminate).
        var terminated: Set<UUID> = []
        var running = 0
        var freeSlots: [Int]
        /// Slots in the pool (free or busy); pool_grow and pool_shrink change it.
        var capacity: Int
        /// The highest slot number given out so far.
        var highestSlot: Int
        /// Busy slots to retire as soon as their task ends (a shrink wider than the free slots).
        var retiring = 0
        var stop: StopMode = .none
        var stopRequestedAt: ContinuousClock.Instant?
    }

    /// What the consumer reads once per turn.
    struct Snapshot: Sendable {
        var free: Int
        var running: Int
        /// Claimed tasks waiting for a slot.
        var waiting: Int = 0
        var stop: StopMode
        var stopRequestedAt: ContinuousClock.Instant?
    }

    private let state: Mutex<State>

    /// Slots 1…concurrency, all free.
    init(concurrency: Int) {
        let size = max(1, concurrency)
        state = Mutex(State(freeSlots: Array((1...size).reversed()), capacity: size, highestSlot: size))
    }

    /// Slots in the pool, busy or free (less those retiring).
    var capacity: Int { state.withLock { $0.capacity } }

    /// Adds `count` slots (pool_grow); returns their numbers, for the pool to start them.
    func grow(by count: Int) -> [Int] {
        state.withLock { state in
            guard count > 0 else { return [] }
            // Busy slots set to retire are kept instead, first.
            let kept = min(count, state.retiring)
            state.retiring -= kept
            let added = Array((state.highestSlot + 1)..<(state.highestSlot + 1 + count - kept))
            state.highestSlot += added.count
            state.freeSlots.insert(contentsOf: added.reversed(), at: 0)
            state.capacity += count
            return added
        }
    }

    /// Removes `count` slots (pool_shrink), never the last one: free slots at once (returned,
    /// for the pool to stop them), busy ones when their task ends (``deliver(_:slot:)``).
    func shrink(by count: Int) -> [Int] {
        state.withLock { state in
            let count = min(count, state.capacity - 1)
            guard count > 0 else { return [] }
            state.capacity -= count
            let now = min(count, state.freeSlots.count)
            // The highest-numbered free slots go first.
            state.freeSlots.sort(by: >)
            let removed = Array(state.freeSlots.prefix(now))
            state.freeSlots.removeFirst(now)
            state.freeSlots.sort(by: >)
            state.retiring += count - now
            return removed
        }
    }

    /// Queues claimed tasks for the slots, behind those already waiting.
    func wait(_ tasks: [ClaimedTask]) {
        guard !tasks.isEmpty else { return }
        state.withLock { $0.waiting += tasks }
    }

    /// The first waiting task and a free slot taken for it, unless none waits, no slot is free
    /// or a stop was asked for.
    func nextWaiting() -> (task: ClaimedTask, slot: Int)? {
        state.withLock { state in
            guard state.stop == .none, !state.waiting.isEmpty, let slot = state.freeSlots.popLast() else { return nil }
            state.running += 1
            return (state.waiting.removeFirst(), slot)
        }
    }

    /// Removes every waiting task (a stop, or leases lost): the caller gives them back.
    @discardableResult
    func dropWaiting() -> [ClaimedTask] {
        state.withLock { state in
            defer { state.waiting.removeAll() }
            return state.waiting
        }
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

    /// What became of a delivered outcome.
    struct Delivery: Sendable, Equatable {
        /// False when the task was abandoned and the outcome dropped.
        var kept: Bool
        /// The slot the task ran in, if the pool shrank meanwhile and it is retired now.
        var retiredSlot: Int?
    }

    /// An outcome from the pool (`slot` nil for one that never ran, e.g. an expired task).
    @discardableResult
    func deliver(_ completion: Completion, slot: Int?) -> Delivery {
        state.withLock { state in
            var retiredSlot: Int?
            let abandoned = state.abandoned.remove(completion.id) != nil
            var completion = completion
            if let reason = state.revoked.removeValue(forKey: completion.id), completion.outcome != .succeeded,
                completion.outcome != .ignored
            {
                completion = completion.replaced(by: .revoked, payload: ErrorInfo(type: "TaskRevokedError", message: reason).json)
            }
            if !abandoned { state.completions.append(completion) }
            state.terminated.remove(completion.id)
            if let slot {
                state.running -= 1
                if state.retiring > 0 {
                    state.retiring -= 1
                    retiredSlot = slot
                } else {
                    state.freeSlots.append(slot)
                }
                if !abandoned, state.handles.removeValue(forKey: completion.id) == nil {
                    state.finishedEarly.insert(completion.id)
                }
            }
            return Delivery(kept: !abandoned, retiredSlot: retiredSlot)
        }
    }

    /// The outcomes delivered since the last call, and the slots' state.
    func take() -> ([Completion], Snapshot) {
        state.withLock { state in
            let taken = state.completions
            state.completions.removeAll(keepingCapacity: true)
            return (
                taken,
                Snapshot(
                    free: state.freeSlots.count, running: state.running, waiting: state.waiting.count, stop: state.stop,
                    stopRequestedAt: state.stopRequestedAt)
            )
        }
    }

    /// The slots' state, leaving delivered outcomes where they are.
    var snapshot: Snapshot {
        state.withLock { state in
            Snapshot(
                free: state.freeSlots.count, running: state.running, waiting: state.waiting.count, stop: state.stop,
                stopRequestedAt: state.stopRequestedAt)
        }
    }

    /// The tasks running now.
    var runningIDs: Set<UUID> { state.withLock { Set($0.handles.keys) } }

    /// Tasks this worker still answers for: running, waiting for a slot, or with an outcome not
    /// yet taken.
    var heldIDs: [UUID] {
        state.withLock { Array($0.handles.keys) + $0.waiting.map(\.id) + $0.completions.map(\.id) }
    }

    /// Abandons every running task, and forgets the waiting ones; returns the pool tasks to
    /// cancel.
    func abandonAll() -> [Task<Void, Never>] {
        state.withLock { state in
            state.waiting.removeAll()
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

    /// Revokes those of `ids` that run here: their pool tasks are returned to be stopped
    /// (cooperatively, or with `terminate` by force), and their outcome will be written as
    /// revoked with `reason`. Each task is returned once, however often it is revoked, and
    /// once more when a later revoke asks to terminate it. Those waiting for a slot never run:
    /// their outcome is revoked at once.
    func revoke(_ ids: [UUID], reason: String, terminate: Bool = false) -> [UUID: Task<Void, Never>] {
        state.withLock { state in
            var taken: [UUID: Task<Void, Never>] = [:]
            let revoked = Set(ids)
            if state.waiting.contains(where: { revoked.contains($0.id) }) {
                let error = ErrorInfo(type: "TaskRevokedError", message: reason).json
                for task in state.waiting where revoked.contains(task.id) {
                    state.completions.append(Completion(task, .revoked, payload: error, runtime: 0))
                }
                state.waiting.removeAll { revoked.contains($0.id) }
            }
            for id in ids {
                guard let handle = state.handles[id] else { continue }
                let first = state.revoked[id] == nil
                let escalate = terminate && !state.terminated.contains(id)
                guard first || escalate else { continue }
                if first { state.revoked[id] = reason }
                if terminate { state.terminated.insert(id) }
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
